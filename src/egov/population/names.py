"""Personal names: one Unicode form for storage, an ASCII-folded key for search.

Names arrive from many systems, some in NFD (base letter + combining marks) or with stray spaces; the
registry stores NFC with single spaces, so the same name is always the same string. Officers and citizens
search without diacritics ("nguyen van an"), hence ``full_name_search``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from django.utils.translation import gettext as _

FULL_NAME_MAX = 100
_SPACES = re.compile(r"\s+")
# Digits and control characters never belong in a name; everything else (hyphens, apostrophes as in
# "H'Hen Niê", letters of every script) may.
_NOT_IN_NAME = re.compile(r"[\d\x00-\x1f\x7f-\x9f]")
# "đ" is a letter of its own in Unicode, not "d" plus a combining mark, so NFD does not split it.
_D_STROKE = str.maketrans({"đ": "d", "Đ": "d"})


def clean_name(text: str) -> str:
    """NFC, whitespace collapsed to single spaces, trimmed."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "  " in text or "\t" in text or "\n" in text or "\r" in text or "\xa0" in text:
        return _SPACES.sub(" ", text).strip()
    return text.strip()


@lru_cache(maxsize=131072)
def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.translate(_D_STROKE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def search_key(name: str) -> str:
    """Lower-case, accent-free form of a cleaned name: "Đỗ Thị Ánh" -> "do thi anh".

    Folded word by word through a cache: Vietnamese names are drawn from a few thousand syllables, so a
    10-million-row import folds each syllable once instead of once per row.
    """
    return " ".join(map(_fold_word, name.split(" ")))


def name_problem(name: str) -> str | None:
    """What is wrong with a cleaned full name, as a Vietnamese message, or ``None``."""
    if not name:
        return _("Thiếu họ và tên.")
    if len(name) > FULL_NAME_MAX:
        return _("Họ và tên dài quá %(n)d ký tự.") % {"n": FULL_NAME_MAX}
    if _NOT_IN_NAME.search(name):
        return _("Họ và tên không được chứa chữ số hoặc ký tự điều khiển.")
    return None
