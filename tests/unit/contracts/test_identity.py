"""National ID numbers (GB 11643, ISO 7064 MOD 11-2) and the person keys made from them."""

from __future__ import annotations

import re

import pytest

from contracts.identity import (
    InvalidNationalId,
    check_char,
    mask_national_ids,
    normalize_national_id,
    person_key,
)

STANDARD_EXAMPLE = "11010519491231002X"  # the example number printed in GB 11643-1999

# Worked by hand, weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, check chars "10X98765432":
#   11010519491231002: 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 -> "X"
#   61090219851015123: 42+9+0+45+0+8+2+9+48+15+7+0+10+25+8+8+6 = 242; 242 mod 11 = 0 -> "1"
#   61098120000229004: 42+9+0+45+64+4+4+0+0+0+0+18+20+45+0+0+8 = 259; 259 mod 11 = 6 -> "6"
HAND_CHECKED = ("11010519491231002X", "610902198510151231", "610981200002290046")

SECRET = b"county-node-secret"


@pytest.mark.parametrize("number", HAND_CHECKED)
def test_check_char_matches_hand_computed_numbers(number: str) -> None:
    assert check_char(number[:17]) == number[17]
    assert normalize_national_id(number) == number


@pytest.mark.parametrize(
    "first17", ["44030819900307002", "61092119700101001", "61092920231231999", "00000019000101000"]
)
def test_number_completed_with_check_char_is_valid(first17: str) -> None:
    number = first17 + check_char(first17)
    assert normalize_national_id(number) == number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002x", STANDARD_EXAMPLE),
        ("  11010519491231002X\n", STANDARD_EXAMPLE),
        ("１１０１０５１９４９１２３１００２Ｘ", STANDARD_EXAMPLE),
        ("１１０１０５１９４９１２３１００２ｘ", STANDARD_EXAMPLE),
        ("６１０９０２１９８５１０１５１２３１", "610902198510151231"),
    ],
)
def test_normalization_folds_case_width_and_whitespace(raw: str, expected: str) -> None:
    assert normalize_national_id(raw) == expected


def test_normalized_number_is_ascii_only() -> None:
    # Python's \d and int() accept every Unicode decimal digit, not only full-width ones: the
    # same number in Arabic-Indic digits must either fold to ASCII or be refused, never pass
    # through unfolded (it would hash to a different person key than the ASCII number).
    arabic_indic = "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X"
    try:
        normalized = normalize_national_id(arabic_indic)
    except InvalidNationalId:
        return
    assert normalized == STANDARD_EXAMPLE


@pytest.mark.parametrize("wrong", "0123456789")
def test_wrong_check_digit_rejected_naming_the_expected_one(wrong: str) -> None:
    with pytest.raises(InvalidNationalId) as caught:
        normalize_national_id(STANDARD_EXAMPLE[:17] + wrong)
    assert str(caught.value) == (f"national ID check digit is {wrong!r}, GB 11643 requires 'X'")


@pytest.mark.parametrize(
    "first17",
    [
        "11010519490230002",  # 30 February
        "11010519000229002",  # 1900 was not a leap year
        "11010519491301002",  # month 13
        "11010519491200002",  # day 0
        "11010500000101002",  # year 0
    ],
)
def test_impossible_birth_date_rejected(first17: str) -> None:
    # Valid check char, so the date is the only thing wrong.
    with pytest.raises(InvalidNationalId, match="impossible birth date"):
        normalize_national_id(first17 + check_char(first17))


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1101051949123100",  # 16
        "11010519491231002",  # 17, check char missing
        "11010519491231002X0",  # 19
        "110105491231002",  # the old 15-digit form
        "1101051949123100XX",  # X not in last place
        "11010519491231002Y",
        "110105 19491231002X",
    ],
)
def test_wrong_shape_rejected(raw: str) -> None:
    with pytest.raises(InvalidNationalId, match="17 digits and a check digit or X"):
        normalize_national_id(raw)


def test_invalid_national_id_is_a_value_error() -> None:
    assert issubclass(InvalidNationalId, ValueError)


def test_person_key_is_stable_and_normalization_independent() -> None:
    key = person_key(STANDARD_EXAMPLE, SECRET)
    assert person_key(STANDARD_EXAMPLE, SECRET) == key
    assert person_key("１１０１０５１９４９１２３１００２ｘ ", SECRET) == key


def test_person_key_is_64_lowercase_hex() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", person_key(STANDARD_EXAMPLE, SECRET))


def test_person_key_depends_on_the_secret() -> None:
    assert person_key(STANDARD_EXAMPLE, SECRET) != person_key(STANDARD_EXAMPLE, b"other")


def test_person_key_differs_between_people() -> None:
    assert person_key(HAND_CHECKED[1], SECRET) != person_key(HAND_CHECKED[2], SECRET)


@pytest.mark.parametrize("number", HAND_CHECKED)
def test_person_key_never_contains_the_number(number: str) -> None:
    key = person_key(number, SECRET)
    assert number not in key
    assert number[:17] not in key
    assert number.lower() not in key


def test_person_key_refuses_an_invalid_number() -> None:
    with pytest.raises(InvalidNationalId):
        person_key(STANDARD_EXAMPLE[:17] + "0", SECRET)


# --- masking what looks like an ID number (dead letters keep none) -----------------------


@pytest.mark.parametrize(
    ("text", "masked", "count"),
    [
        ("id 11010519491231002X.", "id ******************.", 1),
        ("11010519491231002x", "*" * 18, 1),  # a lower-case check character
        ('{"national_id": "610902198510151231"}', '{"national_id": "' + "*" * 18 + '"}', 1),
        ("old number 610902851015123 here", "old number " + "*" * 15 + " here", 1),
        ("１１０１０５１９４９１２３１００２Ｘ", "*" * 18, 1),  # full-width, as forms have it
        ("a\x0011010519491231002X\x1b", "a\x00" + "*" * 18 + "\x1b", 1),
        ("11010519491231002X,610981200002290046", "*" * 18 + "," + "*" * 18, 2),
    ],
)
def test_what_looks_like_an_id_number_is_masked(text: str, masked: str, count: int) -> None:
    assert mask_national_ids(text) == (masked, count)


@pytest.mark.parametrize(
    "text",
    [
        "110105194912310021",  # 18 characters, but the check digit is wrong (X is right)
        "1101051949123100",  # 16 digits: neither shape
        "11010519491231002X7",  # part of a longer run of digits
        "911010519491231002X",
        "ab11010519491231002Xcd",  # or of letters and digits: a hex key, a base64 signature
        "3f610902851015123a9e",
        "12345678901234",  # 14 digits
        "1234567890123456789012",
        "event 8d2f1a7e-0c44-4b1e-9a57-2f1f6f3f2a10 at 2026-03-01T08:00:00+08:00",
    ],
)
def test_what_is_not_an_id_number_is_left_alone(text: str) -> None:
    assert mask_national_ids(text) == (text, 0)
