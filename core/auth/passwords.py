"""Argon2id password hashing and the password policy."""

from __future__ import annotations

import contextlib
import re
import string
from functools import lru_cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.errors import FieldProblem, Invalid
from core.i18n import _
from core.settings import get_settings
from core.tenancy.settings import SecurityPolicy

MAX_LENGTH = 128
COMMON_PASSWORD_FILES = ("common-passwords.txt", "common-passwords-zh.txt")
# Stripped from the end before the second look-up, so "Password123!" counts as the common "password".
_TRAILING_DIGITS_AND_SYMBOLS = re.compile(r"[\W\d_]+$")


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hasher() -> PasswordHasher:
    settings = get_settings()
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_kib)


def hash_password(password: str) -> str:
    return hasher().hash(password)


# Verified against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH: dict[tuple[int, int], str] = {}


def verify_password(password_hash: str | None, password: str) -> bool:
    h = hasher()
    if password_hash is None:
        key = (h.time_cost, h.memory_cost)
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = h.hash("quanyu-dummy-password")
        password_hash = _DUMMY_HASH[key]
        with contextlib.suppress(VerificationError, InvalidHashError):
            h.verify(password_hash, password)
        return False
    try:
        return h.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


def character_classes(password: str) -> int:
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(c in string.punctuation or not c.isalnum() for c in password),
        )
    )


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped lists of common passwords (core/auth/data), read once per process."""
    data = files("core.auth") / "data"
    entries: set[str] = set()
    for name in COMMON_PASSWORD_FILES:
        for line in (data / name).read_text(encoding="utf-8").splitlines():
            if line and line != "#" and not line.startswith("# "):
                entries.add(line.lower())
    return frozenset(entries)


def is_common(password: str) -> bool:
    """On the common list as typed (case aside), or once trailing digits and symbols are dropped."""
    lowered = password.lower()
    listed = common_passwords()
    return lowered in listed or _TRAILING_DIGITS_AND_SYMBOLS.sub("", lowered) in listed


def check_policy(
    password: str, policy: SecurityPolicy, *, field: str = "password", username: str | None = None
) -> None:
    """Refuse a password that breaks the district's ``policy``, naming each rule broken (never the password).

    The history rule needs the database: ``core.auth.service`` checks it after this.
    """
    problems = []
    if len(password) < policy.password_min_length:
        problems.append(
            FieldProblem(
                field,
                "too_short",
                _("At least {min} characters are required."),
                {"min": policy.password_min_length},
            )
        )
    elif len(password) > MAX_LENGTH:
        problems.append(
            FieldProblem(field, "too_long", _("At most {max} characters are allowed."), {"max": MAX_LENGTH})
        )
    if character_classes(password) < policy.password_min_classes:
        problems.append(
            FieldProblem(
                field,
                "too_simple",
                _("Mix at least {n} of: lower-case, upper-case, digits, symbols."),
                {"n": policy.password_min_classes},
            )
        )
    if username and username.lower() in password.lower():
        problems.append(
            FieldProblem(field, "contains_username", _("The password must not contain the username."))
        )
    if is_common(password):
        problems.append(
            FieldProblem(
                field,
                "common_password",
                _("This password is on a list of commonly used passwords; choose a less predictable one."),
            )
        )
    if problems:
        raise Invalid(_("The password does not meet the policy."), errors=problems)
