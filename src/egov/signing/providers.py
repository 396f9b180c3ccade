"""Signature providers: where a signing key lives, behind one small interface.

``SignatureProvider.signer_for(certificate)`` returns a pyHanko ``Signer`` for a ``SigningCertificate``.
The one implementation here, ``Pkcs12Provider``, decrypts the PKCS#12 bundle stored (encrypted) in the
database. Officials who sign with a USB token or an agency HSM need a PKCS#11 provider instead; it plugs
in at the same place, returning pyHanko's ``pyhanko.sign.pkcs11.PKCS11Signer``::

    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    class Pkcs11Provider:
        def signer_for(self, certificate):
            session = open_pkcs11_session(settings.EGOV_PKCS11_LIB, token_label=..., user_pin=...)
            return PKCS11Signer(session, cert_label=certificate.serial_number, key_label=...)

(``pip install 'pyHanko[pkcs11]'``; the session must stay open while signing and be reused, since
logging in to a token costs far more than the signature.) ``SigningCertificate.pkcs12`` is then empty
and the certificate row only records which token key to use. A remote signing service (CSC API) fits
the same way through ``pyhanko.sign.signers.csc_signer``.

Performance (reference/performance.md §3b.7): ``SimpleSigner`` parses the DER private key again for
every raw signature (~40 ms); ``CachedKeySigner`` keeps the parsed ``cryptography`` key object and the
encoded signing-certificate attribute, and the provider keeps one signer per certificate per process,
so the PKCS#12 is decrypted (PBKDF2) once.
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

from asn1crypto import cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign import attributes
from pyhanko.sign.attributes import CMSAttributeProvider, SignedAttributeProviderSpec
from pyhanko.sign.general import get_pyca_cryptography_hash, simple_cms_attribute
from pyhanko.sign.signers.pdf_cms import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from . import conf
from .models import SigningCertificate


class KeyUnavailable(RuntimeError):
    """The key of a certificate cannot be loaded (no PKCS#12, wrong passphrase, damaged bundle)."""


@runtime_checkable
class SignatureProvider(Protocol):
    """Gives the pyHanko signer that holds the private key of ``certificate``."""

    def signer_for(self, certificate: SigningCertificate) -> Signer: ...


class _CachedAttributeProvider(CMSAttributeProvider):
    """Gives the same, pre-encoded attribute every time (a fresh object, so no signature shares state)."""

    def __init__(self, attribute_type: str, der: bytes) -> None:
        self.attribute_type = attribute_type
        self._der = der

    async def get_attribute(self, dry_run: bool = False) -> cms.CMSAttribute:
        return cms.CMSAttribute.load(self._der)


class _PadesSignedAttributes(SignedAttributeProviderSpec):
    """The signed attributes of a PAdES signature (ETSI EN 319 142-1 §5.2): signing-certificate-v2.

    PAdES puts the signing time in the signature dictionary (/M), not in the CMS, and content-type and
    message-digest are added by pyHanko itself; what is left depends only on the certificate, so it is
    encoded once. Building it from the parsed certificate took ~10 ms per signature, most of the CMS
    cost (pyHanko 0.38 re-encodes the certificate each time).
    """

    def __init__(self, signing_cert: asn1_x509.Certificate) -> None:
        value = attributes.as_signing_certificate_v2(signing_cert)
        self._der = simple_cms_attribute("signing_certificate_v2", value).dump()

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str):
        yield _CachedAttributeProvider("signing_certificate_v2", self._der)


class CachedKeySigner(SimpleSigner):
    """``SimpleSigner`` for PAdES that keeps its parsed key and its encoded signed attributes.

    Only for PAdES signatures (/SubFilter ETSI.CAdES.detached), which is all ``services`` makes.
    """

    def __init__(self, *, private_key, **kwargs) -> None:
        super().__init__(**kwargs)
        self._private_key = private_key
        self.signed_attr_prov_spec = _PadesSignedAttributes(self.signing_cert)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        key = self._private_key
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hash_algo)
        if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hash_algo))
        # Anything else (RSA-PSS parameters, EdDSA...) goes through pyHanko's generic, slower path.
        return super().sign_raw(data, digest_algorithm)


def _cert_to_asn1(cert) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _key_to_asn1(key) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def load_pkcs12_signer(data: bytes, passphrase: bytes) -> CachedKeySigner:
    """Decrypt a PKCS#12 bundle once and return a signer that keeps its parsed key."""
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, passphrase)
    except (ValueError, TypeError) as exc:
        raise KeyUnavailable("cannot open the PKCS#12 bundle (wrong passphrase or damaged data)") from exc
    if key is None or cert is None:
        raise KeyUnavailable("the PKCS#12 bundle holds no key or no certificate")
    registry = SimpleCertificateStore()
    registry.register_multiple([_cert_to_asn1(c) for c in chain or ()])
    return CachedKeySigner(
        private_key=key,
        signing_cert=_cert_to_asn1(cert),
        signing_key=_key_to_asn1(key),
        cert_registry=registry,
    )


class Pkcs12Provider:
    """Keys from the encrypted PKCS#12 bundles in ``SigningCertificate.pkcs12``, cached per process.

    The cache key includes the certificate's fingerprint, so a re-keyed certificate row never reuses
    an old key; revocation is checked by the caller (``services.pdf_sign``) before every signature.
    """

    def __init__(self) -> None:
        self._signers: dict[tuple[int, str], CachedKeySigner] = {}
        self._lock = threading.Lock()

    def signer_for(self, certificate: SigningCertificate) -> CachedKeySigner:
        key = (certificate.pk, certificate.fingerprint_sha256)
        signer = self._signers.get(key)
        if signer is not None:
            return signer
        with self._lock:
            signer = self._signers.get(key)
            if signer is None:
                data = bytes(certificate.pkcs12 or b"")
                if not data:
                    raise KeyUnavailable(f"certificate {certificate.pk} has no PKCS#12 bundle")
                signer = load_pkcs12_signer(data, conf.passphrase())
                cert: asn1_x509.Certificate = signer.signing_cert
                if cert.sha256.hex() != certificate.fingerprint_sha256:
                    raise KeyUnavailable(
                        f"certificate {certificate.pk}: the bundle holds another certificate"
                    )
                self._signers[key] = signer
        return signer

    def forget(self, certificate: SigningCertificate | None = None) -> None:
        """Drop cached keys (all, or one certificate's), e.g. after a revocation."""
        with self._lock:
            if certificate is None:
                self._signers.clear()
            else:
                for key in [k for k in self._signers if k[0] == certificate.pk]:
                    del self._signers[key]


_default: SignatureProvider = Pkcs12Provider()


def default_provider() -> SignatureProvider:
    return _default


def set_default_provider(provider: SignatureProvider) -> SignatureProvider:
    """Install another provider (a PKCS#11 one, or a fake in tests); returns the previous one."""
    global _default
    previous, _default = _default, provider
    return previous
