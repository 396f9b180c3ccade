"""The visible part of a signature: stamp text, signature and seal images, and where they go.

Decree 30/2020 Appendix I (reference/vn-standards.md §5.7):

* §II.7(d): the authorised person's signature shows their handwritten signature, blue, PNG with a
  transparent background;
* §II.8(a): the agency's signature shows its seal, red, at its actual size, PNG with a transparent
  background, overlapping about 1/3 of the person's signature image on its left (``seal_box``);
* §II.8(b): attachments carry the agency signature at the top right of the first page with no image,
  only text: number and notation and the signing time with the Vietnam time zone in ISO 8601
  (``default_box`` and a text-only stamp).

Text is set in DejaVu (``settings.EGOV_PDF_FONT_DIRS``) through pyHanko's OpenType engine
(``GlyphAccumulatorFactory``, HarfBuzz shaping, embedded subset with a ToUnicode map), so Vietnamese
renders and can be copied and searched. The decree asks for Times New Roman; DejaVu Serif is the
closest free font with every Vietnamese glyph. Before use the font is cut down once to the Latin and
Vietnamese characters, stripped of hinting and OpenType layout tables, and rescaled to 1000 units per
em (cached under ``EGOV_SIGNING_DIR/fonts``): pyHanko subsets the font again for every signature, which
such a font makes ~10 times faster, and pyHanko's CID font widths are only right for 1000-unit fonts.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import math
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import StaticStampStyle, TextStampStyle
from pyhanko.stamp.base import BaseStampStyle

from egov.core.errors import ValidationFailed

from . import ca, conf

STAMP_FONT_FILE = "DejaVuSerif.ttf"
IMAGE_FONT_FILE = "DejaVuSans-Bold.ttf"
STAMP_FONT_SIZE = 8
MM = 72 / 25.4
# Blue for a person's signature (§II.7(d)), red for a seal (§II.8(a)).
SIGNATURE_BLUE = (0, 51, 170, 255)
SEAL_RED = (210, 20, 20, 255)
# A round seal of a commune or provincial People's Committee is about 35-40 mm across.
SEAL_SIZE_PT = 36 * MM

# The characters a stamp can need: ASCII, Latin-1, Latin Extended-A (foreign names), ơ Ơ ư Ư, the
# Vietnamese tone marks, Latin Extended Additional (ạ ả ấ ầ ẩ ẫ ậ ... ỹ), dashes, quotes, ellipsis,
# the đồng sign, the numero sign. Kept small on purpose: pyHanko keeps every glyph slot of the font
# when it subsets it for a signature, so each glyph here costs time on every visible signature.
_VIETNAMESE_RANGES = (
    range(0x20, 0x7F),
    range(0xA0, 0x180),
    (0x1A0, 0x1A1, 0x1AF, 0x1B0),
    (0x300, 0x301, 0x303, 0x309, 0x323),
    range(0x1EA0, 0x1EFA),
    range(0x2010, 0x2027),
    (0x2030, 0x20AB, 0x2116),
)

Box = tuple[float, float, float, float]
_SUBSET_VERSION = 3


# ---- fonts ------------------------------------------------------------------------------------
def _find_font(filename: str) -> Path:
    dirs = conf.font_dirs()
    for directory in dirs:
        candidate = Path(directory) / filename
        if candidate.is_file():
            return candidate
    raise ImproperlyConfigured(
        f"Font {filename} not found in settings.EGOV_PDF_FONT_DIRS={dirs!r}: install Debian's "
        "fonts-dejavu-core or point EGOV_PDF_FONT_DIRS to a directory holding it."
    )


_font_lock = threading.Lock()

# pyHanko subsets the stamp font on every visible signature and fontTools logs each step at INFO:
# dozens of lines per signature. Quietened here unless the deployment's LOGGING set a level itself.
if logging.getLogger("fontTools").level == logging.NOTSET:
    logging.getLogger("fontTools").setLevel(logging.WARNING)


@functools.cache
def _subset_font_path(source: str, mtime_ns: int, size: int) -> str:
    try:
        from fontTools import subset
        from fontTools.ttLib.scaleUpem import scale_upem
    except ImportError as exc:  # pragma: no cover - a deployment without pyHanko[opentype]
        raise ImproperlyConfigured(
            "Visible signatures need pyHanko's OpenType support: pip install 'pyHanko[opentype]' "
            "(fonttools and uharfbuzz)."
        ) from exc
    # The options below are part of the name, so changing them never reuses an old cached file.
    digest = hashlib.sha256(f"{_SUBSET_VERSION}:{source}:{mtime_ns}:{size}".encode()).hexdigest()[:16]
    target = conf.signing_dir() / "fonts" / f"{Path(source).stem}-vi-{digest}.ttf"
    with _font_lock:
        if not target.is_file():
            options = subset.Options()
            options.name_IDs = ["*"]
            options.notdef_outline = True
            # pyHanko subsets the font again for every signature; parsing OpenType layout tables was
            # most of that (~40 ms). Vietnamese needs none of them once text is NFC (every letter has a
            # precomposed glyph, see render_text), so they go, with hinting and FontForge's FFTM table.
            options.layout_features = []
            options.hinting = False
            options.drop_tables += ["FFTM", "GSUB", "GPOS", "GDEF", "MATH", "kern"]
            font = subset.load_font(source, options)
            subsetter = subset.Subsetter(options)
            unicodes: set[int] = set()
            for chars in _VIETNAMESE_RANGES:
                unicodes.update(chars)
            subsetter.populate(unicodes=unicodes)
            subsetter.subset(font)
            # pyHanko writes glyph widths, kerning and the font box in the font's own units, but a PDF
            # CID font measures them in 1/1000 em (ISO 32000-1 §9.7.4.3). DejaVu has 2048 units per em,
            # which would spread every line to twice its width; rescaled to 1000, the units agree.
            if font["head"].unitsPerEm != 1000:
                scale_upem(font, 1000)
            buffer = io.BytesIO()
            font.save(buffer)
            ca._write_atomic(target, buffer.getvalue())
    return str(target)


def stamp_font_path() -> str:
    """Path of the (Vietnamese subset of the) stamp font, built on first use."""
    source = _find_font(STAMP_FONT_FILE)
    st = source.stat()
    return _subset_font_path(str(source), st.st_mtime_ns, st.st_size)


def text_box_style(font_size: int = STAMP_FONT_SIZE) -> TextBoxStyle:
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory

    return TextBoxStyle(
        font=GlyphAccumulatorFactory(stamp_font_path(), font_size=font_size),
        font_size=font_size,
        leading=int(round(font_size * 1.25)),
        text_color=(0, 0, 0),
    )


# ---- images -----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=32)
def _decoded_image(digest: str, data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGBA") if image.mode not in ("RGBA", "LA") else image


def load_png(data: bytes) -> Image.Image:
    """A caller's signature or seal image, refused with a clear message unless it is a real PNG."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValidationFailed(_("Hình ảnh chữ ký phải là tệp PNG (nền trong suốt)."), code="bad_image")
    try:
        return _decoded_image(hashlib.sha256(data).hexdigest(), bytes(data))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ValidationFailed(_("Không đọc được hình ảnh chữ ký PNG."), code="bad_image") from exc


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def signature_image_png(name: str) -> bytes:
    """A stand-in handwritten signature: the name slanted, in blue, with a flourish, on transparency."""
    font = ImageFont.truetype(str(_find_font(IMAGE_FONT_FILE)), 64)
    left, top, right, bottom = font.getbbox(name)
    width, height = right - left + 80, bottom - top + 80
    text = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(text)
    draw.text((40 - left, 30 - top), name, font=font, fill=SIGNATURE_BLUE)
    # Slant like handwriting: x' = x + 0.3 * (height - y).
    slanted = text.transform(
        (width + int(0.3 * height), height),
        Image.Transform.AFFINE,
        (1, 0.3, -0.3 * height, 0, 1, 0),
        resample=Image.Resampling.BICUBIC,
    )
    draw = ImageDraw.Draw(slanted)
    w, h = slanted.size
    points = [(w * t / 40, h - 18 - 10 * math.sin(t / 40 * math.pi * 3)) for t in range(41)]
    draw.line(points, fill=SIGNATURE_BLUE, width=5, joint="curve")
    return _png(slanted)


def seal_image_png(name: str, center: str = "") -> bytes:
    """A stand-in round red seal: two rings, ``name`` around the edge, a star and ``center`` inside."""
    size = 600
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    c = size / 2
    draw.ellipse((8, 8, size - 8, size - 8), outline=SEAL_RED, width=14)
    draw.ellipse((118, 118, size - 118, size - 118), outline=SEAL_RED, width=6)
    font = ImageFont.truetype(str(_find_font(IMAGE_FONT_FILE)), 42)
    label = name.upper()
    radius = c - 62
    # The name runs clockwise along the top, one glyph at a time, each turned to face outwards.
    span = min(300.0, 11.0 * len(label))
    start = -90 - span / 2
    for i, char in enumerate(label):
        angle = start + span * (i + 0.5) / max(len(label), 1)
        glyph = Image.new("RGBA", (60, 60), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((30, 30), char, font=font, fill=SEAL_RED, anchor="mm")
        glyph = glyph.rotate(-(angle + 90), resample=Image.Resampling.BICUBIC)
        x = c + radius * math.cos(math.radians(angle)) - 30
        y = c + radius * math.sin(math.radians(angle)) - 30
        image.alpha_composite(glyph, (int(x), int(y)))
    star = [
        (
            c + (60 if k % 2 == 0 else 24) * math.cos(math.radians(-90 + 36 * k)),
            c - 30 + (60 if k % 2 == 0 else 24) * math.sin(math.radians(-90 + 36 * k)),
        )
        for k in range(10)
    ]
    draw.polygon(star, fill=SEAL_RED)
    if center:
        small = ImageFont.truetype(str(_find_font(IMAGE_FONT_FILE)), 40)
        draw.text((c, c + 70), center.upper()[:14], font=small, fill=SEAL_RED, anchor="mm")
    return _png(image)


# ---- layout -----------------------------------------------------------------------------------
def page_size(mediabox) -> tuple[float, float]:
    x1, y1, x2, y2 = (float(v) for v in mediabox)
    return abs(x2 - x1), abs(y2 - y1)


def default_box(page_width: float, page_height: float) -> Box:
    """Top-right corner of the page (§II.8(b)): inside the right margin, in the top margin band."""
    width, height = 190.0, 46.0
    right, top = 15 * MM, 6 * MM
    return (page_width - right - width, page_height - top - height, page_width - right, page_height - top)


def text_height(lines: int, font_size: int = STAMP_FONT_SIZE) -> float:
    """Height of the text block under the image in a stamp (``build_style``)."""
    return lines * font_size * 1.25 + 4 if lines else 0.0


def seal_box(
    signature_box: Box,
    *,
    seal_size: float = SEAL_SIZE_PT,
    text_lines: int = 3,
    font_size: int = STAMP_FONT_SIZE,
) -> Box:
    """Where the agency seal goes: its right part over the left third of the person's signature image.

    Decree 30/2020 Appendix I §II.8(a): the seal "overlaps about 1/3 of the signature image, on the left".
    The signature box holds the image above ``text_lines`` lines of text (``build_style``); the seal is
    centred on the image part, its right edge one third of the way into the signature box.
    """
    x1, y1, x2, y2 = signature_box
    overlap_right = x1 + (x2 - x1) / 3
    image_bottom = y1 + text_height(text_lines, font_size)
    middle = (y2 + image_bottom) / 2
    return (overlap_right - seal_size, middle - seal_size / 2, overlap_right, middle + seal_size / 2)


@dataclass(frozen=True)
class StampParts:
    text: str
    image: Image.Image | None


def build_style(parts: StampParts, *, font_size: int = STAMP_FONT_SIZE) -> BaseStampStyle:
    """The pyHanko stamp style for a text, an image, or an image above a text."""
    # pyHanko interpolates the stamp text with %-formatting; ours is final, so a literal % must survive.
    text = parts.text.replace("%", "%%")
    if parts.image is not None and not parts.text:
        return StaticStampStyle(
            background=PdfImage(parts.image),
            background_opacity=1.0,
            border_width=0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID,
                # Not 0: with no margin, rounding makes the image "too wide" by 1e-14 and pyHanko warns.
                margins=layout.Margins.uniform(0.5),
            ),
        )
    if parts.image is None:
        return TextStampStyle(
            stamp_text=text,
            text_box_style=text_box_style(font_size),
            border_width=0,
            inner_content_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins.uniform(2),
            ),
        )
    height = text_height(text.count("\n") + 1, font_size)
    return TextStampStyle(
        stamp_text=text,
        text_box_style=text_box_style(font_size),
        border_width=0,
        background=PdfImage(parts.image),
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MAX,
            margins=layout.Margins(left=2, right=2, top=2, bottom=height),
        ),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins.uniform(2),
        ),
    )


def render_text(template: str, values: dict[str, str]) -> str:
    """Fill ``{signer}``, ``{organization}``, ``{signed_at}``, ``{reason}``, ``{location}`` in a template.

    Plain replacement, not ``str.format``: a caller's text with other braces must not break signing.
    The signing time is always shown (§II.8(b)); a template without it gets a line for it.
    """
    text = template
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    if "{signed_at}" not in template:
        text = f"{text}\n{_('Thời gian ký')}: {values['signed_at']}" if text else values["signed_at"]
    # NFC: one precomposed glyph per Vietnamese letter ("ệ", not "e" + two combining marks), which the
    # stamp font has without any OpenType layout tables.
    text = unicodedata.normalize("NFC", text)
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())
