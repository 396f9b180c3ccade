"""Writes of the signing app: issue and revoke certificates, publish CRLs, sign PDFs (PAdES).

Signing follows ETSI EN 319 142-1 (PAdES baseline): every signature is at least B-B (CAdES detached
CMS with the signing certificate attribute, /SubFilter ETSI.CAdES.detached); when our CA's CRLs are
available locally it is B-LT, with the chain and the CRLs written into the document security store
(DSS) in the same revision as the signature, so the file can be validated years later without
reaching any server. Signing time is the server clock in Asia/Ho_Chi_Minh, shown in the stamp in
ISO 8601 with +07:00 (Decree 30/2020 Appendix I §II.8(b)). No timestamp authority is used yet, so the
signing time is as reported by the signer (B-T needs a TSA: see the app's README notes in the report).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import io
import logging
import threading
import time
from dataclasses import dataclass

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes, Signer
from pyhanko.sign.signers.pdf_signer import (
    DSSContentSettings,
    PdfSignatureMetadata,
    PdfSigner,
    PreSignValidationStatus,
    SigDSSPlacementPreference,
)
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

from egov.core.calendar import LOCAL_TZ
from egov.core.errors import NotFound, TransitionNotAllowed, ValidationFailed

from . import ca, conf, stamp, trust
from .choices import CertificateKind, CertificateStatus, RevocationReason, SignatureLevel
from .models import SigningCertificate
from .providers import SignatureProvider, default_provider

logger = logging.getLogger(__name__)


class _NoFetchWarningFilter(logging.Filter):
    """pyHanko warns on every B-LT signature that fetching is off; for us that is the design, not news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_NoFetchWarningFilter())


def run_sync(coro):
    """Run a pyHanko coroutine from synchronous code, even when this thread already runs an event loop.

    pyHanko's own sync wrappers call ``asyncio.run``, which fails inside a running loop (an async view,
    a test driving Playwright); there the coroutine runs on a short-lived worker thread instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


# ---- certificates ----------------------------------------------------------------------------
def _organization_for(user) -> str:
    from egov.accounts.models import RoleAssignment

    assignment = (
        RoleAssignment.objects.filter(user=user, is_active=True)
        .select_related("agency")
        .order_by("pk")
        .first()
    )
    return assignment.agency.name if assignment else ""


@transaction.atomic
def certificate_issue(
    *,
    user=None,
    agency=None,
    organization: str | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    image_png: bytes | None = None,
    authority: ca.DevCertificateAuthority | None = None,
) -> SigningCertificate:
    """Issue a certificate from the development CA to an official (personal) or an agency (its seal).

    The key is generated here and kept only inside the PKCS#12 bundle, encrypted with
    ``EGOV_SIGNING_PASSPHRASE`` (AES-256, PBKDF2). Development only: a real deployment imports
    certificates issued by a licensed CA (Decree 130/2018) or uses keys that never leave a token.
    """
    if (user is None) == (agency is None):
        raise ValidationFailed(_("Cần chỉ định đúng một chủ thể: một cán bộ hoặc một cơ quan."))
    authority = authority or ca.DevCertificateAuthority()
    authority.ensure()
    if user is not None:
        kind = CertificateKind.PERSONAL
        common_name = user.full_name or user.get_full_name() or user.username
        org = organization if organization is not None else _organization_for(user)
        uid = f"egov:{user.username}"
        image = image_png if image_png is not None else stamp.signature_image_png(common_name)
    else:
        kind = CertificateKind.AGENCY_SEAL
        common_name = agency.name
        org = organization if organization is not None else agency.name
        uid = agency.code
        image = image_png if image_png is not None else stamp.seal_image_png(agency.name, agency.abbreviation)
    key, cert = authority.issue(
        common_name=common_name, organization=org, uid=uid, not_before=not_before, not_after=not_after
    )
    chain = [authority.certificate(ca.ISSUING), authority.certificate(ca.ROOT)]
    bundle = pkcs12.serialize_key_and_certificates(
        name=uid.encode(),
        key=key,
        cert=cert,
        cas=chain,
        encryption_algorithm=serialization.BestAvailableEncryption(conf.passphrase()),
    )
    org_attrs = cert.subject.get_attributes_for_oid(x509.oid.NameOID.ORGANIZATION_NAME)
    return SigningCertificate.objects.create(
        kind=kind,
        user=user,
        agency=agency,
        subject=cert.subject.rfc4514_string(),
        common_name=common_name[:64],
        organization=str(org_attrs[0].value) if org_attrs else "",
        issuer=cert.issuer.rfc4514_string(),
        serial_number=format(cert.serial_number, "x"),
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        pkcs12=bundle,
        image_png=image or b"",
    )


@transaction.atomic
def certificate_revoke(
    *,
    certificate: SigningCertificate,
    reason: str = RevocationReason.UNSPECIFIED,
    actor=None,
    at: dt.datetime | None = None,
) -> SigningCertificate:
    """Revoke a certificate; the issuing CA's CRL is re-published when the transaction commits.

    From then on ``pdf_sign`` refuses it and ``pdf_verify`` reports it as revoked (RFC 5280 §5.3).
    """
    certificate = SigningCertificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.status == CertificateStatus.REVOKED:
        raise TransitionNotAllowed(_("Chứng thư số này đã bị thu hồi từ trước."), code="already_revoked")
    if reason not in RevocationReason.values:
        raise ValidationFailed(_("Lý do thu hồi không hợp lệ."), field="reason")
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = (at or timezone.now()).replace(microsecond=0)
    certificate.revocation_reason = reason
    certificate.revoked_by = actor
    certificate.save(update_fields=["status", "revoked_at", "revocation_reason", "revoked_by"])
    issuer = certificate.issuer

    def publish() -> None:
        from .providers import Pkcs12Provider

        provider = default_provider()
        if isinstance(provider, Pkcs12Provider):
            provider.forget(certificate)
        _publish_for_issuer(issuer)

    transaction.on_commit(publish)
    return certificate


# ---- CRLs ----------------------------------------------------------------------------------------
def _revoked_entries(issuer_dn: str) -> list[ca.RevokedEntry]:
    rows = SigningCertificate.objects.filter(issuer=issuer_dn, status=CertificateStatus.REVOKED).values_list(
        "serial_number", "revoked_at", "revocation_reason"
    )
    return [
        ca.RevokedEntry(int(serial, 16), revoked_at, reason or "unspecified")
        for serial, revoked_at, reason in rows
    ]


def _publish_for_issuer(issuer_dn: str) -> None:
    authority = ca.DevCertificateAuthority()
    for name in ca.CA_NAMES:
        if (
            authority.cert_path(name).is_file()
            and authority.certificate(name).subject.rfc4514_string() == issuer_dn
        ):
            crl_publish(name=name, authority=authority)


def crl_publish(*, name: str, authority: ca.DevCertificateAuthority | None = None) -> bytes:
    """Re-issue and publish the CRL of CA ``name`` from the revocations on record."""
    authority = authority or ca.DevCertificateAuthority()
    if name not in ca.CA_NAMES:
        raise NotFound(_("Không có danh sách thu hồi “%(name)s”.") % {"name": name})
    issuer_dn = authority.certificate(name).subject.rfc4514_string()
    # The root CA signs only the issuing CA, which is never revoked here: its CRL stays empty.
    entries = _revoked_entries(issuer_dn) if name == ca.ISSUING else []
    return authority.publish_crl(name, entries)


def crl_current(*, name: str, authority: ca.DevCertificateAuthority | None = None) -> bytes:
    """The published CRL of CA ``name``, re-issued first if it is missing or expires within a day."""
    authority = authority or ca.DevCertificateAuthority()
    if name not in ca.CA_NAMES or not authority.exists():
        raise NotFound(_("Không có danh sách thu hồi “%(name)s”.") % {"name": name})
    if authority.crl_needs_refresh(name):
        return crl_publish(name=name, authority=authority)
    return authority.crl_path(name).read_bytes()


_CRL_CHECK_EVERY = 60.0
_crl_checked_at = 0.0


def crls_refresh_if_due(*, authority: ca.DevCertificateAuthority | None = None) -> None:
    """Re-issue any of our CA's CRLs that is missing or about to expire (checked once a minute).

    Signing at B-LT embeds the CRL and needs a fresh one; verification reads it for revocations. A
    host without the CA's keys (or without the passphrase) just keeps the CRLs it has.
    """
    global _crl_checked_at
    now = time.monotonic()
    if now - _crl_checked_at < _CRL_CHECK_EVERY:
        return
    _crl_checked_at = now
    authority = authority or ca.DevCertificateAuthority()
    if not authority.exists():
        return
    for name in ca.CA_NAMES:
        if authority.crl_needs_refresh(name):
            try:
                crl_publish(name=name, authority=authority)
            except (ImproperlyConfigured, ca.CaNotInitialised, OSError, ValueError) as exc:
                logger.warning("CRL %s is due but could not be re-issued: %s", name, exc)


# ---- signing ---------------------------------------------------------------------------------------
# The CMS container is written into space reserved in the file. Reserving it up front skips pyHanko's
# dry-run signature that only measures the container (performance.md §3b.7). Hex doubles the size.
MIN_BYTES_RESERVED = 16384
_VALIDATION_INFO_TTL = 300.0


@dataclass
class _CachedValidation:
    info: PreSignValidationStatus
    expires: float


_validation_cache: dict[tuple[bytes, tuple[bytes, ...]], _CachedValidation] = {}
_validation_lock = threading.Lock()


def _bytes_reserved(signer: Signer) -> int:
    certs = [signer.signing_cert, *signer.cert_registry]
    size = sum(len(c.dump()) for c in certs if c is not None) + 4096
    return max(MIN_BYTES_RESERVED, 2 * size + (2 * size) % 2)


def _check_usable(certificate: SigningCertificate, now: dt.datetime) -> None:
    # Re-read the status: the instance may be older than a revocation made by another worker.
    status = SigningCertificate.objects.filter(pk=certificate.pk).values_list("status", flat=True).first()
    if status is None:
        raise NotFound(_("Không tìm thấy chứng thư số."))
    if status == CertificateStatus.REVOKED:
        raise ValidationFailed(
            _("Chứng thư số của %(name)s đã bị thu hồi, không thể dùng để ký.")
            % {"name": certificate.common_name},
            code="certificate_revoked",
        )
    if now > certificate.not_after:
        raise ValidationFailed(
            _("Chứng thư số của %(name)s đã hết hạn ngày %(date)s.")
            % {
                "name": certificate.common_name,
                "date": timezone.localtime(certificate.not_after).date().isoformat(),
            },
            code="certificate_expired",
        )
    if now < certificate.not_before:
        raise ValidationFailed(_("Chứng thư số chưa đến ngày có hiệu lực."), code="certificate_not_yet_valid")


def iso_local(moment: dt.datetime) -> str:
    """ISO 8601 with the Vietnam offset, e.g. ``2025-07-14T09:30:05+07:00`` (Decree 30/2020 App. I §II.8(b))."""
    return moment.astimezone(LOCAL_TZ).replace(microsecond=0).isoformat()


def _name_attr(cert: asn1_x509.Certificate, key: str) -> str:
    value = cert.subject.native.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)


def pdf_sign(
    *,
    pdf: bytes,
    certificate: SigningCertificate,
    reason: str,
    location: str,
    field_name: str,
    visible: bool,
    stamp_text: str | None = None,
    image: bytes | None = None,
    box: stamp.Box | None = None,
    page: int = 0,
    level: str = SignatureLevel.AUTO,
    provider: SignatureProvider | None = None,
) -> bytes:
    """Sign ``pdf`` with ``certificate`` as a PAdES signature in a new incremental revision.

    ``visible`` adds a stamp in ``box`` (x1, y1, x2, y2 in points on ``page``; default: top right of the
    page, Decree 30/2020 Appendix I §II.8(b)). The stamp shows ``image`` (PNG; default: the certificate's
    signature or seal image; ``b""`` for none) above ``stamp_text`` (default: signer, organisation, signing time), which may
    use ``{signer}``, ``{organization}``, ``{signed_at}``, ``{reason}``, ``{location}``; the signing time
    in ISO 8601 with +07:00 is always shown. ``stamp_text=""`` with an image shows the image alone (an
    agency seal, §II.8(a)). ``level``: ``auto`` gives B-LT when our CA's CRLs are available, else B-B.

    Refuses a revoked, expired or not yet valid certificate. The parsed key is cached per process and
    the signature container size is reserved up front, so no dry-run signature is made.
    """
    now = timezone.now()
    _check_usable(certificate, now)
    signer = (provider or default_provider()).signer_for(certificate)
    default_image = bytes(certificate.image_png or b"") or None
    return sign_with_signer(
        pdf=pdf,
        signer=signer,
        reason=reason,
        location=location,
        field_name=field_name,
        visible=visible,
        stamp_text=stamp_text,
        image=image if image is not None else default_image,
        box=box,
        page=page,
        level=level,
        signed_at=now,
    )


def _validation_info(session, writer, signer: Signer, material: trust.TrustMaterial):
    """Chain and CRLs to embed for ``signer``, reused for a few minutes (the CRL does not change faster)."""
    key = (signer.signing_cert.sha256, material.crls)
    now = time.monotonic()
    cached = _validation_cache.get(key)
    if cached is not None and cached.expires > now:
        return cached.info
    info = run_sync(session.perform_presign_validation(writer))
    with _validation_lock:
        if len(_validation_cache) > 256:
            _validation_cache.clear()
        _validation_cache[key] = _CachedValidation(info, now + _VALIDATION_INFO_TTL)
    return info


def sign_with_signer(
    *,
    pdf: bytes,
    signer: Signer,
    reason: str,
    location: str,
    field_name: str,
    visible: bool,
    stamp_text: str | None = None,
    image: bytes | None = None,
    box: stamp.Box | None = None,
    page: int = 0,
    level: str = SignatureLevel.AUTO,
    signed_at: dt.datetime | None = None,
) -> bytes:
    """The signing pipeline behind ``pdf_sign``, for a signer already chosen and checked.

    Public for benchmarks and tests that need a signature ``pdf_sign`` rightly refuses to make (an
    expired certificate, a time in the past); application code calls ``pdf_sign``.
    """
    if not field_name or "." in field_name:
        raise ValidationFailed(_("Tên ô chữ ký không hợp lệ."), field="field_name")
    signed_at = (signed_at or timezone.now()).astimezone(LOCAL_TZ).replace(microsecond=0)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ValidationFailed(_("Tệp không phải PDF hợp lệ, không thể ký."), code="invalid_pdf") from exc
    if writer.prev.encrypted:
        raise ValidationFailed(_("Không ký được tệp PDF đã mã hóa."), code="encrypted_pdf")

    crls_refresh_if_due()
    material = trust.trust_material()
    can_embed = material.available and material.knows_issuer_of(signer.signing_cert)
    if level == SignatureLevel.B_LT and not can_embed:
        raise ValidationFailed(
            _("Không có danh sách thu hồi (CRL) của tổ chức cấp chứng thư để tạo chữ ký PAdES B-LT."),
            code="no_revocation_data",
        )
    embed = level == SignatureLevel.B_LT or (level == SignatureLevel.AUTO and can_embed)

    cert = signer.signing_cert
    values = {
        "signer": _name_attr(cert, "common_name"),
        "organization": _name_attr(cert, "organization_name"),
        "signed_at": iso_local(signed_at),
        "reason": reason,
        "location": location,
    }
    field_spec = SigFieldSpec(field_name, on_page=page)
    style = None
    if visible:
        try:
            page_ref, _resources = writer.find_page_for_modification(page)
        except (PdfError, IndexError, KeyError, ValueError) as exc:
            raise ValidationFailed(_("Trang %(page)s không có trong tệp.") % {"page": page + 1}) from exc
        page_box = box or stamp.default_box(*stamp.page_size(_mediabox(page_ref.get_object())))
        field_spec = SigFieldSpec(field_name, on_page=page, box=tuple(page_box))
        if stamp_text is None:
            template = (
                "{signer}\n{organization}" if values["organization"] != values["signer"] else "{signer}"
            )
            template = _("Ký bởi") + ": " + template + "\n" + _("Thời gian ký") + ": {signed_at}"
        else:
            template = stamp_text
        picture = stamp.load_png(image) if image else None
        text = stamp.render_text(template, values) if (template or picture is None) else ""
        style = stamp.build_style(stamp.StampParts(text=text, image=picture))

    meta = PdfSignatureMetadata(
        field_name=field_name,
        reason=reason or None,
        location=location or None,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        embed_validation_info=embed,
        validation_context=material.validation_context() if embed else None,
        # One revision holds the signature and its validation data (B-LT without a second update).
        dss_settings=DSSContentSettings(
            placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
        ),
    )
    pdf_signer = PdfSigner(meta, signer, stamp_style=style, new_field_spec=field_spec)
    try:
        session = pdf_signer.init_signing_session(writer)
        session.system_time = signed_at
        validation_info = _validation_info(session, writer, signer, material) if embed else None
        tbs = session.prepare_tbs_document(
            validation_info=validation_info, bytes_reserved=_bytes_reserved(signer)
        )
        prepared, output = tbs.digest_tbs_document()
        attrs = PdfCMSSignedAttributes(
            signing_time=signed_at,
            adobe_revinfo_attr=None if validation_info is None else validation_info.adobe_revinfo_attr,
        )

        async def finish() -> None:
            post = await tbs.perform_signature(
                document_digest=prepared.document_digest, pdf_cms_signed_attrs=attrs
            )
            await post.post_signature_processing(output)

        run_sync(finish())
    except SigningError as exc:
        logger.info("signing refused: %s", exc)
        raise ValidationFailed(
            _("Không ký được tệp: %(reason)s") % {"reason": str(exc)}, code="signing_failed"
        ) from exc
    except (PathBuildingError, PathValidationError) as exc:
        raise ValidationFailed(
            _("Chứng thư số không hợp lệ theo tổ chức cấp (chuỗi chứng thư hoặc thu hồi)."),
            code="certificate_invalid",
        ) from exc
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        # Logged with the trace: a malformed PDF lands here, and so would a bug of ours.
        logger.warning("signing failed on field %s", field_name, exc_info=True)
        raise ValidationFailed(_("Tệp PDF bị lỗi cấu trúc, không thể ký."), code="invalid_pdf") from exc
    return output.getvalue()


def _mediabox(page) -> tuple:
    node = page
    while node is not None:
        if "/MediaBox" in node:
            return tuple(node["/MediaBox"])
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return (0, 0, 595.28, 841.89)  # A4, the paper of Decree 30/2020 Appendix I
