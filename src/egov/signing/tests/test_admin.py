"""Admin: certificates are listed without their keys and revoked through the service."""

from __future__ import annotations

import pytest
from django.urls import reverse

from egov.signing.choices import CertificateStatus

pytestmark = pytest.mark.django_db


def test_admin_lists_and_revokes(admin_client, leader_cert):
    changelist = reverse("admin:signing_signingcertificate_changelist")
    assert admin_client.get(changelist).status_code == 200
    page = admin_client.get(reverse("admin:signing_signingcertificate_change", args=[leader_cert.pk]))
    assert page.status_code == 200
    assert "pkcs12" not in page.content.decode()
    response = admin_client.post(
        changelist, {"action": "revoke", "_selected_action": [leader_cert.pk]}, follow=True
    )
    assert response.status_code == 200
    leader_cert.refresh_from_db()
    assert leader_cert.status == CertificateStatus.REVOKED
