"""Who we are on the exchange: each of our agencies signs with its seal certificate (``egov.signing``), and
whom we trust: our own CA for messages between two agencies of this instance, each peer's CA for the rest.

Keys are decrypted once per process and cached by certificate fingerprint (opening a PKCS#12 bundle costs
tens of milliseconds, performance.md §3b.7), so signing a status answer stays cheap under load.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.core.errors import DomainError
from egov.core.models import Agency

from . import conf, edxml


class IdentityMissing(DomainError):
    """The agency has no usable seal certificate to sign exchange messages with."""

    status = 409
    code = "exchange_identity_missing"


@dataclass(frozen=True)
class SigningIdentity:
    organ_id: str
    key: object
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    def sign(self, xml: bytes) -> bytes:
        return edxml.sign_message(xml, self.key, [self.certificate, *self.chain])


_keys: dict[str, SigningIdentity] = {}
_by_agency: dict[int, tuple[float, SigningIdentity]] = {}
_lock = threading.Lock()
# Which certificate an agency signs with is re-read at most this often per process: a new or revoked seal
# takes effect within a minute, and a busy inbox does not query it for every answer it signs.
IDENTITY_TTL_SECONDS = 60.0


def identity_for(agency: Agency) -> SigningIdentity:
    """The seal certificate and key of ``agency`` (Decree 30/2020 Appendix I §II.8: the agency's signature)."""
    cached = _by_agency.get(agency.pk)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    found = _load_identity(agency)
    _by_agency[agency.pk] = (now + IDENTITY_TTL_SECONDS, found)
    return found


def _load_identity(agency: Agency) -> SigningIdentity:
    from egov.signing import conf as signing_conf
    from egov.signing.selectors import certificate_usable_for

    certificate = certificate_usable_for(agency=agency, at=timezone.now())
    if certificate is None or not certificate.pkcs12:
        raise IdentityMissing(
            _(
                "Cơ quan %(code)s chưa có chứng thư số (con dấu) để ký gói tin liên thông: "
                "cấp bằng manage.py signing_dev_ca --agency %(code)s (thử nghiệm) hoặc nhập chứng thư thật."
            )
            % {"code": agency.code}
        )
    cached = _keys.get(certificate.fingerprint_sha256)
    if cached is not None:
        return cached
    with _lock:
        cached = _keys.get(certificate.fingerprint_sha256)
        if cached is None:
            key, cert, chain = pkcs12.load_key_and_certificates(
                bytes(certificate.pkcs12), signing_conf.passphrase()
            )
            if key is None or cert is None:
                raise IdentityMissing(
                    _("Chứng thư số của cơ quan %(code)s không có khóa.") % {"code": agency.code}
                )
            # The root stays out of KeyInfo: the receiver holds it as its trust anchor.
            intermediates = tuple(c for c in chain or () if c.subject != c.issuer)
            cached = SigningIdentity(organ_id=agency.code, key=key, certificate=cert, chain=intermediates)
            _keys[certificate.fingerprint_sha256] = cached
    return cached


def forget() -> None:
    """Drop the cached identities (tests, or after importing a new seal in this process)."""
    _keys.clear()
    _by_agency.clear()


def local_trust_pem() -> bytes:
    """PEM of the CA(s) our own agencies' seals chain to: ``EGOV_EXCHANGE_TRUST_PEM`` (a file) if set,
    else the development CA of ``egov.signing`` (root and issuing)."""
    configured = conf.setting("EGOV_EXCHANGE_TRUST_PEM", "")
    if configured:
        return Path(configured).read_bytes()
    from egov.signing import ca

    authority = ca.DevCertificateAuthority()
    if not authority.exists():
        return b""
    return b"".join(authority.cert_path(name).read_bytes() for name in ca.CA_NAMES)


def local_trust() -> edxml.TrustStore:
    return edxml.TrustStore.from_pem(local_trust_pem())


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()
