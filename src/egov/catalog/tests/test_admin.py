"""Django admin registration of the catalog."""

from __future__ import annotations

import pytest
from django.urls import reverse

from egov.catalog.models import Field, Procedure, ProcedureOffering, ProcessTemplate
from egov.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_changelists_and_change_pages_open(superuser_client, bundled_catalog):
    procedure = Procedure.objects.get(code="1.001193")
    template = ProcessTemplate.objects.get(procedure=procedure)
    for model in (Field, Procedure, ProcessTemplate, ProcedureOffering):
        url = reverse(f"admin:catalog_{model._meta.model_name}_changelist")
        assert superuser_client.get(url).status_code == 200, url
    assert (
        superuser_client.get(reverse("admin:catalog_procedure_change", args=[procedure.pk])).status_code
        == 200
    )
    assert (
        superuser_client.get(reverse("admin:catalog_processtemplate_change", args=[template.pk])).status_code
        == 200
    )


def test_admin_step_inline_checks_the_sum(superuser_client, bundled_catalog):
    template = ProcessTemplate.objects.get(procedure__code="1.004222")
    steps = list(template.steps.order_by("position"))
    data = {
        "procedure": template.procedure_id,
        "name": template.name,
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(len(steps)),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for index, step in enumerate(steps):
        data.update(
            {
                f"steps-{index}-id": str(step.pk),
                f"steps-{index}-template": str(template.pk),
                f"steps-{index}-position": str(step.position),
                f"steps-{index}-name": step.name,
                f"steps-{index}-role": step.role,
                f"steps-{index}-amount": "3",
            }
        )
    response = superuser_client.post(
        reverse("admin:catalog_processtemplate_change", args=[template.pk]), data
    )
    assert response.status_code == 200
    assert "phải bằng đúng thời hạn giải quyết" in response.content.decode()
