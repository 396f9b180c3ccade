"""Diacritic- and case-insensitive search (search.py, selectors.procedure_search)."""

from __future__ import annotations

import unicodedata

import pytest

from egov.catalog.search import normalize, query_terms
from egov.catalog.selectors import procedure_search


def test_normalize_strips_marks_and_d_stroke():
    # GIVEN Vietnamese text with tone marks, đ/Đ, upper case and extra spaces
    # WHEN normalized
    # THEN it is plain lower-case ASCII with single spaces
    assert normalize("  ĐĂNG KÝ   khai sinh ") == "dang ky khai sinh"
    assert normalize("Đất đai") == "dat dai"
    assert normalize("Chứng thực bản sao") == "chung thuc ban sao"
    assert normalize(None) == ""


def test_normalize_is_the_same_for_nfc_and_nfd():
    text = "Đăng ký thường trú"
    assert normalize(unicodedata.normalize("NFD", text)) == normalize(unicodedata.normalize("NFC", text))


def test_query_terms_are_distinct_words():
    assert query_terms("khai  KHAI sinh") == ["khai", "sinh"]
    assert query_terms("   ") == []


def _codes(q, **kwargs):
    return list(procedure_search(q, **kwargs).values_list("code", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "dang ky khai sinh",
        "ĐĂNG KÝ khai sinh",
        "Đăng ký khai sinh",
        unicodedata.normalize("NFD", "Đăng ký khai sinh"),
        "DANG KY KHAI SINH",
        "khai si",  # partial word, as typed
        "sinh khai dang",  # word order does not matter
    ],
)
def test_search_finds_birth_registration(bundled_catalog, query):
    # GIVEN the bundled catalog
    # WHEN searching with or without diacritics, in any case or Unicode form
    codes = _codes(query)
    # THEN "Đăng ký khai sinh" (1.001193) is found
    assert "1.001193" in codes
    # AND every result contains every word
    for procedure in procedure_search(query):
        for word in query_terms(query):
            assert word in procedure.search_text


@pytest.mark.django_db
def test_search_requires_every_word(bundled_catalog):
    # GIVEN the bundled catalog WHEN one word matches nothing THEN nothing is found
    assert _codes("khai sinh xyzzy") == []
    # AND "thuong tru" finds the residence procedures but not birth registration
    codes = _codes("thuong tru")
    assert "1.004222" in codes and "1.003197" in codes and "1.001193" not in codes


@pytest.mark.django_db
def test_search_by_code_and_field_name(bundled_catalog):
    assert _codes("1.004222") == ["1.004222"]
    # the field name is part of the search key: "ho tich" finds civil-status procedures
    assert "1.000894" in _codes("ho tich")


@pytest.mark.django_db
def test_search_filters_by_field_and_level(bundled_catalog):
    assert set(procedure_search(field="CU").values_list("field__code", flat=True)) == {"CU"}
    assert set(procedure_search(level="province").values_list("level", flat=True)) == {"province"}


@pytest.mark.django_db
def test_empty_query_lists_all_active(bundled_catalog):
    assert procedure_search("").count() == bundled_catalog.total
