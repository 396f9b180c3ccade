"""Fixtures of the signing tests: one development CA per test session in a temporary directory.

The CA (two RSA-3072 keys) is made once; certificates are issued per test into the test's database.
``settings.EGOV_SIGNING_DIR`` points every test at that directory, so nothing is written to ``var/``.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from egov.accounts.choices import Role
from egov.signing import ca, services
from egov.testing.factories import AgencyFactory, officer


@pytest.fixture(scope="session")
def dev_ca(tmp_path_factory) -> ca.DevCertificateAuthority:
    authority = ca.DevCertificateAuthority(tmp_path_factory.mktemp("signing"))
    # Backdated a year, so that tests can sign "in the past" with certificates the CA issued then.
    authority.ensure(valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(days=365))
    return authority


@pytest.fixture(autouse=True)
def _signing_dir(settings, dev_ca):
    settings.EGOV_SIGNING_DIR = str(dev_ca.directory)
    settings.EGOV_PUBLIC_URL = "http://egov.test"
    yield


@pytest.fixture
def agency(db):
    return AgencyFactory(name="Ủy ban nhân dân xã Thanh Sơn", abbreviation="UBND", code="000.00.15.H26")


@pytest.fixture
def leader(agency):
    user = officer(agency, Role.LEADER, username="lanhdao")
    user.full_name = "Nguyễn Thị Hằng"
    user.save(update_fields=["full_name"])
    return user


@pytest.fixture
def leader_cert(leader):
    return services.certificate_issue(user=leader)


@pytest.fixture
def seal_cert(agency):
    return services.certificate_issue(agency=agency)


def make_pdf(text: str = "QUYET DINH so 15/QD-UBND") -> bytes:
    """A one-page A4 PDF with uncompressed content, so a test can find and change its bytes."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    pdf.setTitle("Quyet dinh thu nghiem")
    pdf.drawString(72, 760, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.fixture
def one_page_pdf() -> bytes:
    return make_pdf()


def stamp_texts(pdf: bytes) -> dict[str, str]:
    """Text of each signature widget's appearance, by field name, extracted with pypdf.

    Widget appearances are not part of the page content, so each one is drawn on a blank page of its
    own (``/Ap Do``) and that page's text is extracted the way a reader would copy it.
    """
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    texts = {}
    for page in reader.pages:
        for annot in page.get("/Annots", []) or []:
            widget = annot.get_object()
            if widget.get("/FT") != "/Sig" or "/AP" not in widget:
                continue
            appearance = widget["/AP"]["/N"]
            x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
            blank = writer.add_blank_page(width=max(abs(x2 - x1), 1), height=max(abs(y2 - y1), 1))
            blank[NameObject("/Resources")] = DictionaryObject(
                {NameObject("/XObject"): DictionaryObject({NameObject("/Ap"): appearance.indirect_reference})}
            )
            content = DecodedStreamObject()
            content.set_data(b"/Ap Do")
            blank[NameObject("/Contents")] = writer._add_object(content)
            texts[str(widget["/T"])] = blank.extract_text()
    return texts


def widget_rects(pdf: bytes) -> dict[str, tuple[float, float, float, float]]:
    reader = PdfReader(io.BytesIO(pdf))
    rects = {}
    for page in reader.pages:
        for annot in page.get("/Annots", []) or []:
            widget = annot.get_object()
            if widget.get("/FT") == "/Sig":
                rects[str(widget["/T"])] = tuple(float(v) for v in widget["/Rect"])
    return rects


PDFSIG = shutil.which("pdfsig")
CERTUTIL = shutil.which("certutil")


def nss_db_trusting(root_pem: Path, directory: Path) -> str:
    """An NSS database (for poppler's pdfsig) that trusts ``root_pem`` for signing."""
    directory.mkdir(parents=True, exist_ok=True)
    db = f"sql:{directory}"
    subprocess.run([CERTUTIL, "-N", "-d", db, "--empty-password"], check=True, capture_output=True)
    subprocess.run(
        [CERTUTIL, "-A", "-d", db, "-n", "egov-dev-root", "-t", "CT,C,C", "-i", str(root_pem)],
        check=True,
        capture_output=True,
    )
    return db
