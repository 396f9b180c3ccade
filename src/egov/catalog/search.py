"""Diacritic- and case-insensitive search keys for the catalog.

Citizens type "dang ky khai sinh" on phones without a Vietnamese keyboard, and text pasted from
other systems may be in NFD (base letter + combining marks) instead of NFC; both must find
"Đăng ký khai sinh" (DESIGN.md, integration contract: ``GET /api/v1/procedures?q=``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Procedure

_SPACES = re.compile(r"\s+")
# "đ" is a letter of its own in Unicode, not "d" plus a combining mark, so NFD does not split it.
_D_STROKE = str.maketrans({"đ": "d", "Đ": "d"})


def normalize(text: str | None) -> str:
    """Lower-case ASCII-folded form of ``text``: accents removed, đ/Đ -> d, whitespace collapsed."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", str(text).translate(_D_STROKE))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def query_terms(query: str | None) -> list[str]:
    """The distinct words of a query, normalized; every one must match."""
    seen: list[str] = []
    for word in normalize(query).split(" "):
        if word and word not in seen:
            seen.append(word)
    return seen


def procedure_search_text(procedure: Procedure) -> str:
    """The stored search key of a procedure: its code, name and field (code and name)."""
    field = procedure.field
    return normalize(" ".join([procedure.code, procedure.name, field.code, field.name]))
