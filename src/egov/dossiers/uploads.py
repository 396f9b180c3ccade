"""Checks on uploaded papers: by content, not by name, with a size limit and a SHA-256 checksum.

Only PDF, JPEG and PNG are accepted (the formats the one-stop shop can open and archive). A file is
judged by what it is, never by its name or the browser's content type:

* a PDF must parse (pypdf), must not be encrypted (an ``/Encrypt`` entry in the trailer: an officer
  could not open or archive it) and must carry no active content: JavaScript, launch actions,
  embedded files, additional or automatic actions (``/AA``, an ``/OpenAction`` that is not a plain
  "go to page"), XFA forms, rich media. Such content runs on the officer's machine when the paper is
  opened; a scanned or printed paper never needs it;
* an image must have a well-formed header: the PNG ``IHDR`` chunk (size, bit depth, colour type,
  CRC) and the JPEG frame header (``SOFn``: precision, size, components), not only the magic bytes.

Every refusal is a ``ValidationFailed`` with a Vietnamese message that says what to do, raised before
anything is written.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from egov.core.errors import ValidationFailed

# Signatures of the accepted formats (PDF, JPEG, PNG).
_MAGIC = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)

# PDF names that carry or trigger active content (ISO 32000-1 §12.6 actions, §7.11.4 embedded files,
# §12.7.8 XFA, §13.6 rich media). Found as a key or as a value anywhere in any object.
_ACTIVE_PDF_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/AA",
        "/XFA",
        "/RichMedia",
        "/ImportData",
    }
)
# An /OpenAction may only say where to open the document: a destination array or a /GoTo action.
_HARMLESS_OPEN_ACTIONS = frozenset({"/GoTo"})
# Beyond this many objects a paper is not a scan or a printed form; walking it would cost too much.
_MAX_PDF_OBJECTS = 200_000
# An image larger than this would take a browser's memory when an officer opens it (decompression bomb).
_MAX_IMAGE_PIXELS = 100_000_000

# PNG (ISO/IEC 15948 §11.2.2): allowed bit depths per colour type.
_PNG_BIT_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
# JPEG (ITU-T T.81 table B.1): start-of-frame markers, i.e. C0-CF except DHT (C4), JPG (C8), DAC (CC).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})

# A PDF name token, as a raw scan finds it.
_PDF_NAME = re.compile(rb"/[^\s/<>\[\]()%{}]+")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    extension: str
    checksum: str

    @property
    def size(self) -> int:
        return len(self.content)


def check_upload(*, name: str, content: bytes) -> CheckedFile:
    """Accept a PDF, JPEG or PNG no larger than ``EGOV_MAX_UPLOAD_BYTES`` whose content is what it
    claims and carries nothing active; refuse anything else. The receiving agency must be able to open,
    check and archive every paper it is given (DESIGN.md: dossiers keep their papers' bytes for good)."""
    limit = settings.EGOV_MAX_UPLOAD_BYTES
    if not content:
        raise ValidationFailed(_("Tệp “%(name)s” rỗng.") % {"name": name}, code="empty_file")
    if len(content) > limit:
        raise ValidationFailed(
            _("Tệp “%(name)s” quá lớn (%(size)s MB); tối đa %(limit)s MB.")
            % {"name": name, "size": round(len(content) / 1048576, 1), "limit": round(limit / 1048576, 1)},
            code="file_too_large",
        )
    head = content[:16]
    for magic, content_type, extension in _MAGIC:
        if head.startswith(magic):
            if content_type == "application/pdf":
                _check_pdf(name, content)
            elif content_type == "image/png":
                _check_png(name, content)
            else:
                _check_jpeg(name, content)
            return CheckedFile(content, content_type, extension, hashlib.sha256(content).hexdigest())
    raise ValidationFailed(
        _("Tệp “%(name)s” không đúng định dạng: chỉ nhận PDF, JPEG hoặc PNG.") % {"name": name},
        code="unsupported_file_type",
    )


def read_upload(uploaded) -> bytes:
    """Read a Django ``UploadedFile`` without loading more than the limit plus one byte."""
    limit = settings.EGOV_MAX_UPLOAD_BYTES
    data = uploaded.read(limit + 1)
    return data


# ---- PDF ---------------------------------------------------------------------------------------------


def _broken_pdf(name: str) -> ValidationFailed:
    return ValidationFailed(
        _(
            "Tệp “%(name)s” bị hỏng hoặc không phải tệp PDF hoàn chỉnh. Hãy mở tệp trên máy để kiểm tra, "
            "rồi lưu hoặc quét lại thành PDF và tải lên lần nữa."
        )
        % {"name": name},
        code="bad_file",
    )


def _active_pdf(name: str) -> ValidationFailed:
    return ValidationFailed(
        _(
            "Tệp “%(name)s” có chứa mã lệnh (JavaScript), thao tác tự động hoặc tệp đính kèm bên trong nên "
            "không được nhận. Hãy in tệp ra PDF (chọn máy in “Microsoft Print to PDF” hoặc “Lưu dưới dạng "
            "PDF”) rồi tải bản mới lên."
        )
        % {"name": name},
        code="pdf_active_content",
    )


def _check_pdf(name: str, content: bytes) -> None:
    # A file cut short in transfer lacks the end-of-file marker; pypdf would otherwise try to repair it.
    if b"%%EOF" not in content[-2048:]:
        raise _broken_pdf(name)
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        encrypted = reader.is_encrypted
    # A hostile or broken file can make the parser raise almost anything; each means "cannot read it".
    except Exception as exc:
        raise _broken_pdf(name) from exc
    if encrypted:
        raise ValidationFailed(
            _(
                "Tệp “%(name)s” được đặt mật khẩu hoặc mã hóa nên cơ quan không mở và lưu trữ được. Hãy bỏ "
                "mật khẩu (hoặc in lại ra PDF) rồi tải lên."
            )
            % {"name": name},
            code="encrypted_pdf",
        )
    try:
        if len(reader.pages) < 1:
            raise _broken_pdf(name)
        active = _pdf_has_active_content(reader)
    except ValidationFailed:
        raise
    except Exception as exc:
        raise _broken_pdf(name) from exc
    if active or _raw_pdf_has_active_names(content):
        raise _active_pdf(name)


def _pdf_has_active_content(reader) -> bool:
    """Walk every object the cross-reference tables know (plain and in object streams) and the trailer,
    looking for an active name as a key or a value, or an /OpenAction that does more than open a page."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    refs: list[tuple[int, int]] = [
        (number, generation) for generation, numbers in reader.xref.items() for number in numbers
    ]
    refs += [(number, 0) for number in reader.xref_objStm]
    if len(refs) > _MAX_PDF_OBJECTS:
        return True
    roots: list = [reader.trailer]
    for number, generation in refs:
        roots.append(reader.get_object(IndirectObject(number, generation, reader)))
    # Iterative, not recursive: a hostile file can nest arrays deeper than Python's stack.
    stack = roots
    seen = 0
    while stack:
        obj = stack.pop()
        seen += 1
        if seen > 50 * _MAX_PDF_OBJECTS:
            return True
        if isinstance(obj, NameObject):
            if str(obj) in _ACTIVE_PDF_NAMES:
                return True
        elif isinstance(obj, DictionaryObject):  # streams are dictionaries too: their data is not walked
            for key, value in obj.items():
                if str(key) in _ACTIVE_PDF_NAMES:
                    return True
                if key == "/OpenAction" and not _harmless_open_action(value):
                    return True
                if not isinstance(value, IndirectObject):
                    stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(item for item in obj if not isinstance(item, IndirectObject))
    return False


def _harmless_open_action(value) -> bool:
    """A destination (``[page /Fit]``) or a /GoTo action; anything else (URI, Launch, JavaScript, ...)
    acts on its own when the file is opened."""
    from pypdf.generic import ArrayObject, DictionaryObject

    value = value.get_object() if hasattr(value, "get_object") else value
    if isinstance(value, ArrayObject):
        return True
    if isinstance(value, DictionaryObject):
        return str(value.get("/S", "")) in _HARMLESS_OPEN_ACTIONS and "/Next" not in value
    return False


def _raw_pdf_has_active_names(content: bytes) -> bool:
    """The same names searched in the file's own syntax (stream bodies left out), so an object that the
    cross-reference table hides, but a lenient reader would find by scanning, is caught too. Names
    written with ``#xx`` escapes (``/J#61vaScript``) are decoded first."""
    syntax = _without_streams(content)
    for match in _PDF_NAME.finditer(syntax):
        token = match.group()
        if b"#" in token:
            token = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), token)
        if token.decode("latin-1") in _ACTIVE_PDF_NAMES:
            return True
    return False


def _without_streams(content: bytes) -> bytes:
    """The file with stream bodies left out (their bytes are data, not syntax). One pass with ``find``:
    a regular expression would rescan to the end for every "stream" without an "endstream"."""
    parts, position = [], 0
    while True:
        start = content.find(b"stream", position)
        if start < 0:
            parts.append(content[position:])
            break
        if content[max(0, start - 3) : start] == b"end":  # the tail of an "endstream"
            parts.append(content[position : start + 6])
            position = start + 6
            continue
        end = content.find(b"endstream", start + 6)
        if end < 0:
            parts.append(content[position:start])
            break
        parts.append(content[position:start])
        position = end + 9
    return b" ".join(parts)


# ---- images ------------------------------------------------------------------------------------------


def _broken_image(name: str, kind: str) -> ValidationFailed:
    return ValidationFailed(
        _(
            "Tệp ảnh “%(name)s” bị hỏng hoặc không phải ảnh %(kind)s hợp lệ. Hãy chụp hoặc quét lại giấy tờ "
            "và tải lên lần nữa."
        )
        % {"name": name, "kind": kind},
        code="bad_file",
    )


def _check_png(name: str, content: bytes) -> None:
    """The IHDR chunk must come first with valid fields and CRC; chunks must chain to IEND."""
    if len(content) < 8 + 25 + 12:
        raise _broken_image(name, "PNG")
    length, chunk_type = struct.unpack(">I4s", content[8:16])
    if length != 13 or chunk_type != b"IHDR":
        raise _broken_image(name, "PNG")
    data = content[16:29]
    (crc,) = struct.unpack(">I", content[29:33])
    if zlib.crc32(b"IHDR" + data) != crc:
        raise _broken_image(name, "PNG")
    width, height, depth, colour, compression, filter_method, interlace = struct.unpack(">IIBBBBB", data)
    if (
        not (0 < width < 2**31 and 0 < height < 2**31)
        or width * height > _MAX_IMAGE_PIXELS
        or depth not in _PNG_BIT_DEPTHS.get(colour, ())
        or compression != 0
        or filter_method != 0
        or interlace not in (0, 1)
    ):
        raise _broken_image(name, "PNG")
    # Walk the chunk lengths: a truncated or padded file does not land exactly on IEND.
    position, has_data = 8, False
    end = len(content)
    while position + 12 <= end:
        length, chunk_type = struct.unpack(">I4s", content[position : position + 8])
        if length > end:
            raise _broken_image(name, "PNG")
        has_data = has_data or chunk_type == b"IDAT"
        position += 12 + length
        if chunk_type == b"IEND":
            break
    if position != end or content[-12:] != _PNG_IEND or not has_data:
        raise _broken_image(name, "PNG")


def _check_jpeg(name: str, content: bytes) -> None:
    """Walk the marker segments up to the scan: a frame header (SOFn) with sane values must come first,
    and the image must end with EOI."""
    position, end = 2, len(content)
    frame = False
    while position < end:
        if content[position] != 0xFF:
            raise _broken_image(name, "JPEG")
        while position < end and content[position] == 0xFF:  # fill bytes
            position += 1
        if position >= end:
            break
        marker = content[position]
        position += 1
        if marker in _JPEG_STANDALONE:
            continue
        if marker in (0xD8, 0xD9) or position + 2 > end:
            raise _broken_image(name, "JPEG")
        (length,) = struct.unpack(">H", content[position : position + 2])
        if length < 2 or position + length > end:
            raise _broken_image(name, "JPEG")
        segment = content[position + 2 : position + length]
        if marker in _JPEG_SOF:
            if len(segment) < 6:
                raise _broken_image(name, "JPEG")
            precision, height, width, components = struct.unpack(">BHHB", segment[:6])
            if (
                precision not in (8, 12, 16)
                or not (height and width)
                or width * height > _MAX_IMAGE_PIXELS
                or not 1 <= components <= 4
                or len(segment) != 6 + 3 * components
            ):
                raise _broken_image(name, "JPEG")
            for index in range(components):
                sampling = segment[6 + 3 * index + 1]
                if not (1 <= sampling >> 4 <= 4 and 1 <= sampling & 0x0F <= 4):
                    raise _broken_image(name, "JPEG")
            frame = True
        elif marker == 0xDA:  # start of scan: entropy-coded data follows, up to EOI
            if not frame or content.rfind(b"\xff\xd9") <= position + length:
                raise _broken_image(name, "JPEG")
            return
        position += length
    raise _broken_image(name, "JPEG")
