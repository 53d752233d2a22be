"""ID card and phone checks (GB 11643-1999, mainland numbering), and masking."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import Invalid
from core.people.validation import (
    IdCard,
    check_id_card,
    id_card_check_digit,
    make_id_card,
    mask_id_card,
    mask_phone,
    normalise_phone,
)


def problem(exc: pytest.ExceptionInfo[Invalid]) -> tuple[str, str]:
    assert exc.value.status == 422
    (error,) = exc.value.errors
    return error.field, error.code


# --- ID cards -------------------------------------------------------------------


def test_published_example_with_x_check_digit() -> None:
    assert id_card_check_digit("11010519491231002") == "X"
    card = check_id_card("11010519491231002X")
    assert card == IdCard(
        number="11010519491231002X", birth_date=dt.date(1949, 12, 31), gender="female", region="110105"
    )


def test_lower_case_x_and_spaces_are_normalised() -> None:
    assert check_id_card(" 110105 19491231 002x ").number == "11010519491231002X"


@pytest.mark.parametrize(
    ("first17", "digit"),
    [
        ("32111119800101001", "3"),
        ("44030119900307123", "0"),
        ("32111119700101000", "0"),
    ],
)
def test_check_digit_known_values(first17: str, digit: str) -> None:
    assert id_card_check_digit(first17) == digit


def test_make_id_card_round_trips() -> None:
    number = make_id_card("321111", dt.date(1975, 6, 9), 42, "male", variant=3)
    assert number == "321111197506094270"
    card = check_id_card(number)
    assert (card.region, card.birth_date, card.gender) == ("321111", dt.date(1975, 6, 9), "male")
    female = check_id_card(make_id_card("321111", dt.date(2000, 2, 29), 0, "female"))
    assert female.number[14:17] == "000"
    assert (female.birth_date, female.gender) == (dt.date(2000, 2, 29), "female")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("32111", dt.date(1980, 1, 1), 1, "male"), "region"),
        (("321111", dt.date(1980, 1, 1), 100, "male"), "sequence"),
        (("321111", dt.date(1980, 1, 1), 1, "other"), "gender"),
    ],
)
def test_make_id_card_rejects_bad_arguments(args: tuple[str, dt.date, int, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_id_card(*args)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1101051949123100",
        "11010519491231002XX",
        "11010519491231002Y",
        "X10105194912310021",
        "110105-1949123100",
    ],
)
def test_format_errors(value: str) -> None:
    with pytest.raises(Invalid) as exc:
        check_id_card(value, field="rows[3].id_card")
    assert problem(exc) == ("rows[3].id_card", "id_card_format")


@pytest.mark.parametrize("region", ["000000", "721111", "011111", "921111"])
def test_region_errors(region: str) -> None:
    first17 = f"{region}19800101001"
    with pytest.raises(Invalid) as exc:
        check_id_card(first17 + id_card_check_digit(first17))
    assert problem(exc) == ("id_card", "id_card_region")
    assert exc.value.errors[0].params == {"region": region}


@pytest.mark.parametrize("birth", ["19800230", "19801301", "18991231", "20990101", "19800100"])
def test_birth_date_errors(birth: str) -> None:
    first17 = f"321111{birth}001"
    with pytest.raises(Invalid) as exc:
        check_id_card(first17 + id_card_check_digit(first17))
    assert problem(exc) == ("id_card", "id_card_birth_date")
    assert exc.value.errors[0].params == {"digits": birth}


def test_birth_date_in_the_future_relative_to_today() -> None:
    number = make_id_card("321111", dt.date(2024, 5, 1), 1, "male")
    assert check_id_card(number, today=dt.date(2024, 5, 1)).birth_date == dt.date(2024, 5, 1)
    with pytest.raises(Invalid) as exc:
        check_id_card(number, today=dt.date(2024, 4, 30))
    assert problem(exc) == ("id_card", "id_card_birth_date")


def test_check_digit_error() -> None:
    good = make_id_card("321111", dt.date(1980, 1, 1), 12, "female", variant=2)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(Invalid) as exc:
        check_id_card(wrong)
    assert problem(exc) == ("id_card", "id_card_check_digit")


def test_single_digit_typo_is_caught() -> None:
    good = make_id_card("321111", dt.date(1966, 10, 1), 7, "male")
    typo = good[:10] + str((int(good[10]) + 1) % 10) + good[11:]
    with pytest.raises(Invalid) as exc:
        check_id_card(typo)
    assert problem(exc)[1] in {"id_card_check_digit", "id_card_birth_date"}


def test_error_message_is_an_english_message_id() -> None:
    with pytest.raises(Invalid) as exc:
        check_id_card("123")
    assert exc.value.code == "invalid"
    assert exc.value.errors[0].message.startswith("An ID card number has 18 characters")


# --- phones ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812341234", "13812341234"),
        ("138 1234 1234", "13812341234"),
        ("138-1234-1234", "13812341234"),
        ("+86 138 1234 1234", "13812341234"),
        ("+8613812341234", "13812341234"),
        ("8613812341234", "13812341234"),
        ("0086 19912345678", "19912345678"),
        ("0511-85551234", "0511-85551234"),
        ("051185551234", "0511-85551234"),
        ("(0511) 8555 1234", "0511-85551234"),
        ("0511-8555123", "0511-8555123"),
        ("010-62345678", "010-62345678"),
        ("01062345678", "010-62345678"),
        ("025 84561234", "025-84561234"),
    ],
)
def test_phone_variants(value: str, expected: str) -> None:
    assert normalise_phone(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "12812341234",
        "1381234123",
        "138123412345",
        "+1 415 555 0100",
        "0511-0555123",
        "abc",
        "0511-855512345",
    ],
)
def test_phone_errors(value: str) -> None:
    with pytest.raises(Invalid) as exc:
        normalise_phone(value, field="contact_phone")
    assert problem(exc) == ("contact_phone", "phone_format")


# --- masking --------------------------------------------------------------------


def test_mask_id_card() -> None:
    assert mask_id_card("321111198001011234") == "3211**********1234"
    assert mask_id_card("11010519491231002X") == "1101**********002X"
    assert mask_id_card("1234") == "****"


def test_mask_phone() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("0511-85551234") == "0511-****34"
    assert mask_phone("010-62345678") == "010-****78"
    assert mask_phone("12") == "**"
