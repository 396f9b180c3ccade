"""Public verification of signed PDFs: who signed, when, whether the bytes are unchanged and trusted.

A pipeline of small steps (read the file, then for each signature: integrity and coverage, trust at
the signing time, revocation now), kept apart from ``services`` because it writes nothing and answers
anyone: citizens and other agencies check a result or an official document here (DESIGN.md, "no way
for the public to verify a certificate" was a complaint about peer systems).

The trust anchor is our root CA; revocation comes from our CA's current CRLs, read locally, plus any
CRLs embedded in the document (PAdES B-LT). Each signature is evaluated three ways:

* integrity: the signed byte ranges hash to the signed digest and the CMS signature verifies;
  the signature covers the whole file, or later revisions only add validation data or signatures;
* at the signing time (point-in-time validation, RFC 5280 §6 with the signing time as the moment):
  the chain leads to our root, the certificate was within its validity period and not yet revoked;
* now: whether the certificate has been revoked since.

The signing time is the one the signer's software reported (no timestamp authority yet): a signature
whose certificate was later revoked is therefore reported as revoked whatever time it claims, since
nothing proves it was made before the revocation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from typing import Any

from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel, SuspiciousModification
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import EmbeddedPdfSignature, async_validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.status import SignatureCoverageLevel

from egov.core.errors import ValidationFailed

from . import trust
from .services import crls_refresh_if_due, iso_local, run_sync

logger = logging.getLogger(__name__)

VALID = "valid"
TAMPERED = "tampered"
MODIFIED = "modified"
UNTRUSTED = "untrusted"
REVOKED = "revoked"
NOT_VALID_AT_SIGNING = "not_valid_at_signing"
NO_SIGNATURES = "no_signatures"
# Worst first: the document's verdict is its worst signature's.
SEVERITY = (TAMPERED, MODIFIED, UNTRUSTED, REVOKED, NOT_VALID_AT_SIGNING, VALID)

_CHANGES = {
    ModificationLevel.NONE: "none",
    ModificationLevel.LTA_UPDATES: "validation_data",
    ModificationLevel.FORM_FILLING: "form_filling",
    ModificationLevel.ANNOTATIONS: "annotations",
    ModificationLevel.OTHER: "content",
}
# Later revisions that leave what was signed as it was: validation data, further signatures and
# form fields. Annotations are not in the list: a note or a shape can cover a signed figure.
_HARMLESS_CHANGES = {"none", "validation_data", "form_filling"}
_COVERAGE = {
    SignatureCoverageLevel.ENTIRE_FILE: "entire_file",
    SignatureCoverageLevel.ENTIRE_REVISION: "entire_revision",
    SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START: "partial",
    SignatureCoverageLevel.UNCLEAR: "unclear",
}


def _messages() -> dict[str, str]:
    return {
        VALID: _("Chữ ký số hợp lệ."),
        TAMPERED: _("Nội dung đã ký bị thay đổi hoặc chữ ký bị hỏng: chữ ký không còn giá trị."),
        MODIFIED: _("Tệp đã bị sửa đổi nội dung sau khi ký."),
        UNTRUSTED: _("Chứng thư số không do tổ chức cung cấp dịch vụ chứng thực được tin cậy cấp."),
        REVOKED: _("Chứng thư số của người ký đã bị thu hồi."),
        NOT_VALID_AT_SIGNING: _(
            "Chứng thư số không có hiệu lực tại thời điểm ký (hết hạn, chưa có hiệu lực hoặc đã bị thu hồi)."
        ),
        NO_SIGNATURES: _("Tệp không có chữ ký số."),
    }


def _check_input(data: bytes) -> None:
    limit = settings.EGOV_MAX_UPLOAD_BYTES
    if not data:
        raise ValidationFailed(_("Tệp rỗng."), code="empty_file")
    if len(data) > limit:
        raise ValidationFailed(
            _("Tệp quá lớn (%(size)s MB); tối đa %(limit)s MB.")
            % {"size": round(len(data) / 1048576, 1), "limit": round(limit / 1048576, 1)},
            code="file_too_large",
        )
    # The header may follow a little junk (ISO 32000-1 §7.5.2 tolerates it in practice).
    if b"%PDF-" not in data[:1024]:
        raise ValidationFailed(_("Tệp không phải PDF."), code="not_pdf")


def _name_attr(cert: asn1_x509.Certificate, key: str) -> str:
    value = cert.subject.native.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)


def _dss_crls(reader: PdfFileReader) -> tuple[bytes, ...]:
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return ()
    crls = []
    for ref in dss.crls:
        try:
            crls.append(ref.get_object().data)
        except Exception as exc:  # noqa: BLE001 - a damaged DSS entry only loses that CRL
            logger.info("unreadable CRL in the document security store: %r", exc)
    return tuple(crls)


def _level(dss_crls: tuple[bytes, ...]) -> str:
    # B-LT: validation data (here CRLs) stored in the document security store (ETSI EN 319 142-1 §6.3).
    return "B-LT" if dss_crls else "B-B"


def validate_pdf_signature(embedded, context, *, skip_diff: bool = False):
    """pyHanko's validation, runnable from inside an event loop too (see ``services.run_sync``)."""
    return run_sync(async_validate_pdf_signature(embedded, context, skip_diff=skip_diff))


def _evaluate(
    embedded, *, material: trust.TrustMaterial, dss_crls: tuple[bytes, ...], now: dt.datetime
) -> dict:
    cert: asn1_x509.Certificate = embedded.signer_cert
    signed_at = embedded.self_reported_timestamp or now
    not_before = cert.not_valid_before
    not_after = cert.not_valid_after

    # 1. Integrity, coverage and what later revisions changed; the chain at the signing time with
    #    revocation as of then (revocation info is accepted even if issued later: retroactive).
    then = None
    if material.available:
        then = validate_pdf_signature(
            embedded,
            material.validation_context(moment=signed_at, retroactive_revinfo=True, extra_crls=dss_crls),
        )
    if then is None:
        # No trust anchor configured: integrity can still be reported, trust cannot.
        embedded.compute_integrity_info()
        integrity = embedded.summarise_integrity_info()
        intact = bool(integrity.get("intact", False)) and bool(integrity.get("valid", False))
        coverage = integrity.get("coverage")
        diff_result = integrity.get("diff_result")
        modification = getattr(diff_result, "modification_level", None)
        if isinstance(diff_result, SuspiciousModification):
            modification = ModificationLevel.OTHER
        trusted = valid_at_signing = False
    else:
        intact = then.intact and then.valid
        coverage = then.coverage
        modification = then.modification_level
        if isinstance(then.diff_result, SuspiciousModification):
            modification = ModificationLevel.OTHER
        valid_at_signing = intact and then.trusted
        trusted = valid_at_signing
        if not trusted and intact:
            # 2. Does the certificate chain to our root at all? Checked at a moment inside its
            #    validity period, without revocation, so expiry or revocation do not hide the answer.
            moment = min(max(signed_at, not_before), not_after)
            chain = validate_pdf_signature(
                embedded, material.validation_context(moment=moment, with_revocation=False), skip_diff=True
            )
            trusted = chain.trusted
    if not intact:
        valid_at_signing = False

    # 3. Revocation now, from our CA's current CRL (authoritative and newer than any embedded copy).
    revocation = material.revocation_of(cert) if material.available else None
    revoked = revocation is not None
    changes = _CHANGES.get(modification, "unknown") if modification is not None else "unknown"
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        changes = "none"
    covers_whole = coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        coverage == SignatureCoverageLevel.ENTIRE_REVISION and changes in {"none", "validation_data"}
    )

    if not intact:
        verdict = TAMPERED
    elif changes not in _HARMLESS_CHANGES or coverage not in (
        SignatureCoverageLevel.ENTIRE_FILE,
        SignatureCoverageLevel.ENTIRE_REVISION,
    ):
        verdict = MODIFIED
    elif not trusted:
        verdict = UNTRUSTED
    elif revoked:
        verdict = REVOKED
    elif not valid_at_signing:
        verdict = NOT_VALID_AT_SIGNING
    else:
        verdict = VALID

    warnings = []
    if verdict == VALID and now > not_after:
        warnings.append(
            _("Chứng thư số đã hết hạn ngày %(date)s; chữ ký được tạo khi chứng thư còn hiệu lực.")
            % {"date": iso_local(not_after)[:10]}
        )
    if verdict == VALID and changes == "form_filling":
        warnings.append(
            _("Sau chữ ký này, tệp có thêm chữ ký hoặc nội dung ô biểu mẫu (không sửa nội dung đã ký).")
        )
    message = _messages()[verdict]
    if revoked:
        message = _("Chứng thư số của người ký đã bị thu hồi lúc %(time)s.") % {
            "time": iso_local(revocation.revoked_at)
        }
        if verdict != REVOKED:
            message = f"{_messages()[verdict]} {message}"

    sig_object = embedded.sig_object
    return {
        "field_name": embedded.field_name,
        "signer": {
            "common_name": _name_attr(cert, "common_name"),
            "organization": _name_attr(cert, "organization_name"),
            "serial_number": format(cert.serial_number, "x"),
            "issuer": cert.issuer.human_friendly,
        },
        "signed_at": iso_local(signed_at),
        "signed_at_source": "signer_reported",
        "reason": str(sig_object.get("/Reason", "")) or None,
        "location": str(sig_object.get("/Location", "")) or None,
        "level": _level(dss_crls),
        "intact": intact,
        "trusted": trusted,
        "valid_at_signing": valid_at_signing,
        "revoked": revoked,
        "revoked_at": iso_local(revocation.revoked_at) if revocation else None,
        "revocation_checked": material.available and material.knows_issuer_of(cert),
        "covers_whole_document": covers_whole,
        "coverage": _COVERAGE.get(coverage, "unclear"),
        "changes_after_signing": changes,
        "certificate": {
            "not_before": iso_local(not_before),
            "not_after": iso_local(not_after),
            "expired_now": now > not_after,
        },
        "verdict": verdict,
        "message": message,
        "warnings": warnings,
    }


def _broken(field_name: str | None, exc: Exception) -> dict:
    """A signature that cannot even be evaluated is reported as broken, never as a crash."""
    logger.info("signature %s could not be evaluated: %r", field_name, exc)
    return {
        "field_name": field_name,
        "signer": None,
        "signed_at": None,
        "signed_at_source": None,
        "reason": None,
        "location": None,
        "level": None,
        "intact": False,
        "trusted": False,
        "valid_at_signing": False,
        "revoked": False,
        "revoked_at": None,
        "revocation_checked": False,
        "covers_whole_document": False,
        "coverage": "unclear",
        "changes_after_signing": "unknown",
        "certificate": None,
        "verdict": TAMPERED,
        "message": _("Chữ ký bị hỏng, không đọc được."),
        "warnings": [],
    }


def _collect(reader: PdfFileReader) -> tuple[list[EmbeddedPdfSignature], list[tuple[str, Exception]]]:
    """Signature fields in signing order, and those whose signature cannot even be parsed.

    pyHanko's ``reader.embedded_signatures`` parses them all at once (one damaged container would hide
    the others) and silently skips unknown /SubFilter values; here each one is reported.
    """
    readable: list[EmbeddedPdfSignature] = []
    broken: list[tuple[str, Exception]] = []
    for name, sig_object, field in enumerate_sig_fields(reader, filled_status=True):
        try:
            if sig_object.get_object().get("/Type") == "/DocTimeStamp":
                continue
            readable.append(EmbeddedPdfSignature(reader, field, name))
        except Exception as exc:  # noqa: BLE001 - untrusted bytes: any parse failure means "broken"
            broken.append((name, exc))
    readable.sort(key=lambda emb: emb.signed_revision)
    return readable, broken


def pdf_verify(data: bytes) -> dict[str, Any]:
    """Check every signature of a PDF (see the module docstring); raise ``ValidationFailed`` on bad input.

    Answers ``{"signatures": [...], "verdict", "message", "document": {"sha256", "size"}}``.
    """
    _check_input(data)
    try:
        reader = PdfFileReader(io.BytesIO(data))
        if reader.encrypted:
            raise ValidationFailed(_("Tệp PDF được mã hóa, không kiểm tra được."), code="encrypted_pdf")
        embedded_signatures, broken = _collect(reader)
        dss_crls = _dss_crls(reader)
    except ValidationFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure on untrusted bytes is a 400, not a 500
        logger.info("unreadable PDF submitted for verification: %r", exc)
        raise ValidationFailed(
            _("Tệp PDF bị hỏng hoặc không đúng cấu trúc, không đọc được."), code="invalid_pdf"
        ) from exc

    crls_refresh_if_due()
    material = trust.trust_material()
    now = timezone.now()
    results = []
    for embedded in embedded_signatures:
        try:
            results.append(_evaluate(embedded, material=material, dss_crls=dss_crls, now=now))
        except Exception as exc:  # noqa: BLE001 - one malformed signature must not hide the others
            results.append(_broken(embedded.field_name, exc))
    results.extend(_broken(name, exc) for name, exc in broken)

    verdict = min((r["verdict"] for r in results), key=SEVERITY.index) if results else NO_SIGNATURES
    return {
        "signatures": results,
        "verdict": verdict,
        "message": _messages()[verdict],
        "document": {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)},
        "checked_at": iso_local(now),
    }
