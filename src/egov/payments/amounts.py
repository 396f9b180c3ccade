"""Amounts of money as receipts print them: ``20.000 đồng`` and ``Hai mươi nghìn đồng``.

A receipt states the amount both in figures and in words; the words follow the reading used on
Vietnamese financial documents: ``linh`` for a zero tens digit, ``mốt`` (21, 31 …), ``lăm`` (15, 25 …),
``mười`` (10-19), ``không trăm`` inside a number, and scales nghìn, triệu, tỷ (then nghìn tỷ …).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
_SCALES = ["", "nghìn", "triệu"]


def format_vnd(amount: int) -> str:
    """``20000`` -> ``20.000`` (dot as the thousands separator)."""
    return f"{int(amount):,}".replace(",", ".")


def _triple(number: int, *, leading: bool) -> list[str]:
    """Words of 0-999; ``leading`` is False inside a larger number, where a zero hundreds is read."""
    hundreds, rest = divmod(number, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or not leading:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(_DIGITS[units])
    return words


def _below_billion(number: int, *, leading: bool) -> list[str]:
    groups = []
    while number:
        number, group = divmod(number, 1000)
        groups.append(group)
    words: list[str] = []
    for position in range(len(groups) - 1, -1, -1):
        group = groups[position]
        if group == 0:
            continue
        first = leading and not words
        words += _triple(group, leading=first)
        if _SCALES[position]:
            words.append(_SCALES[position])
    return words


def _words(number: int, *, leading: bool = True) -> list[str]:
    billions, rest = divmod(number, 1_000_000_000)
    words: list[str] = []
    if billions:
        words += _words(billions, leading=leading) + ["tỷ"]
    if rest:
        words += _below_billion(rest, leading=leading and not billions)
    return words


def vnd_in_words(amount: int) -> str:
    """``20000`` -> ``Hai mươi nghìn đồng``; ``1000005`` -> ``Một triệu không trăm linh năm đồng``."""
    amount = int(amount)
    if amount < 0:
        raise ValueError("amount must not be negative")
    words = " ".join(_words(amount)) if amount else _DIGITS[0]
    return (words[0].upper() + words[1:] + " " + _("đồng")).strip()
