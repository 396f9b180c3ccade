"""What a relying party trusts: our root CA as trust anchor, the issuing CA, and the CRLs both publish.

Everything is read from the development CA's files (``ca.DevCertificateAuthority``) and cached per
process; the cache is keyed by the files' modification times, so a CRL re-issued by another worker is
picked up on the next call without a restart. Nothing here fetches from the network: a verifier that
depended on reaching a CRL server would fail exactly when the public most needs it.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator import ValidationContext

from .ca import CA_NAMES, ISSUING, ROOT, DevCertificateAuthority


@dataclass(frozen=True)
class Revocation:
    revoked_at: dt.datetime
    reason: str


@dataclass(frozen=True)
class TrustMaterial:
    """Trust anchors, intermediate certificates and (signature-checked) CRLs, as of one file state."""

    roots: tuple[asn1_x509.Certificate, ...] = ()
    intermediates: tuple[asn1_x509.Certificate, ...] = ()
    crls: tuple[bytes, ...] = ()
    # issuer DN (DER) -> parsed CRL, only CRLs whose signature verifies with a known CA's key.
    _crl_by_issuer: dict[bytes, x509.CertificateRevocationList] = field(default_factory=dict, repr=False)

    @property
    def available(self) -> bool:
        return bool(self.roots)

    @property
    def root_fingerprints(self) -> frozenset[bytes]:
        return frozenset(c.sha256 for c in self.roots)

    def validation_context(
        self,
        *,
        moment: dt.datetime | None = None,
        with_revocation: bool = True,
        retroactive_revinfo: bool = False,
        extra_crls: tuple[bytes, ...] = (),
    ) -> ValidationContext:
        """A fresh context (contexts keep state between validations, so one per validation).

        ``with_revocation=False`` checks the chain only; otherwise the CRLs are consulted and a
        certificate with a known CRL that cannot be checked fails ("hard-fail").
        """
        if with_revocation:
            return ValidationContext(
                trust_roots=list(self.roots),
                other_certs=list(self.intermediates),
                crls=list(self.crls) + list(extra_crls),
                allow_fetching=False,
                moment=moment,
                retroactive_revinfo=retroactive_revinfo,
                revocation_mode="hard-fail",
            )
        return ValidationContext(
            trust_roots=list(self.roots),
            other_certs=list(self.intermediates),
            allow_fetching=False,
            moment=moment,
            revocation_mode="soft-fail",
        )

    def knows_issuer_of(self, cert: asn1_x509.Certificate) -> bool:
        return cert.issuer.dump() in self._crl_by_issuer

    def revocation_of(self, cert: asn1_x509.Certificate) -> Revocation | None:
        """The revocation of ``cert`` on its issuer's current CRL, or None (not listed, or no CRL)."""
        crl = self._crl_by_issuer.get(cert.issuer.dump())
        if crl is None:
            return None
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is None:
            return None
        try:
            reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
        except x509.ExtensionNotFound:
            reason = "unspecified"
        return Revocation(revoked_at=entry.revocation_date_utc, reason=reason)


_EMPTY = TrustMaterial()
_cache: dict[Path, tuple[tuple, TrustMaterial]] = {}
_lock = threading.Lock()


def _stamp(paths: list[Path]) -> tuple:
    out = []
    for path in paths:
        try:
            st = path.stat()
        except FileNotFoundError:
            out.append((str(path), None))
        else:
            out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


def _load(authority: DevCertificateAuthority) -> TrustMaterial:
    if not authority.exists():
        return _EMPTY
    certs = {name: authority.certificate(name) for name in CA_NAMES}
    crl_by_issuer: dict[bytes, x509.CertificateRevocationList] = {}
    crls: list[bytes] = []
    for name in CA_NAMES:
        path = authority.crl_path(name)
        if not path.is_file():
            continue
        data = path.read_bytes()
        try:
            crl = x509.load_der_x509_crl(data)
        except ValueError:
            continue
        # A CRL counts only if its issuer's key signed it; a damaged file must not revoke or clear anyone.
        if not crl.is_signature_valid(certs[name].public_key()):
            continue
        crls.append(data)
        crl_by_issuer[certs[name].subject.public_bytes()] = crl

    def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    return TrustMaterial(
        roots=(to_asn1(certs[ROOT]),),
        intermediates=(to_asn1(certs[ISSUING]),),
        crls=tuple(crls),
        _crl_by_issuer=crl_by_issuer,
    )


def trust_material(authority: DevCertificateAuthority | None = None) -> TrustMaterial:
    """The current trust material, reloaded only when a CA or CRL file changed."""
    authority = authority or DevCertificateAuthority()
    paths = [authority.cert_path(n) for n in CA_NAMES] + [authority.crl_path(n) for n in CA_NAMES]
    stamp = _stamp(paths)
    key = authority.directory.resolve()
    cached = _cache.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        material = _load(authority)
        _cache[key] = (stamp, material)
    return material
