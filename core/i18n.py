"""Messages in the request's language: Simplified Chinese first, English available.

Catalogues are Babel/gettext ``.po`` files under ``<package>/locale``,
read directly at first use (no compiled ``.mo`` to go stale). Message ids
are English.
Plugins add their own catalogue with ``add_catalog``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DEFAULT_LOCALE = "zh_CN"
SUPPORTED_LOCALES = ("zh_CN", "en")
DOMAIN = "quanyu"

_catalog_dirs: list[tuple[str, Path]] = [(DOMAIN, Path(__file__).resolve().parent / "locale")]
_translations: dict[str, NullTranslations] = {}
_current_locale: ContextVar[str] = ContextVar("quanyu_locale", default=DEFAULT_LOCALE)


def add_catalog(domain: str, directory: Path) -> None:
    """Merge a plugin's message catalogue into every locale."""
    if (domain, directory) not in _catalog_dirs:
        _catalog_dirs.append((domain, directory))
        _translations.clear()


def _load_one(domain: str, directory: Path, locale: str) -> NullTranslations:
    po = directory / locale / "LC_MESSAGES" / f"{domain}.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    translations = Translations(domain=domain)
    translations._catalog = {
        str(m.id): str(m.string)
        for m in catalog
        if isinstance(m.id, str) and m.id and isinstance(m.string, str)
    }
    return translations


def translations(locale: str) -> NullTranslations:
    if locale not in _translations:
        merged = Translations(domain=DOMAIN)
        merged._catalog = {}
        for domain, directory in _catalog_dirs:
            one = _load_one(domain, directory, locale)
            if isinstance(one, Translations):
                merged._catalog.update(one._catalog)
        _translations[locale] = merged
    return _translations[locale]


def current_locale() -> str:
    return _current_locale.get()


@contextmanager
def locale_context(locale: str) -> Iterator[None]:
    token = _current_locale.set(locale)
    try:
        yield
    finally:
        _current_locale.reset(token)


def set_locale(locale: str) -> None:
    _current_locale.set(locale)


def translate(message: str, locale: str | None = None, **params: Any) -> str:
    """``message`` (an English message id) in ``locale`` (default: the current one), formatted."""
    text = translations(locale or current_locale()).gettext(message)
    return text.format(**params) if params else text


def negotiate(*candidates: str | None) -> str:
    """The first supported locale among explicit choices and Accept-Language headers."""
    for candidate in candidates:
        if not candidate:
            continue
        preferred = [part.split(";")[0].strip().replace("-", "_") for part in candidate.split(",")]
        for item in preferred:
            try:
                found = Locale.negotiate([item], list(SUPPORTED_LOCALES), sep="_")
            except (UnknownLocaleError, ValueError):
                found = None
            if found:
                # Babel may answer with a script subtag (zh_Hans_CN): map back to the catalogue's name.
                return next(
                    (supported for supported in SUPPORTED_LOCALES if Locale.parse(supported) == found),
                    "zh_CN" if found.language == "zh" else "en",
                )
            if item.lower().startswith("zh"):
                return "zh_CN"
            if item.lower().startswith("en"):
                return "en"
    return DEFAULT_LOCALE


def _(message: str) -> str:
    """Mark a message id for extraction; translated later, at render time."""
    return message
