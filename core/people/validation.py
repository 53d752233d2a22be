"""Checks and normal forms for resident ID card numbers and phone numbers.

Pure functions, no database: the import form, the API and the demo
generator share them, so a number accepted anywhere is accepted
everywhere, in the same normal form (the blind index is computed on it).

ID card numbers follow GB 11643-1999: a 6-digit region code, an 8-digit
birth date, a 3-digit order code whose last digit is odd for men and even
for women, and an ISO 7064 MOD 11-2 check character (0-9 or X).
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from typing import Literal

import msgspec

from core.errors import invalid_field
from core.i18n import _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_FORMAT = re.compile(r"\d{17}[\dX]")
_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})")
# Only Beijing (010) and the 02x cities have 3-digit area codes; every other
# area code has 4 digits, which is how an undashed landline is split.
_LANDLINE = re.compile(r"(010|02\d|0[3-9]\d{2})([2-9]\d{6,7})")
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")

Gender = Literal["male", "female"]


class IdCard(msgspec.Struct, frozen=True):
    """A checked ID card number and what it encodes."""

    number: str
    birth_date: dt.date
    gender: Gender
    region: str


def id_card_check_digit(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits of an ID card number."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("the check digit is computed over exactly 17 digits")
    total = sum(map(operator.mul, map(int, first17), _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def make_id_card(region: str, birth: dt.date, sequence: int, gender: str, *, variant: int = 0) -> str:
    """A valid 18-character ID card number.

    ``sequence`` (0-99) gives the first two order digits; the third is odd
    for ``male`` and even for ``female``, ``variant`` (0-4) choosing which
    one, so one region and birth date can hold 500 people of each gender.
    """
    if len(region) != 6 or not region.isdigit():
        raise ValueError(f"region must be 6 digits, got {region!r}")
    if not 0 <= sequence <= 99:
        raise ValueError(f"sequence must be 0-99, got {sequence}")
    if not 0 <= variant <= 4:
        raise ValueError(f"variant must be 0-4, got {variant}")
    if gender not in ("male", "female"):
        raise ValueError(f"gender must be 'male' or 'female', got {gender!r}")
    gender_digit = 2 * variant + (1 if gender == "male" else 0)
    first17 = f"{region}{birth:%Y%m%d}{sequence:02d}{gender_digit}"
    return first17 + id_card_check_digit(first17)


def check_id_card(value: str, field: str = "id_card", *, today: dt.date | None = None) -> IdCard:
    """Validate and normalise an ID card number, or raise a 422 naming ``field``."""
    number = "".join(value.split()).upper()
    if not _ID_FORMAT.fullmatch(number):
        raise invalid_field(
            field,
            _("An ID card number has 18 characters: 17 digits, then a digit or X."),
            code="id_card_format",
        )
    region = number[:6]
    if region[0] not in "123456" or region == "000000":
        raise invalid_field(
            field,
            _("The ID card number does not begin with a valid region code ({region})."),
            code="id_card_region",
            region=region,
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        birth = None
    if birth is None or birth.year < 1900 or birth > (today or dt.date.today()):
        raise invalid_field(
            field,
            _("The ID card number contains an impossible birth date ({digits})."),
            code="id_card_birth_date",
            digits=number[6:14],
        )
    if id_card_check_digit(number[:17]) != number[17]:
        raise invalid_field(
            field,
            _("The ID card number's last character does not match the others; please check it."),
            code="id_card_check_digit",
        )
    return IdCard(
        number=number,
        birth_date=birth,
        gender="male" if int(number[16]) % 2 else "female",
        region=region,
    )


def normalise_phone(value: str, field: str = "phone") -> str:
    """A mainland mobile as 11 digits, or a landline as ``0511-85551234``; else a 422 naming ``field``."""
    compact = _PHONE_SEPARATORS.sub("", value)
    mobile = _MOBILE.fullmatch(compact)
    if mobile:
        return mobile.group(1)
    landline = _LANDLINE.fullmatch(compact)
    if landline:
        return f"{landline.group(1)}-{landline.group(2)}"
    raise invalid_field(
        field,
        _("Enter a mobile number (11 digits, starting with 1) or a landline with its area code."),
        code="phone_format",
    )


def mask_id_card(number: str) -> str:
    """``3211**********1234``: enough to tell records apart, not enough to identify anyone."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(phone: str) -> str:
    """``138****1234`` for a mobile, ``0511-****34`` for a landline."""
    if len(phone) == 11 and phone.isdigit():
        return f"{phone[:3]}****{phone[-4:]}"
    area, dash, local = phone.partition("-")
    if dash and len(local) > 2:
        return f"{area}-****{local[-2:]}"
    if len(phone) <= 2:
        return "*" * len(phone)
    return "****" + phone[-2:]
