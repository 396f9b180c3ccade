"""Personal ID numbers: structure, province prefixes, consistency with birth date and sex, issuance."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from egov.core.errors import ValidationFailed
from egov.population import ids
from egov.population.choices import Sex
from egov.population.ids import (
    POST_2025_PROVINCE_PREFIXES,
    PRE_2025_PROVINCE_PREFIXES,
    PROVINCE_PREFIXES,
    id_number_problem,
    issue_id_number,
    validate_id_number,
)

from .conftest import make_person

MALE_1990 = dt.date(1990, 5, 17)
FEMALE_2005 = dt.date(2005, 1, 3)


def message(id_number, **kwargs) -> str:
    with pytest.raises(ValidationFailed) as exc:
        validate_id_number(id_number, **kwargs)
    assert exc.value.field == "id_number"
    return exc.value.message


# ---- good numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("id_number", "dob", "sex"),
    [
        ("025090000123", MALE_1990, Sex.MALE),  # Phú Thọ, 1900s male
        ("001305123456", FEMALE_2005, Sex.FEMALE),  # Hà Nội, 2000s female
        ("079199999999", dt.date(1999, 12, 31), Sex.FEMALE),
        ("096200000000", dt.date(2000, 1, 1), Sex.MALE),
        ("015225000001", dt.date(2025, 7, 2), Sex.MALE),  # Lào Cai after the merger = old Yên Bái code
        ("025400000001", dt.date(2100, 6, 1), Sex.MALE),  # the 2100s digit is already defined
    ],
)
def test_valid_numbers_consistent_with_birth_and_sex(id_number, dob, sex):
    # GIVEN a well-formed number  WHEN it is validated with its holder's data  THEN nothing is raised
    validate_id_number(id_number, date_of_birth=dob, sex=sex)
    assert id_number_problem(id_number, date_of_birth=dob, sex=sex) is None


def test_structure_alone_is_checked_without_birth_data():
    validate_id_number("025090000123")


def test_all_63_former_provinces_are_accepted_and_the_34_new_codes_are_among_them():
    assert len(PRE_2025_PROVINCE_PREFIXES) == 63
    assert len(POST_2025_PROVINCE_PREFIXES) == 34
    assert set(POST_2025_PROVINCE_PREFIXES) <= set(PRE_2025_PROVINCE_PREFIXES)
    assert len(PROVINCE_PREFIXES) == 63
    for prefix in PRE_2025_PROVINCE_PREFIXES:
        validate_id_number(f"{prefix}090000123", date_of_birth=MALE_1990, sex=Sex.MALE)


# ---- each kind of bad number -------------------------------------------------------------------


@pytest.mark.parametrize("id_number", ["02509000012", "0250900001234", "", "025 090000123"])
def test_wrong_length(id_number):
    assert "12 chữ số" in message(id_number)


@pytest.mark.parametrize("id_number", ["02509000012A", "025-90000123", "０２５０９００００１２３"])
def test_non_digits(id_number):
    text = message(id_number)
    assert "chữ số" in text


@pytest.mark.parametrize("prefix", ["000", "003", "005", "013", "050", "063", "097", "099", "100", "999"])
def test_unknown_province_prefix(prefix):
    text = message(f"{prefix}090000123")
    assert f"“{prefix}”" in text and "mã tỉnh" in text


def test_century_digit_inconsistent_with_year():
    # GIVEN a number coded for the 2000s  WHEN the person was born in 1990  THEN refused, saying why
    text = message("025290000123", date_of_birth=MALE_1990, sex=Sex.MALE)
    assert "Chữ số thứ 4" in text and "2000-2099" in text and "1990" in text


def test_sex_digit_inconsistent_with_sex():
    text = message("025090000123", date_of_birth=MALE_1990, sex=Sex.FEMALE)
    assert "giới tính Nam" in text and "ghi nhận là Nữ" in text


def test_year_digits_must_be_the_year_of_birth():
    text = message("025091000123", date_of_birth=MALE_1990, sex=Sex.MALE)
    assert "(91)" in text and "1990" in text


def test_year_outside_the_century_codes():
    text = message("025099000123", date_of_birth=dt.date(1899, 1, 1), sex=Sex.MALE)
    assert "1900-2399" in text


def test_non_string_is_refused():
    assert id_number_problem(25090000123) is not None


# ---- property: every consistent number validates, every flipped sex digit does not ---------------


@given(
    dob=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2399, 12, 31)),
    sex=st.sampled_from([Sex.MALE, Sex.FEMALE]),
    prefix=st.sampled_from(sorted(PROVINCE_PREFIXES)),
    serial=st.integers(min_value=0, max_value=999_999),
)
def test_generated_numbers_validate_and_the_other_sex_does_not(dob, sex, prefix, serial):
    number = f"{prefix}{ids.century_digit(year=dob.year, sex=sex)}{dob.year % 100:02d}{serial:06d}"
    assert id_number_problem(number, date_of_birth=dob, sex=sex) is None
    other = Sex.FEMALE if sex == Sex.MALE else Sex.MALE
    assert id_number_problem(number, date_of_birth=dob, sex=other) is not None


# ---- issuance ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("province_code", ["25", "025"])
def test_issued_number_has_the_structure_of_the_birth(province_code):
    number = issue_id_number(province_code=province_code, date_of_birth=FEMALE_2005, sex=Sex.FEMALE)
    assert len(number) == 12 and number.isdigit()
    assert number[:6] == "025305"
    validate_id_number(number, date_of_birth=FEMALE_2005, sex=Sex.FEMALE)


@pytest.mark.django_db
def test_issuance_skips_numbers_already_in_the_registry(monkeypatch):
    # GIVEN a person holding 025090000042  WHEN the random draw first yields 42 again, then 43
    make_person(id_number="025090000042", dob=MALE_1990)
    draws = iter([42, 43])
    monkeypatch.setattr(ids.secrets, "randbelow", lambda n: next(draws))
    # THEN the second draw is issued
    assert issue_id_number(province_code="25", date_of_birth=MALE_1990, sex=Sex.MALE) == "025090000043"


@pytest.mark.django_db
def test_issuance_gives_up_after_repeated_collisions(monkeypatch):
    make_person(id_number="025090000042", dob=MALE_1990)
    monkeypatch.setattr(ids.secrets, "randbelow", lambda n: 42)
    with pytest.raises(ValidationFailed) as exc:
        issue_id_number(province_code="25", date_of_birth=MALE_1990, sex=Sex.MALE)
    assert exc.value.code == "id_number_exhausted"


@pytest.mark.django_db
def test_issued_numbers_are_unique(monkeypatch):
    # GIVEN a draw from only 50 values  WHEN 50 people get a number each  THEN no number repeats
    monkeypatch.setattr(ids, "ISSUE_ATTEMPTS", 10_000)
    real = ids.secrets.randbelow
    monkeypatch.setattr(ids.secrets, "randbelow", lambda n: real(50))
    numbers = []
    for _ in range(50):
        number = issue_id_number(province_code="25", date_of_birth=MALE_1990, sex=Sex.MALE)
        make_person(id_number=number, dob=MALE_1990)
        numbers.append(number)
    assert len(set(numbers)) == 50


@pytest.mark.django_db
@pytest.mark.parametrize("province_code", ["99", "3", "abc", ""])
def test_issuance_refuses_unknown_province(province_code):
    with pytest.raises(ValidationFailed) as exc:
        issue_id_number(province_code=province_code, date_of_birth=MALE_1990, sex=Sex.MALE)
    assert exc.value.field == "province_code"
