"""``signing_dev_ca`` (idempotent) and ``signing_revoke``."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography import x509
from django.core.management import CommandError, call_command

from egov.signing import ca
from egov.signing.choices import CertificateKind, CertificateStatus
from egov.signing.models import SigningCertificate

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_dev_ca_is_created_once_and_certificates_issued_once(tmp_path, settings, leader, agency):
    # GIVEN an empty signing directory
    settings.EGOV_SIGNING_DIR = str(tmp_path / "signing")
    # WHEN the command runs for a leader and an agency
    first = run("signing_dev_ca", "--user", leader.username, "--agency", agency.code)
    authority = ca.DevCertificateAuthority(tmp_path / "signing")
    root_pem = authority.cert_path(ca.ROOT).read_bytes()
    # THEN the CA files exist (keys private) and each owner got a certificate
    assert "Đã tạo CA thử nghiệm" in first
    assert authority.exists()
    assert authority.key_path(ca.ROOT).stat().st_mode & 0o077 == 0
    assert authority.crl_path(ca.ISSUING).is_file()
    assert SigningCertificate.objects.filter(kind=CertificateKind.PERSONAL, user=leader).count() == 1
    assert SigningCertificate.objects.filter(kind=CertificateKind.AGENCY_SEAL, agency=agency).count() == 1
    # WHEN it runs again
    second = run("signing_dev_ca", "--user", leader.username, "--agency", agency.code)
    # THEN nothing new is made: same root, no second certificate
    assert "CA thử nghiệm đã có" in second
    assert authority.cert_path(ca.ROOT).read_bytes() == root_pem
    assert SigningCertificate.objects.count() == 2
    # AND --renew issues a new one
    run("signing_dev_ca", "--user", leader.username, "--renew")
    assert SigningCertificate.objects.filter(user=leader).count() == 2


def test_dev_ca_lives_under_var_not_the_repository(settings):
    from egov.signing import conf

    del settings.EGOV_SIGNING_DIR
    assert conf.signing_dir() == settings.VAR_DIR / "signing"


def test_unknown_user_is_an_error(settings, tmp_path):
    settings.EGOV_SIGNING_DIR = str(tmp_path / "s")
    with pytest.raises(CommandError):
        run("signing_dev_ca", "--user", "nobody")


def test_revoke_by_user_updates_the_crl(leader_cert, dev_ca, django_capture_on_commit_callbacks):
    # The CRL is published on commit; outside a test's transaction that is right after each revocation.
    with django_capture_on_commit_callbacks(execute=True):
        out = run("signing_revoke", "--user", leader_cert.user.username, "--reason", "key_compromise")
    assert "Đã thu hồi" in out
    leader_cert.refresh_from_db()
    assert leader_cert.status == CertificateStatus.REVOKED
    crl = x509.load_der_x509_crl(dev_ca.crl_path(ca.ISSUING).read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(int(leader_cert.serial_number, 16)) is not None


def test_revoke_by_serial(seal_cert):
    run("signing_revoke", "--serial", seal_cert.serial_number)
    seal_cert.refresh_from_db()
    assert seal_cert.status == CertificateStatus.REVOKED


def test_revoke_nothing_matching_is_an_error(db):
    with pytest.raises(CommandError):
        run("signing_revoke", "--agency", "999.99.99.H99")
