"""Fixtures for the one-stop shop: an agency with a procedure and one officer per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from egov.accounts.choices import Role
from egov.catalog.models import ProcedureOffering
from egov.dossiers.choices import DocumentOrigin
from egov.dossiers.services import ApplicantInput, DocumentInput, dossier_receive_at_counter, dossier_submit
from egov.testing.factories import AgencyFactory, officer, procedure_with_process

# A real one-page PDF: uploads are parsed (pypdf), not only sniffed.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n164\n%%EOF\n"
)


@dataclass
class Office:
    agency: object
    offering: ProcedureOffering
    reception: object
    specialist: object
    leader: object
    other_agency: object
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

    def counter_dossier(self, **kwargs):
        return dossier_receive_at_counter(
            offering=self.offering,
            applicant=ApplicantInput(name="Trần Thị Bình", id_number="025190000123", email="binh@example.vn"),
            documents=self.papers(),
            actor=self.reception,
            **kwargs,
        )

    def online_dossier(self, user=None):
        return dossier_submit(
            offering=self.offering,
            applicant=ApplicantInput(name="Lê Văn Cường", email="cuong@example.vn", user=user),
            documents=self.papers(with_files=True),
            actor=user,
        )


@pytest.fixture
def office(db) -> Office:
    agency = AgencyFactory(code="000.00.01.H26", name="Ủy ban nhân dân phường Việt Trì")
    other = AgencyFactory(code="000.00.02.H26", name="Ủy ban nhân dân xã Hy Cương")
    # No online fee: these tests are about the lifecycle; the payment gate has its own test.
    offering = procedure_with_process(agency=agency, amount="4", fee_online=0)
    return Office(
        agency=agency,
        offering=offering,
        reception=officer(agency, Role.RECEPTION, username="motcua"),
        specialist=officer(agency, Role.SPECIALIST, username="chuyenvien"),
        leader=officer(agency, Role.LEADER, username="lanhdao"),
        other_agency=other,
        other_officer=officer(other, Role.RECEPTION, Role.SPECIALIST, Role.LEADER, username="khac"),
    )
