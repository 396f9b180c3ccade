"""A development certificate authority: a root CA and an issuing CA on disk, built with ``cryptography``.

It stands in for a licensed CA (Decree 130/2018; for state agencies, the Government Cipher Committee's
specialised CA) so that signing and verification can be developed and tested end to end: same chain
shape (root -> issuing CA -> signer), same extensions a relying party checks (key usage with
non-repudiation, CRL distribution points, authority information access), real CRLs.

Files live under ``conf.signing_dir()`` (``var/signing`` by default, never in the repository)::

    ca/root.crt.pem      ca/root.key.pem      (key encrypted with EGOV_SIGNING_PASSPHRASE, mode 0600)
    ca/issuing.crt.pem   ca/issuing.key.pem
    crl/root.crl         crl/issuing.crl      (DER, served at /verify/crl/<name>.crl)

The module knows nothing of the database: ``services`` decides what to issue and which serial numbers
a CRL lists.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from . import conf

ROOT = "root"
ISSUING = "issuing"
CA_NAMES = (ROOT, ISSUING)

CA_KEY_SIZE = 3072
SIGNER_KEY_SIZE = 2048
ROOT_DAYS = 20 * 365
ISSUING_DAYS = 10 * 365
SIGNER_DAYS = 3 * 365
# A CRL is valid a week; it is re-issued on every revocation and when less than a day is left.
CRL_DAYS = 7
CRL_REFRESH_BEFORE = dt.timedelta(days=1)
# Backdating by a few minutes absorbs clock skew between this host and a verifier.
SKEW = dt.timedelta(minutes=5)

_CA_SUBJECTS = {
    ROOT: "egov CA gốc (thử nghiệm)",
    ISSUING: "egov CA cấp chứng thư ký số (thử nghiệm)",
}
_CA_ORGANIZATION = "egov - môi trường phát triển, không dùng cho văn bản thật"

CRL_REASONS = {
    "unspecified": x509.ReasonFlags.unspecified,
    "key_compromise": x509.ReasonFlags.key_compromise,
    "affiliation_changed": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessation_of_operation": x509.ReasonFlags.cessation_of_operation,
}


class CaNotInitialised(RuntimeError):
    """The development CA has not been created yet (``manage.py signing_dev_ca``)."""


@dataclass(frozen=True)
class RevokedEntry:
    serial_number: int
    revoked_at: dt.datetime
    reason: str = "unspecified"


def crl_url(name: str) -> str:
    return f"{conf.public_url()}/verify/crl/{name}.crl"


def ca_cert_url(name: str) -> str:
    return f"{conf.public_url()}/verify/ca/{name}.crt"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _write_atomic(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write so that a reader in another process sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600 if private else 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _name(common_name: str, organization: str = "", uid: str = "") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]))
    if uid:
        attributes.append(x509.NameAttribute(NameOID.USER_ID, uid[:64]))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]))
    return x509.Name(attributes)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        # nonRepudiation: the signer cannot deny the document (what pyHanko requires by default).
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _crl_distribution_point(name: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints(
        [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url(name))], None, None, None)]
    )


def _authority_info(name: str) -> x509.AuthorityInformationAccess:
    return x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(ca_cert_url(name)),
            )
        ]
    )


class DevCertificateAuthority:
    """The root and issuing CA kept in ``directory`` (default ``conf.signing_dir()``)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory else conf.signing_dir()

    # ---- paths ------------------------------------------------------------------------------
    def cert_path(self, name: str) -> Path:
        return self.directory / "ca" / f"{name}.crt.pem"

    def key_path(self, name: str) -> Path:
        return self.directory / "ca" / f"{name}.key.pem"

    def crl_path(self, name: str) -> Path:
        return self.directory / "crl" / f"{name}.crl"

    def exists(self) -> bool:
        return all(self.cert_path(n).is_file() and self.key_path(n).is_file() for n in CA_NAMES)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise CA writes across processes (two workers publishing a CRL at once)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # ---- loading ------------------------------------------------------------------------------
    def certificate(self, name: str) -> x509.Certificate:
        path = self.cert_path(name)
        if not path.is_file():
            raise CaNotInitialised(f"{path} not found: run `manage.py signing_dev_ca`")
        return x509.load_pem_x509_certificate(path.read_bytes())

    def _private_key(self, name: str) -> rsa.RSAPrivateKey:
        path = self.key_path(name)
        if not path.is_file():
            raise CaNotInitialised(f"{path} not found: run `manage.py signing_dev_ca`")
        key = serialization.load_pem_private_key(path.read_bytes(), password=conf.passphrase())
        assert isinstance(key, rsa.RSAPrivateKey)
        return key

    # ---- creation -----------------------------------------------------------------------------
    def ensure(self, *, valid_from: dt.datetime | None = None) -> bool:
        """Create the root and the issuing CA and their first CRLs unless they exist. True if created.

        ``valid_from`` backdates both CAs (tests that sign "in the past" need a CA that existed then).
        """
        with self._lock():
            if self.exists():
                return False
            now = valid_from or _now()
            root_key = rsa.generate_private_key(public_exponent=65537, key_size=CA_KEY_SIZE)
            root_name = _name(_CA_SUBJECTS[ROOT], _CA_ORGANIZATION)
            root = (
                x509.CertificateBuilder()
                .subject_name(root_name)
                .issuer_name(root_name)
                .public_key(root_key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - SKEW)
                .not_valid_after(now + dt.timedelta(days=ROOT_DAYS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
                .add_extension(_key_usage(ca=True), critical=True)
                .add_extension(
                    x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
                )
                .sign(root_key, hashes.SHA256())
            )
            issuing_key = rsa.generate_private_key(public_exponent=65537, key_size=CA_KEY_SIZE)
            issuing = (
                x509.CertificateBuilder()
                .subject_name(_name(_CA_SUBJECTS[ISSUING], _CA_ORGANIZATION))
                .issuer_name(root_name)
                .public_key(issuing_key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - SKEW)
                .not_valid_after(now + dt.timedelta(days=ISSUING_DAYS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(_key_usage(ca=True), critical=True)
                .add_extension(
                    x509.SubjectKeyIdentifier.from_public_key(issuing_key.public_key()), critical=False
                )
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
                )
                .add_extension(_crl_distribution_point(ROOT), critical=False)
                .add_extension(_authority_info(ROOT), critical=False)
                .sign(root_key, hashes.SHA256())
            )
            encryption = serialization.BestAvailableEncryption(conf.passphrase())
            for name, key, cert in ((ROOT, root_key, root), (ISSUING, issuing_key, issuing)):
                _write_atomic(
                    self.key_path(name),
                    key.private_bytes(
                        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
                    ),
                    private=True,
                )
                _write_atomic(self.cert_path(name), cert.public_bytes(serialization.Encoding.PEM))
            for name in CA_NAMES:
                self._write_crl(name, [])
            return True

    def issue(
        self,
        *,
        common_name: str,
        organization: str = "",
        uid: str = "",
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        key_size: int = SIGNER_KEY_SIZE,
    ) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
        """A new key pair and its certificate for a signer, issued by the issuing CA."""
        issuer_cert = self.certificate(ISSUING)
        issuer_key = self._private_key(ISSUING)
        key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        start = not_before or (_now() - SKEW)
        end = not_after or (start + dt.timedelta(days=SIGNER_DAYS))
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, organization, uid))
            .issuer_name(issuer_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
            )
            .add_extension(_crl_distribution_point(ISSUING), critical=False)
            .add_extension(_authority_info(ISSUING), critical=False)
            .sign(issuer_key, hashes.SHA256())
        )
        return key, cert

    # ---- CRLs -----------------------------------------------------------------------------------
    def publish_crl(self, name: str, revoked: Iterable[RevokedEntry]) -> bytes:
        """Issue a new CRL for CA ``name`` listing ``revoked`` and publish it (atomically)."""
        with self._lock():
            return self._write_crl(name, list(revoked))

    def _write_crl(self, name: str, revoked: list[RevokedEntry]) -> bytes:
        ca_cert = self.certificate(name)
        ca_key = self._private_key(name)
        now = _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(now - SKEW)
            .next_update(now + dt.timedelta(days=CRL_DAYS))
            # Monotonic across re-issues, as RFC 5280 §5.2.3 requires.
            .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
        )
        for entry in revoked:
            item = (
                x509.RevokedCertificateBuilder()
                .serial_number(entry.serial_number)
                .revocation_date(entry.revoked_at.astimezone(dt.UTC))
            )
            reason = CRL_REASONS.get(entry.reason, x509.ReasonFlags.unspecified)
            if reason != x509.ReasonFlags.unspecified:
                item = item.add_extension(x509.CRLReason(reason), critical=False)
            builder = builder.add_revoked_certificate(item.build())
        data = builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        _write_atomic(self.crl_path(name), data)
        return data

    def crl_needs_refresh(self, name: str) -> bool:
        path = self.crl_path(name)
        if not path.is_file():
            return True
        try:
            crl = x509.load_der_x509_crl(path.read_bytes())
        except ValueError:
            return True
        next_update = crl.next_update_utc
        return next_update is None or next_update - _now() < CRL_REFRESH_BEFORE
