"""Signature providers: the interface, the PKCS#12 provider and its per-process key cache."""

from __future__ import annotations

import pytest

from egov.signing import providers, services
from egov.signing.verification import pdf_verify

pytestmark = pytest.mark.django_db


def test_pkcs12_provider_implements_the_interface():
    assert isinstance(providers.Pkcs12Provider(), providers.SignatureProvider)


def test_provider_caches_one_signer_per_certificate(leader_cert, seal_cert):
    provider = providers.Pkcs12Provider()
    first = provider.signer_for(leader_cert)
    assert provider.signer_for(leader_cert) is first
    assert provider.signer_for(seal_cert) is not first
    provider.forget(leader_cert)
    assert provider.signer_for(leader_cert) is not first


def test_wrong_passphrase_is_a_clear_error(leader_cert, settings):
    settings.EGOV_SIGNING_PASSPHRASE = "not-the-passphrase"
    with pytest.raises(providers.KeyUnavailable):
        providers.Pkcs12Provider().signer_for(leader_cert)


def test_a_certificate_without_key_material(leader_cert):
    leader_cert.pkcs12 = b""
    with pytest.raises(providers.KeyUnavailable):
        providers.Pkcs12Provider().signer_for(leader_cert)


def test_another_provider_plugs_in(leader_cert, one_page_pdf):
    # GIVEN a provider that is not the PKCS#12 one (as a token or HSM provider would be)
    calls = []
    real = providers.Pkcs12Provider()

    class TokenLikeProvider:
        def signer_for(self, certificate):
            calls.append(certificate.pk)
            return real.signer_for(certificate)

    # WHEN pdf_sign is given it
    signed = services.pdf_sign(
        pdf=one_page_pdf,
        certificate=leader_cert,
        reason="",
        location="",
        field_name="S",
        visible=False,
        provider=TokenLikeProvider(),
    )
    # THEN it was asked for the signer, and the result verifies
    assert calls == [leader_cert.pk]
    assert pdf_verify(signed)["verdict"] == "valid"
