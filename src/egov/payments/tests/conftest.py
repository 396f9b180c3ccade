"""Fixtures for payments: an agency offering a procedure with a fee, its officers, a citizen and dossiers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from egov.accounts.choices import Role, UserKind
from egov.catalog.models import ProcedureOffering
from egov.dossiers.choices import DocumentOrigin
from egov.dossiers.services import ApplicantInput, DocumentInput, dossier_receive_at_counter, dossier_submit
from egov.payments.adapters.vnpay import VNPayGateway
from egov.testing.factories import AgencyFactory, UserFactory, officer, procedure_with_process

# A real one-page PDF: uploads are parsed (pypdf), not only sniffed.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n164\n%%EOF\n"
)
SECRET = "TESTSECRETFORPAYMENTSVNPAY000001"
TMN = "EGOVTEST"


@dataclass
class Office:
    agency: object
    offering: ProcedureOffering
    reception: object
    leader: object
    specialist: object
    citizen: object
    other_citizen: object
    other_officer: object

    def papers(self, *, with_files: bool = False) -> list[DocumentInput]:
        docs = []
        for req in self.offering.procedure.required_documents.filter(mandatory=True):
            if with_files:
                docs.append(
                    DocumentInput(required_document_id=req.pk, file=SimpleUploadedFile(f"{req.pk}.pdf", PDF))
                )
            else:
                docs.append(DocumentInput(required_document_id=req.pk, origin=DocumentOrigin.PAPER))
        return docs

    def online_dossier(self, user=None):
        """Submitted online by the citizen: the online fee (10.000 đồng) is due before reception."""
        return dossier_submit(
            offering=self.offering,
            applicant=ApplicantInput(
                name="Lê Văn Cường",
                email="cuong@example.vn",
                address="Khu 3, phường Việt Trì",
                user=user or self.citizen,
            ),
            documents=self.papers(with_files=True),
            actor=user or self.citizen,
        )

    def counter_dossier(self):
        """Received at the counter: the in-person fee (20.000 đồng) is paid in cash."""
        return dossier_receive_at_counter(
            offering=self.offering,
            applicant=ApplicantInput(name="Trần Thị Bình", email="binh@example.vn"),
            documents=self.papers(),
            actor=self.reception,
        )


@pytest.fixture
def office(db) -> Office:
    agency = AgencyFactory(code="000.00.01.H26", name="Ủy ban nhân dân phường Việt Trì")
    other = AgencyFactory(code="000.00.02.H26", name="Ủy ban nhân dân xã Hy Cương")
    offering = procedure_with_process(agency=agency, amount="4", name="Cấp bản sao trích lục hộ tịch")
    return Office(
        agency=agency,
        offering=offering,
        reception=officer(agency, Role.RECEPTION, username="motcua"),
        leader=officer(agency, Role.LEADER, username="lanhdao"),
        specialist=officer(agency, Role.SPECIALIST, username="chuyenvien"),
        citizen=UserFactory(username="congdan", kind=UserKind.CITIZEN, email="cuong@example.vn"),
        other_citizen=UserFactory(username="nguoikhac", kind=UserKind.CITIZEN),
        other_officer=officer(other, Role.RECEPTION, Role.LEADER, username="khac"),
    )


@pytest.fixture
def vnpay(settings) -> VNPayGateway:
    """The merchant settings of a test terminal; the pay page is the built-in simulator."""
    settings.EGOV_VNPAY_TMN_CODE = TMN
    settings.EGOV_VNPAY_HASH_SECRET = SECRET
    settings.EGOV_VNPAY_URL = "http://testserver/payments/simulator/paymentv2/vpcpay.html"
    return VNPayGateway.from_settings()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Receipts written by the tests go to a temporary directory, not to var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
