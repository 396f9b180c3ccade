"""Where the visible signatures of an outgoing document go on its PDF (Decree 30/2020 Appendix I).

* §II.7(d): the authorised person's signature image sits centred between the signer's position line and
  their name, in the signature block, which is on the last page of the document (after the content, in
  the right-hand column, "Nơi nhận" on the left);
* §II.8(a): the agency's seal overlaps about a third of that signature image, on its left
  (``egov.signing.stamp.seal_box``).

The drafter's PDF is laid out by the drafter, so the block is looked for in the text of the last page:
the lowest line holding the signer's name (compared without diacritics or case) and the nearest line above
it in the same column (the position line). A PDF without extractable text, or without the name, gets the
stamp where the block usually is: the middle of the right half of the text area, just above the bottom
margin of the last page.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from pypdf import PdfReader

from egov.catalog.search import normalize

logger = logging.getLogger(__name__)

Box = tuple[float, float, float, float]

MM = 72 / 25.4
STAMP_WIDTH = 200.0
STAMP_HEIGHT = 110.0
MIN_HEIGHT = 80.0
MAX_HEIGHT = 140.0
# Margins of Appendix I: left 30-35 mm, right 15-20 mm, bottom 20-25 mm.
LEFT_MARGIN = 30 * MM
RIGHT_MARGIN = 20 * MM
BOTTOM_MARGIN = 25 * MM
# A position line is looked for at most this far above the name (a block is a few centimetres tall).
MAX_GAP = 200.0
A4 = (595.28, 841.89)


@dataclass(frozen=True)
class Placement:
    """Page (0-based) and box (x1, y1, x2, y2 in points) of a visible signature."""

    page: int
    box: Box
    found: bool
    """True when the box was placed from the signer's name found in the page's text."""


@dataclass(frozen=True)
class _Run:
    text: str
    x: float
    y: float
    size: float

    @property
    def width(self) -> float:
        # pypdf gives no glyph widths; half an em per character is close for Times/DejaVu at text sizes.
        return len(self.text) * self.size * 0.5


def _reader(pdf: bytes) -> PdfReader | None:
    try:
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        if reader.is_encrypted or not reader.pages:
            return None
        return reader
    except Exception:  # noqa: BLE001 - an unreadable PDF only loses the placement; pdf_sign reports it
        logger.info("could not read the PDF to place the signature", exc_info=True)
        return None


def _page_size(page) -> tuple[float, float]:
    try:
        box = page.mediabox
        return abs(float(box.width)), abs(float(box.height))
    except Exception:  # noqa: BLE001 - a broken MediaBox: the decree's paper
        return A4


def _runs(page) -> list[_Run]:
    runs: list[_Run] = []

    def visit(text, cm, tm, _font, font_size) -> None:
        text = (text or "").strip()
        if not text:
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[3] * cm[3]) or 1.0
        runs.append(_Run(text=text, x=float(x), y=float(y), size=float(font_size or 12) * scale))

    try:
        page.extract_text(visitor_text=visit)
    except Exception:  # noqa: BLE001 - text we cannot read is text we cannot place by
        logger.info("could not extract the text of the signature page", exc_info=True)
        return []
    return runs


def default_box(page_width: float, page_height: float) -> Box:
    """The usual place of the signature block: centred on the right half of the text area, above the
    bottom margin with room for the printed name under the stamp."""
    centre = LEFT_MARGIN + (page_width - LEFT_MARGIN - RIGHT_MARGIN) * 3 / 4
    y1 = BOTTOM_MARGIN + 16
    return (centre - STAMP_WIDTH / 2, y1, centre + STAMP_WIDTH / 2, y1 + STAMP_HEIGHT)


def _clamp(box: Box, page_width: float, page_height: float) -> Box:
    x1, y1, x2, y2 = box
    shift_x = min(0.0, page_width - 4 - x2) or max(0.0, 4 - x1)
    shift_y = min(0.0, page_height - 4 - y2) or max(0.0, 4 - y1)
    return (x1 + shift_x, y1 + shift_y, x2 + shift_x, y2 + shift_y)


def _box_from_text(runs: list[_Run], signer_name: str) -> Box | None:
    wanted = normalize(signer_name)
    if not wanted:
        return None
    names = [run for run in runs if wanted in normalize(run.text)]
    if not names:
        return None
    # The signature block closes the document: the lowest occurrence is the one under the signature.
    name = min(names, key=lambda run: run.y)
    centre = name.x + name.width / 2
    left, right = centre - STAMP_WIDTH / 2, centre + STAMP_WIDTH / 2
    top_of_name = name.y + name.size
    above = [
        run
        for run in runs
        if top_of_name < run.y <= top_of_name + MAX_GAP and run.x < right and run.x + run.width > left
    ]
    if above:
        position_line = min(above, key=lambda run: run.y)
        gap_bottom, gap_top = top_of_name + 2, position_line.y - position_line.size * 0.25 - 2
    else:
        gap_bottom, gap_top = top_of_name + 2, top_of_name + 2 + STAMP_HEIGHT
    height = min(max(gap_top - gap_bottom, MIN_HEIGHT), MAX_HEIGHT)
    middle = (gap_bottom + gap_top) / 2
    return (left, middle - height / 2, right, middle + height / 2)


def leader_signature_placement(pdf: bytes, *, signer_names: Iterable[str]) -> Placement:
    """Where the leader's visible signature goes (§II.7(d)): last page, between position and name.

    ``signer_names``: the ways the signer's name may be printed (as typed on the draft, the account's
    name, the certificate's), tried in order."""
    reader = _reader(pdf)
    if reader is None:
        return Placement(page=-1, box=default_box(*A4), found=False)
    index = len(reader.pages) - 1
    page = reader.pages[index]
    width, height = _page_size(page)
    runs = _runs(page)
    box = None
    for name in dict.fromkeys(n for n in signer_names if n and n.strip()):
        box = _box_from_text(runs, name)
        if box is not None:
            break
    if box is None:
        return Placement(page=index, box=default_box(width, height), found=False)
    return Placement(page=index, box=_clamp(box, width, height), found=True)


def visible_signatures(pdf: bytes) -> list[tuple[int, str, Box]]:
    """Signature widgets with a visible box, as ``(page, field name, box)``, in page and file order."""
    reader = _reader(pdf)
    found: list[tuple[int, str, Box]] = []
    if reader is None:
        return found
    for index, page in enumerate(reader.pages):
        try:
            annotations = page.get("/Annots") or []
            for annotation in annotations:
                widget = annotation.get_object()
                field = widget if "/FT" in widget else (widget.get("/Parent") or {})
                if hasattr(field, "get_object"):
                    field = field.get_object()
                if field.get("/FT") != "/Sig" or "/Rect" not in widget:
                    continue
                x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
                box = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
                if box[2] - box[0] > 1 and box[3] - box[1] > 1:
                    found.append((index, str(field.get("/T", "")), box))
        except Exception:  # noqa: BLE001 - a malformed annotation is skipped, the others still count
            logger.info("unreadable annotation on page %s", index + 1, exc_info=True)
    return found


def seal_anchor(pdf: bytes, *, signer_names: Iterable[str]) -> Placement:
    """The signature the agency's seal overlaps (§II.8(a)): the last visible signature in the file (the
    leader's, made by ``outgoing_sign_digitally``), else where that signature would have gone."""
    shown = visible_signatures(pdf)
    if shown:
        page, _name, box = shown[-1]
        return Placement(page=page, box=box, found=True)
    return leader_signature_placement(pdf, signer_names=signer_names)
