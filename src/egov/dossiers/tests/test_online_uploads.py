"""Upload checks by content (egov.dossiers.uploads) with real files made in the test: a PDF with
JavaScript, an encrypted PDF, a truncated PDF, a PNG with a broken header, a program renamed .pdf, a file
over the limit. Each is refused with a Vietnamese message and nothing is written."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from egov.core.errors import ValidationFailed
from egov.dossiers import services as svc
from egov.dossiers.models import Dossier, DossierDocument
from egov.dossiers.uploads import check_upload, read_upload

Image = pytest.importorskip("PIL.Image")  # Pillow comes with ReportLab; it draws the test images


def writer() -> PdfWriter:
    pdf = PdfWriter()
    pdf.add_blank_page(width=595, height=842)
    return pdf


def to_bytes(pdf: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    pdf.write(buffer)
    return buffer.getvalue()


def image(kind: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 30, 30)).save(buffer, kind, **options)
    return buffer.getvalue()


def refused(name: str, content: bytes) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as err:
        check_upload(name=name, content=content)
    assert name in err.value.message  # the person sees which of their files it is
    return err.value


# ---- accepted -------------------------------------------------------------------------------------------


def test_real_papers_are_accepted_with_their_checksum():
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Giay xac nhan cu tru")
    page.save()
    for name, content, content_type in (
        ("blank.pdf", to_bytes(writer()), "application/pdf"),
        ("scan.pdf", buffer.getvalue(), "application/pdf"),  # compressed content streams
        ("anh.png", image("PNG"), "image/png"),
        ("anh.jpg", image("JPEG"), "image/jpeg"),
        ("anh-progressive.jpg", image("JPEG", progressive=True), "image/jpeg"),
    ):
        checked = check_upload(name=name, content=content)
        assert checked.content_type == content_type and len(checked.checksum) == 64


def test_an_open_action_that_only_shows_the_first_page_is_accepted():
    pdf = writer()
    pdf._root_object[NameObject("/OpenAction")] = ArrayObject(
        [pdf.pages[0].indirect_reference, NameObject("/Fit")]
    )
    assert check_upload(name="mo-trang-1.pdf", content=to_bytes(pdf)).content_type == "application/pdf"


# ---- PDFs refused ---------------------------------------------------------------------------------------


def test_encrypted_pdf_is_refused():
    for user_password in ("", "bi-mat"):  # an empty user password still means an /Encrypt dictionary
        pdf = writer()
        pdf.encrypt(user_password, "chu-so-huu", algorithm="AES-128")
        error = refused("co-mat-khau.pdf", to_bytes(pdf))
        assert error.code == "encrypted_pdf"
        assert "đặt mật khẩu hoặc mã hóa" in error.message


def test_pdf_with_open_action_javascript_is_refused():
    pdf = writer()
    pdf._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )
    error = refused("to-khai.pdf", to_bytes(pdf))
    assert error.code == "pdf_active_content"
    assert "JavaScript" in error.message and "in tệp ra PDF" in error.message


def test_pdf_with_document_javascript_is_refused():
    # pypdf's add_open_action (add_js before 7.0) writes the document-level JavaScript name tree.
    pdf = writer()
    pdf.add_open_action(JavaScript("this.print({bUI:true});"))
    assert refused("js.pdf", to_bytes(pdf)).code == "pdf_active_content"


def test_pdf_with_launch_action_embedded_file_or_page_actions_is_refused():
    launch = writer()
    launch._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
    )
    attached = writer()
    attached.add_attachment("hoa-don.exe", b"MZ\x90\x00")
    page_action = writer()
    page_action.pages[0][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): DictionaryObject({NameObject("/S"): NameObject("/GoTo")})}
    )
    for name, pdf in (("launch.pdf", launch), ("dinh-kem.pdf", attached), ("aa.pdf", page_action)):
        assert refused(name, to_bytes(pdf)).code == "pdf_active_content"


def test_javascript_hidden_outside_the_cross_reference_table_is_refused():
    # GIVEN a valid PDF followed by an object no cross-reference table lists, with names written in
    # #xx escapes (/J#61vaScript is /JavaScript), and the original startxref repeated
    content = to_bytes(writer())
    offset = re.findall(rb"startxref\s+(\d+)", content)[-1]
    content += (
        b"9 0 obj\n<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>\nendobj\nstartxref\n"
        + offset
        + b"\n%%EOF\n"
    )
    # THEN it is refused all the same (a lenient reader finds such objects by scanning)
    assert refused("an.pdf", content).code == "pdf_active_content"


def test_truncated_or_unparsable_pdf_is_refused():
    content = to_bytes(writer())
    truncated = refused("cat-ngang.pdf", content[: len(content) // 2])
    assert truncated.code == "bad_file" and "bị hỏng" in truncated.message
    # A header and an end marker around nothing pypdf can read
    assert refused("gia.pdf", b"%PDF-1.7\nthis is not really a pdf\n%%EOF").code == "bad_file"


def test_a_file_full_of_stream_keywords_is_judged_quickly():
    # The raw scan is one pass: 7 MB of "stream" without "endstream" must not take quadratic time.
    import time

    content = b"%PDF-1.4\n" + b"stream\n" * 1_000_000 + b"%%EOF\n"
    started = time.monotonic()
    assert refused("streams.pdf", content).code == "bad_file"
    assert time.monotonic() - started < 10


# ---- images and other files refused -------------------------------------------------------------------------


def _with_ihdr(png: bytes, *, width: int, fix_crc: bool) -> bytes:
    data = bytearray(png)
    ihdr = bytearray(data[16:29])
    ihdr[0:4] = struct.pack(">I", width)
    data[16:29] = ihdr
    if fix_crc:
        data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)))
    return bytes(data)


def test_png_with_a_bad_ihdr_is_refused():
    png = image("PNG")
    for content in (_with_ihdr(png, width=0, fix_crc=True), _with_ihdr(png, width=65, fix_crc=False)):
        error = refused("anh-hong.png", content)
        assert error.code == "bad_file" and "ảnh PNG" in error.message
    # The magic bytes alone are not enough
    assert refused("chi-co-dau.png", png[:8] + b"\x00" * 200).code == "bad_file"
    assert refused("cat-ngang.png", png[:-20]).code == "bad_file"


def test_jpeg_without_a_frame_header_or_cut_short_is_refused():
    jpeg = image("JPEG")
    no_frame = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
    assert refused("khong-khung.jpg", no_frame).code == "bad_file"
    assert refused("cat-ngang.jpg", jpeg[: len(jpeg) // 2]).code == "bad_file"


def test_program_renamed_pdf_is_refused():
    program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"This program cannot be run in DOS mode.\r\n" * 20
    error = refused("giay-khai-sinh.pdf", program)
    assert error.code == "unsupported_file_type"
    assert "chỉ nhận PDF, JPEG hoặc PNG" in error.message


def test_oversize_file_is_refused_without_reading_it_all(settings):
    settings.EGOV_MAX_UPLOAD_BYTES = 2048
    big = image("PNG") + b"\x00" * 4096
    upload = SimpleUploadedFile("to.png", big)
    content = read_upload(upload)
    assert len(content) == 2049  # the limit plus one byte, no more
    error = refused("to.png", content)
    assert error.code == "file_too_large" and "tối đa" in error.message


# ---- nothing written -------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["encrypted", "javascript", "truncated", "png", "exe", "oversize"])
def test_a_refused_paper_writes_nothing(office, settings, tmp_path, bad):
    settings.MEDIA_ROOT = tmp_path
    settings.EGOV_MAX_UPLOAD_BYTES = 200_000
    encrypted = writer()
    encrypted.encrypt("", "x")
    script = writer()
    script.add_open_action(JavaScript("app.alert(1)"))
    bad_files = {
        "encrypted": ("a.pdf", to_bytes(encrypted)),
        "javascript": ("b.pdf", to_bytes(script)),
        "truncated": ("c.pdf", to_bytes(writer())[:300]),
        "png": ("d.png", _with_ihdr(image("PNG"), width=0, fix_crc=True)),
        "exe": ("e.pdf", b"MZ" + b"\x00" * 100),
        "oversize": ("f.pdf", to_bytes(writer()) + b"%" * 200_001),
    }
    name, content = bad_files[bad]
    required = list(office.offering.procedure.required_documents.filter(mandatory=True).order_by("position"))
    documents = [
        # The good paper first: it is checked, but not stored before every paper has passed.
        svc.DocumentInput(
            required_document_id=required[0].pk, file=SimpleUploadedFile("ok.pdf", to_bytes(writer()))
        ),
        svc.DocumentInput(required_document_id=required[1].pk, file=SimpleUploadedFile(name, content)),
    ]
    with pytest.raises(ValidationFailed) as err:
        svc.dossier_submit(
            offering=office.offering, applicant=svc.ApplicantInput(name="Lê Văn Dân"), documents=documents
        )
    assert name in err.value.message
    assert not Dossier.objects.exists() and not DossierDocument.objects.exists()
    assert not any(path.is_file() for path in tmp_path.rglob("*"))
