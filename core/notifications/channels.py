"""Outside delivery channels behind one interface: email over SMTP, SMS and WeChat template messages.

A channel takes an ``OutgoingMessage`` and either delivers it or raises
(``DeliveryError`` for a refusal that retrying cannot fix, any other
exception for a failure worth retrying). Email is built in; SMS and WeChat
providers differ per region and contract, so they are adapters named in the
settings (``QUANYU_SMS_ADAPTER``, ``QUANYU_WECHAT_ADAPTER`` as
``package.module:Class``, constructed with no arguments and configured from
their own environment). ``fake`` gives the in-memory ``RecordingChannel``
that tests read.
"""

from __future__ import annotations

import asyncio
import importlib
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from functools import lru_cache
from typing import Protocol, runtime_checkable
from urllib.parse import parse_qs, unquote, urlparse

CHANNELS = ("email", "sms", "wechat")


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one address: an email address, a mobile number or a WeChat openid."""

    channel: str
    address: str
    subject: str
    body: str
    link: str | None = None
    kind: str = ""
    recipient_name: str = ""


class DeliveryError(Exception):
    """The provider refused the message for good (bad address, rejected template): no retry."""


@runtime_checkable
class Channel(Protocol):
    """What an adapter implements: ``send`` delivers one message or raises."""

    name: str

    async def send(self, message: OutgoingMessage) -> None: ...


@dataclass
class RecordingChannel:
    """A channel that keeps what it was asked to send (``QUANYU_*_ADAPTER=fake``; tests read ``sent``).

    ``fail_next`` makes the next sends raise, to exercise retries.
    """

    name: str
    sent: list[OutgoingMessage] = field(default_factory=list)
    fail_next: int = 0

    async def send(self, message: OutgoingMessage) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise ConnectionError(f"{self.name} provider unavailable (simulated)")
        self.sent.append(message)


class EmailChannel:
    """Email over SMTP (stdlib ``smtplib`` in a thread), with STARTTLS or implicit TLS when asked."""

    name = "email"

    def __init__(self, url: str, sender: str) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
            raise ValueError(f"QUANYU_SMTP_URL must look like smtp://user:password@host:587: {url!r}")
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        self.host = parsed.hostname
        self.port = parsed.port or (465 if parsed.scheme == "smtps" else 25)
        self.implicit_tls = parsed.scheme == "smtps"
        self.starttls = query.get("starttls", "false").lower() in ("1", "true", "yes")
        self.username = unquote(parsed.username) if parsed.username else None
        self.password = unquote(parsed.password) if parsed.password else None
        self.timeout = float(query.get("timeout", "10"))
        self.sender = sender

    def _compose(self, message: OutgoingMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = (
            formataddr((message.recipient_name, message.address))
            if message.recipient_name
            else message.address
        )
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(domain="quanyu")
        text = message.body + (f"\n\n{message.link}" if message.link else "")
        mail.set_content(text, charset="utf-8")
        return mail

    def _send(self, mail: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            try:
                smtp.send_message(mail)
            except smtplib.SMTPRecipientsRefused as exc:
                raise DeliveryError(f"the mail server refused the address: {exc}") from exc

    async def send(self, message: OutgoingMessage) -> None:
        await asyncio.to_thread(self._send, self._compose(message))


def _adapter(setting: str, name: str) -> Channel | None:
    if not setting:
        return None
    if setting == "fake":
        return RecordingChannel(name)
    module_name, _, class_name = setting.partition(":")
    if not class_name:
        raise ValueError(
            f"QUANYU_{name.upper()}_ADAPTER must be `package.module:Class` or `fake`: {setting!r}"
        )
    adapter = getattr(importlib.import_module(module_name), class_name)()
    if not isinstance(adapter, Channel):
        raise TypeError(f"{setting} does not implement the channel interface (name, async send)")
    return adapter


@lru_cache(maxsize=8)
def _channels(smtp_url: str, mail_from: str, sms: str, wechat: str) -> dict[str, Channel]:
    found: dict[str, Channel] = {}
    if smtp_url == "fake":
        found["email"] = RecordingChannel("email")
    elif smtp_url:
        found["email"] = EmailChannel(smtp_url, mail_from)
    for name, setting in (("sms", sms), ("wechat", wechat)):
        adapter = _adapter(setting, name)
        if adapter is not None:
            found[name] = adapter
    return found


def configured_channels() -> dict[str, Channel]:
    """The outside channels this platform is configured for (name → channel), from the settings."""
    from core.settings import get_settings

    settings = get_settings()
    return _channels(settings.smtp_url, settings.mail_from, settings.sms_adapter, settings.wechat_adapter)
