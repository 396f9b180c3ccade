"""Checks on uploaded papers: by content, not by name, with a size limit and a SHA-256 checksum."""

from __future__ import annotations

import hashlib
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
    """Accept a PDF, JPEG or PNG no larger than ``EGOV_MAX_UPLOAD_BYTES``; refuse anything else."""
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
            if content_type == "application/pdf" and b"%%EOF" not in content[-2048:]:
                raise ValidationFailed(
                    _("Tệp “%(name)s” không phải PDF hoàn chỉnh.") % {"name": name}, code="bad_file"
                )
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
