"""Kho dữ liệu (the citizen's data vault): every result issued to a citizen is kept in their account,
and a later dossier takes it from there instead of a new upload.

The once-only principle (reference §2.2, Decree 224/2026/NĐ-CP art. 15 [S]: forms pre-filled from what
the state already holds; seed 003: citizens gave up on online services that asked again for papers the
state had issued).
A vault item points at the stored, checksummed bytes of the result; they are never edited, and reusing
an item checks the checksum again.

How an e-form uses it: when the citizen picks a vault item for a required paper, the form builds the
paper with ``vault_document_input(user=request.user, item_id=..., required_document_id=...)`` and passes
it to ``dossier_submit`` with the uploaded ones; the paper is stored with origin ``vault``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.core.errors import NotFound, ValidationFailed

from .choices import DocumentOrigin
from .models import Dossier, VaultItem, VaultItemKind


def vault_store_result(*, dossier: Dossier) -> list[VaultItem]:
    """Put the result papers of ``dossier`` in its applicant's vault (once each; no applicant account,
    nothing to do). Called by ``services.dossier_mark_result_ready`` in its transaction."""
    if not dossier.applicant_user_id:
        return []
    issued_at = dossier.finished_at or dossier.updated_at
    items = []
    results = dossier.documents.filter(origin=DocumentOrigin.RESULT).exclude(file="").order_by("id")
    for document in results:
        item, _created = VaultItem.objects.get_or_create(
            owner_id=dossier.applicant_user_id,
            source_dossier_code=dossier.code,
            checksum=document.checksum,
            defaults={
                "name": document.name[:500],
                "kind": VaultItemKind.RESULT,
                "file": document.file.name,
                "content_type": document.content_type,
                "size": document.size,
                "source_document": document,
                "issued_at": issued_at,
            },
        )
        items.append(item)
    return items


def vault_items(*, user) -> QuerySet[VaultItem]:
    """The user's vault, newest first."""
    if not getattr(user, "is_authenticated", False):
        return VaultItem.objects.none()
    return VaultItem.objects.filter(owner=user).order_by("-issued_at", "-id")


def vault_item_for(*, user, item_id) -> VaultItem:
    """One item of the user's own vault; someone else's is "not found" (its existence is not revealed)."""
    item = None
    if getattr(user, "is_authenticated", False) and str(item_id).isdigit():
        item = VaultItem.objects.filter(pk=int(item_id), owner=user).first()
    if item is None:
        raise NotFound(
            _("Không tìm thấy giấy tờ này trong kho dữ liệu của bạn."), code="vault_item_not_found"
        )
    return item


def vault_item_bytes(item: VaultItem) -> bytes:
    """The stored bytes, checked against the checksum recorded when the result was issued."""
    try:
        with item.file.open("rb") as handle:
            content = handle.read()
    except (FileNotFoundError, OSError) as exc:
        raise ValidationFailed(
            _("Không đọc được tệp “%(name)s” trong kho dữ liệu. Vui lòng tải giấy tờ lên.")
            % {"name": item.name},
            code="vault_file_missing",
        ) from exc
    if hashlib.sha256(content).hexdigest() != item.checksum:
        raise ValidationFailed(
            _("Tệp “%(name)s” trong kho dữ liệu không còn nguyên vẹn. Vui lòng tải giấy tờ lên.")
            % {"name": item.name},
            code="vault_checksum_mismatch",
        )
    return content


def vault_document_input(*, user, item_id, required_document_id=None):
    """A ``DocumentInput`` carrying the bytes of the user's vault item, with origin ``vault``: what an
    e-form passes to ``dossier_submit`` (or ``dossier_supplement``) instead of an upload."""
    from .services import DocumentInput

    item = vault_item_for(user=user, item_id=item_id)
    content = vault_item_bytes(item)
    extension = item.file.name.rsplit(".", 1)[-1] if "." in item.file.name else "pdf"
    return DocumentInput(
        # Named after the required paper when there is one; otherwise after the vault item.
        name="" if required_document_id else item.name,
        required_document_id=int(required_document_id) if required_document_id else None,
        origin=DocumentOrigin.VAULT,
        content=content,
        file_name=f"{item.source_dossier_code or 'kho-du-lieu'}.{extension}",
    )


@transaction.atomic
def vault_attach(
    *, user, item_id, dossier_or_submission, required_document_id=None, note: str = ""
) -> Dossier | list:
    """Use a vault item for a paper.

    * ``dossier_or_submission`` is a dossier waiting for a supplement: the item is handed in as the
      supplement (``dossier_supplement``, which restarts the clock, Decree 61/2018 art. 19.4);
    * it is a list of ``DocumentInput`` being prepared for ``dossier_submit``: the item is appended.
    """
    document = vault_document_input(user=user, item_id=item_id, required_document_id=required_document_id)
    if isinstance(dossier_or_submission, Dossier):
        from .services import dossier_supplement

        return dossier_supplement(dossier=dossier_or_submission, actor=user, documents=[document], note=note)
    if isinstance(dossier_or_submission, list):
        dossier_or_submission.append(document)
        return dossier_or_submission
    raise TypeError("vault_attach needs a Dossier or a list of DocumentInput")


def vault_choices(*, user) -> Sequence[tuple[int, str]]:
    """(id, label) pairs for a "take it from my vault" select."""
    return [
        (item.pk, f"{item.name} ({item.source_dossier_code}, {timezone.localtime(item.issued_at):%d/%m/%Y})")
        for item in vault_items(user=user)
    ]
