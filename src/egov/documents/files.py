"""Stored bytes of documents: checked by content, addressed by their SHA-256, removed only when unreferenced.

Content addressing makes a retried or rolled-back write harmless (the same bytes land on the same
path, and a leftover file is the copy a later write would reuse) and lets a recall remove a file
without breaking another document that holds the same bytes.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from egov.core.errors import ValidationFailed
from egov.dossiers.uploads import CheckedFile, check_upload

logger = logging.getLogger(__name__)

# Office formats other agencies send through the exchange (edXML attachments): OOXML/ODF are ZIP
# containers, the older Word/Excel files are OLE compound files.
_OFFICE_MAGIC = (
    (b"PK\x03\x04", {".docx", ".xlsx", ".pptx", ".odt", ".ods", ".zip"}),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", {".doc", ".xls", ".ppt"}),
)


def _extension(name: str) -> str:
    return ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""


def check_file(*, name: str, content: bytes, allow_office: bool = False) -> CheckedFile:
    """Accept PDF, JPEG or PNG (and, from the exchange, office files); refuse anything else or too large."""
    if allow_office and content:
        extension = _extension(name)
        for magic, extensions in _OFFICE_MAGIC:
            if content.startswith(magic) and extension in extensions:
                if len(content) > settings.EGOV_MAX_UPLOAD_BYTES:
                    break  # check_upload reports the size with its usual message
                content_type = mimetypes.types_map.get(extension, "application/octet-stream")
                return CheckedFile(content, content_type, extension, hashlib.sha256(content).hexdigest())
    return check_upload(name=name, content=content)


def store(checked: CheckedFile) -> str:
    """Write the bytes under their checksum (once) and return the storage path."""
    path = f"documents/{checked.checksum[:2]}/{checked.checksum}{checked.extension}"
    if default_storage.exists(path):
        return path
    return default_storage.save(path, ContentFile(checked.content))


def delete_unreferenced(paths: Iterable[str]) -> None:
    """Remove files no ``DocumentVersion`` points to any more (run after the deleting transaction commits)."""
    from .models import DocumentVersion

    for path in set(paths):
        if not path or DocumentVersion.objects.filter(file=path).exists():
            continue
        try:
            default_storage.delete(path)
        except OSError:  # the row is gone already; a leftover file is reported, not fatal
            logger.exception("could not delete recalled document file %s", path)


def require_pdf(checked: CheckedFile, field: str = "file") -> None:
    if checked.content_type != "application/pdf":
        raise ValidationFailed(_("Văn bản phải là tệp PDF."), code="pdf_required", field=field)
