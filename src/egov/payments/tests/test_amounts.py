"""Amounts in figures and in Vietnamese words, as receipts print them."""

import pytest

from egov.payments.amounts import format_vnd, vnd_in_words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (5, "Năm đồng"),
        (10, "Mười đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (105, "Một trăm linh năm đồng"),
        (1005, "Một nghìn không trăm linh năm đồng"),
        (10000, "Mười nghìn đồng"),
        (20000, "Hai mươi nghìn đồng"),
        (25000, "Hai mươi lăm nghìn đồng"),
        (150000, "Một trăm năm mươi nghìn đồng"),
        (1000005, "Một triệu không trăm linh năm đồng"),
        (1200500, "Một triệu hai trăm nghìn năm trăm đồng"),
        (2000050000, "Hai tỷ không trăm năm mươi nghìn đồng"),
        (1000000000000, "Một nghìn tỷ đồng"),
    ],
)
def test_vnd_in_words(amount, words):
    assert vnd_in_words(amount) == words


def test_format_vnd_uses_dots_between_thousands():
    assert format_vnd(0) == "0"
    assert format_vnd(10000) == "10.000"
    assert format_vnd(1234567) == "1.234.567"


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError):
        vnd_in_words(-1)
