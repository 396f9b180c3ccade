"""``POST /api/v1/verify``: public check of a signed PDF (DESIGN.md, integration contract).

No authentication: anyone holding a document may check it. The answer says who signed, when, whether
the signed bytes are unchanged, whether the certificate chains to our trusted CA and was valid then,
and whether it has been revoked since; a file that is not a readable PDF is a 400 with
``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from egov.core.errors import ValidationFailed

from .verification import pdf_verify

router = Router(tags=["verify"])


class ErrorBodyOut(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBodyOut


class SignerOut(Schema):
    common_name: str
    organization: str
    serial_number: str
    issuer: str


class CertificateOut(Schema):
    not_before: str
    not_after: str
    expired_now: bool


class SignatureOut(Schema):
    field_name: str | None
    signer: SignerOut | None
    signed_at: str | None
    signed_at_source: str | None
    reason: str | None
    location: str | None
    level: str | None
    intact: bool
    trusted: bool
    valid_at_signing: bool
    revoked: bool
    revoked_at: str | None
    revocation_checked: bool
    covers_whole_document: bool
    coverage: str
    changes_after_signing: str
    certificate: CertificateOut | None
    verdict: str
    message: str
    warnings: list[str]


class DocumentOut(Schema):
    sha256: str
    size: int


class VerifyOut(Schema):
    signatures: list[SignatureOut]
    verdict: str
    message: str
    document: DocumentOut
    checked_at: str


@router.post(
    "",
    response={200: VerifyOut, 400: ErrorOut},
    auth=None,
    summary="Kiểm tra chữ ký số trên tệp PDF",
)
def verify(request: HttpRequest, file: File[UploadedFile]):
    """Verify every signature in the uploaded PDF (multipart field ``file``).

    ``verdict`` is ``valid``, ``no_signatures`` or the worst problem found: ``tampered`` (signed bytes
    changed), ``modified`` (content changed after signing), ``untrusted``, ``revoked``,
    ``not_valid_at_signing``. Times are ISO 8601 with the +07:00 offset.
    """
    limit = settings.EGOV_MAX_UPLOAD_BYTES
    # Read at most one byte past the limit: enough to know it is too large without holding all of it.
    data = file.read(limit + 1)
    if not data:
        raise ValidationFailed(_("Tệp rỗng."), code="empty_file")
    return pdf_verify(data)
