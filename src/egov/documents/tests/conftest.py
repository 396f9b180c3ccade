"""Fixtures for official documents: an agency with units, one officer per role, and a neighbour agency."""

from __future__ import annotations

import datetime as dt
import importlib
import io
from dataclasses import dataclass
from unittest import mock

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from egov.accounts.choices import Role
from egov.accounts.models import RoleAssignment
from egov.core.calendar import LOCAL_TZ
from egov.core.models import Department
from egov.documents import services as svc
from egov.documents.choices import DeliveryChannel, RecipientKind, Secrecy
from egov.documents.models import DocumentType, SecretClearance
from egov.testing.factories import AgencyFactory, officer


def make_pdf(text: str) -> bytes:
    """A real one-page PDF (uploads are parsed, not only sniffed)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.drawString(72, 760, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


PDF = make_pdf("QUYET DINH so 15/QD-UBND")
SIGNED_PDF = make_pdf("QUYET DINH (ban da ky)")
MONDAY_10 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)


def at(moment: dt.datetime):
    """Freeze ``timezone.now()`` (services and selectors read it through django.utils.timezone)."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def doc_type(code: str) -> DocumentType:
    return DocumentType.objects.get(code=code)


@dataclass
class Office:
    agency: object
    office_unit: Department
    culture_unit: Department
    clerk: object
    leader: object
    specialist: object
    colleague: object
    other_agency: object
    other_officer: object

    def register(self, **overrides):
        """An incoming document registered by the clerk (a decision of the provincial People's Committee)."""
        values = {
            "agency": self.agency,
            "actor": self.clerk,
            "issuer_name": "Ủy ban nhân dân tỉnh Phú Thọ",
            "issuer_code": "000.00.00.H26",
            "code_number": "15",
            "code_notation": "QĐ-UBND",
            "document_date": dt.date(2025, 12, 26),
            "document_type": doc_type("quyet_dinh"),
            "subject": "Về việc phê duyệt kế hoạch chuyển đổi số năm 2026",
            "attachments": [("quyet-dinh.pdf", PDF, "application/pdf")],
        }
        values.update(overrides)
        return svc.incoming_register(**values)

    def draft(self, **overrides):
        values = {
            "agency": self.agency,
            "actor": self.specialist,
            "document_type": doc_type("quyet_dinh"),
            "subject": "Về việc thành lập Tổ công tác chuyển đổi số",
            "drafting_department": self.office_unit,
            "recipients": [
                svc.RecipientInput(kind=RecipientKind.INTERNAL, department=self.culture_unit),
                svc.RecipientInput(kind=RecipientKind.AGENCY, organ_id=self.other_agency.code),
            ],
            "content": ("du-thao.pdf", PDF, "application/pdf"),
        }
        values.update(overrides)
        return svc.outgoing_create_draft(**values)

    def signed(self, **overrides):
        """A draft taken through review, approval and signature."""
        document = self.draft(**overrides)
        svc.outgoing_submit_for_review(document=document, actor=self.specialist)
        svc.outgoing_approve(document=document, actor=self.leader)
        return svc.outgoing_mark_signed(
            document=document, actor=self.leader, signed_file=("da-ky.pdf", SIGNED_PDF, "application/pdf")
        )

    def issued(self, **overrides):
        return svc.outgoing_issue(document=self.signed(**overrides), actor=self.clerk)

    def clear(self, user, level: str = Secrecy.TOP_SECRET) -> None:
        SecretClearance.objects.update_or_create(user=user, agency=self.agency, defaults={"level": level})
        if hasattr(user, "_egov_clearances"):
            del user._egov_clearances


def ensure_document_types() -> None:
    """The 29 types come from a data migration; a transactional test (PostgreSQL) flushes them, so re-seed."""
    if DocumentType.objects.filter(code="cong_van").exists():
        return
    seed = importlib.import_module("egov.documents.migrations.0002_document_types")
    for position, (code, name, abbreviation) in enumerate(seed.TYPES, start=1):
        DocumentType.objects.update_or_create(
            code=code, defaults={"name": name, "abbreviation": abbreviation, "position": position}
        )


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Stored versions go to a directory of the test, not to var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def office(db) -> Office:
    ensure_document_types()
    agency = AgencyFactory(code="000.00.01.H26", name="Ủy ban nhân dân phường Việt Trì", abbreviation="UBND")
    other = AgencyFactory(code="000.00.02.H26", name="Ủy ban nhân dân xã Hy Cương", abbreviation="UBND")
    office_unit = Department.objects.create(agency=agency, name="Văn phòng", abbreviation="VP")
    culture_unit = Department.objects.create(agency=agency, name="Phòng Văn hóa - Xã hội", abbreviation="VX")
    specialist = officer(agency, Role.SPECIALIST, username="chuyenvien")
    RoleAssignment.objects.filter(user=specialist).update(department=culture_unit)
    return Office(
        agency=agency,
        office_unit=office_unit,
        culture_unit=culture_unit,
        clerk=officer(agency, Role.CLERK, username="vanthu"),
        leader=officer(agency, Role.LEADER, username="lanhdao"),
        specialist=specialist,
        colleague=officer(agency, Role.SPECIALIST, username="dongnghiep"),
        other_agency=other,
        other_officer=officer(other, Role.CLERK, Role.LEADER, Role.SPECIALIST, username="khac"),
    )


@pytest.fixture
def paper_only():
    """A recipient list that never goes over the network (for classified documents)."""
    return [
        svc.RecipientInput(
            kind=RecipientKind.AGENCY,
            organ_id="000.00.02.H26",
            channel=DeliveryChannel.PAPER,
            name="UBND xã Hy Cương",
        )
    ]
