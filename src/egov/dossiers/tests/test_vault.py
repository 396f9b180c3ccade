"""The citizen's data vault (egov.dossiers.vault): results kept on issue, reused in later dossiers."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from egov.accounts.choices import UserKind
from egov.core.errors import NotFound, ValidationFailed
from egov.dossiers import services as svc
from egov.dossiers import vault
from egov.dossiers.choices import DocumentOrigin, DossierStatus
from egov.dossiers.models import DossierDocument, VaultItem
from egov.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def pdf_bytes(text: str = "") -> bytes:
    """A real one-page PDF (pypdf), different for each ``text``."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text or "giay to"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def citizen(db):
    return UserFactory(username="dan", kind=UserKind.CITIZEN, email="dan@example.vn")


def papers(office, *, text: str = "ban quet") -> list[svc.DocumentInput]:
    return [
        svc.DocumentInput(
            required_document_id=req.pk,
            file=SimpleUploadedFile(f"{req.pk}.pdf", pdf_bytes(f"{text} {req.pk}")),
        )
        for req in office.offering.procedure.required_documents.filter(mandatory=True)
    ]


def submit(office, user, documents=None):
    return svc.dossier_submit(
        offering=office.offering,
        applicant=svc.ApplicantInput(name="Lê Văn Dân", email="dan@example.vn", user=user),
        documents=documents if documents is not None else papers(office),
        actor=user,
    )


def to_result(office, dossier, result: bytes):
    svc.dossier_receive(dossier=dossier, actor=office.reception, next_assignee=office.specialist)
    svc.dossier_complete_step(dossier=dossier, actor=office.specialist, next_assignee=office.leader)
    svc.dossier_approve(dossier=dossier, actor=office.leader)
    return svc.dossier_mark_result_ready(
        dossier=dossier, actor=office.reception, result_file=SimpleUploadedFile("ket-qua.pdf", result)
    )


def test_result_goes_to_the_applicants_vault_when_it_is_issued(office, citizen):
    # GIVEN an online dossier of a citizen account
    dossier = submit(office, citizen)
    result = pdf_bytes("giay xac nhan")
    # WHEN the result is issued
    to_result(office, dossier, result)
    # THEN it is in the citizen's vault, pointing at the same stored bytes
    item = VaultItem.objects.get(owner=citizen)
    document = DossierDocument.objects.get(dossier=dossier, origin=DocumentOrigin.RESULT)
    assert item.checksum == hashlib.sha256(result).hexdigest() == document.checksum
    assert item.file.name == document.file.name and item.source_dossier_code == dossier.code
    assert item.kind == "result" and item.issued_at is not None
    assert vault.vault_item_bytes(item) == result
    # AND storing again does not duplicate it
    vault.vault_store_result(dossier=dossier)
    assert VaultItem.objects.filter(owner=citizen).count() == 1


def test_a_dossier_without_an_account_puts_nothing_in_any_vault(office):
    dossier = submit(office, None)
    to_result(office, dossier, pdf_bytes("kq"))
    assert not VaultItem.objects.exists()


def test_a_failed_result_update_stores_nothing(office, citizen):
    # The vault row is written in the same transaction: a refused result file leaves no item.
    dossier = submit(office, citizen)
    svc.dossier_receive(dossier=dossier, actor=office.reception, next_assignee=office.specialist)
    svc.dossier_complete_step(dossier=dossier, actor=office.specialist, next_assignee=office.leader)
    svc.dossier_approve(dossier=dossier, actor=office.leader)
    with pytest.raises(ValidationFailed):
        svc.dossier_mark_result_ready(
            dossier=dossier,
            actor=office.reception,
            result_file=SimpleUploadedFile("kq.pdf", b"MZ\x90\x00" * 50),
        )
    assert not VaultItem.objects.exists()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.APPROVED


def test_a_vault_item_is_reused_in_a_new_submission_without_upload(office, citizen):
    # GIVEN a result in the citizen's vault
    first = submit(office, citizen)
    result = pdf_bytes("giay xac nhan")
    to_result(office, first, result)
    item = VaultItem.objects.get(owner=citizen)
    # WHEN a new dossier takes paper no. 1 from the vault and uploads the other
    required = list(office.offering.procedure.required_documents.filter(mandatory=True).order_by("position"))
    documents = [
        vault.vault_document_input(user=citizen, item_id=item.pk, required_document_id=required[0].pk),
        svc.DocumentInput(
            required_document_id=required[1].pk, file=SimpleUploadedFile("2.pdf", pdf_bytes("moi"))
        ),
    ]
    second = submit(office, citizen, documents)
    # THEN the paper is stored with origin "vault", the same bytes, named after the required paper
    paper = DossierDocument.objects.get(dossier=second, required_document=required[0])
    assert paper.origin == DocumentOrigin.VAULT
    assert paper.checksum == item.checksum and paper.name == required[0].name
    with default_storage.open(paper.file.name, "rb") as handle:
        assert handle.read() == result
    assert second.status == DossierStatus.SUBMITTED


def test_someone_elses_vault_item_is_not_found(office, citizen):
    dossier = submit(office, citizen)
    to_result(office, dossier, pdf_bytes("kq"))
    item = VaultItem.objects.get(owner=citizen)
    stranger = UserFactory(username="la", kind=UserKind.CITIZEN)
    with pytest.raises(NotFound):
        vault.vault_document_input(user=stranger, item_id=item.pk, required_document_id=None)
    with pytest.raises(NotFound):
        vault.vault_item_for(user=stranger, item_id="abc")
    assert list(vault.vault_items(user=stranger)) == []


def test_an_altered_file_is_refused(office, citizen):
    dossier = submit(office, citizen)
    to_result(office, dossier, pdf_bytes("kq"))
    item = VaultItem.objects.get(owner=citizen)
    with default_storage.open(item.file.name, "wb") as handle:
        handle.write(pdf_bytes("da bi sua"))
    with pytest.raises(ValidationFailed) as err:
        vault.vault_document_input(user=citizen, item_id=item.pk)
    assert err.value.code == "vault_checksum_mismatch"


def test_vault_attach_answers_a_supplement_request_or_extends_a_submission(office, citizen):
    first = submit(office, citizen)
    to_result(office, first, pdf_bytes("kq"))
    item = VaultItem.objects.get(owner=citizen)
    # A list being prepared for dossier_submit gets the item appended
    prepared: list = []
    vault.vault_attach(user=citizen, item_id=item.pk, dossier_or_submission=prepared)
    assert len(prepared) == 1 and prepared[0].origin == DocumentOrigin.VAULT
    # A dossier waiting for a supplement gets it as the supplement
    second = submit(office, citizen)
    svc.dossier_request_supplement(
        dossier=second, actor=office.reception, items=["Bản sao kết quả"], reason="Thiếu"
    )
    vault.vault_attach(user=citizen, item_id=item.pk, dossier_or_submission=second, note="Lấy từ kho")
    second.refresh_from_db()
    assert second.status == DossierStatus.SUBMITTED
    assert second.documents.filter(origin=DocumentOrigin.VAULT, checksum=item.checksum).exists()
