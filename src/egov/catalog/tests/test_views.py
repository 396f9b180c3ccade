"""Catalog admin pages: permissions, search, edits through the services, the step-sum error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from egov.accounts.choices import Role
from egov.catalog.models import Procedure, ProcedureOffering, ProcessTemplate
from egov.catalog.services import offering_ensure
from egov.testing.factories import AgencyFactory, officer

pytestmark = pytest.mark.django_db

CODE = "1.004222"


@pytest.fixture
def agency():
    return AgencyFactory()


@pytest.fixture
def admin_client(client, agency, bundled_catalog):
    client.force_login(officer(agency, Role.AGENCY_ADMIN))
    return client


def _pages():
    template = ProcessTemplate.objects.get(procedure__code=CODE)
    return [
        reverse("catalog:procedure_list"),
        reverse("catalog:procedure_create"),
        reverse("catalog:procedure_edit", args=[CODE]),
        reverse("catalog:documents_edit", args=[CODE]),
        reverse("catalog:process_edit", args=[CODE]),
        reverse("catalog:process_edit_template", args=[CODE, template.pk]),
        reverse("catalog:offering_list"),
    ]


def test_anonymous_users_are_sent_to_login(client, bundled_catalog, settings):
    for url in _pages():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse(settings.LOGIN_URL)), url
        assert "next=" in response["Location"]


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.RECEPTION, Role.LEADER, Role.CLERK])
def test_officers_without_an_admin_role_get_403(client, agency, bundled_catalog, role):
    client.force_login(officer(agency, role))
    for url in _pages():
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("catalog:procedure_edit", args=[CODE]), {"name": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.AGENCY_ADMIN, Role.PROVINCE_ADMIN])
def test_admins_can_open_every_page(client, agency, bundled_catalog, role):
    client.force_login(officer(agency, role))
    for url in _pages():
        response = client.get(url)
        assert response.status_code == 200, url


def test_list_searches_without_diacritics(admin_client):
    response = admin_client.get(reverse("catalog:procedure_list"), {"q": "DANG KY THUONG TRU"})
    content = response.content.decode()
    assert "Đăng ký thường trú" in content and "Đăng ký khai sinh" not in content


def _procedure_post(procedure: Procedure, **overrides) -> dict:
    data = {
        "code": procedure.code,
        "name": procedure.name,
        "field": procedure.field_id,
        "level": procedure.level,
        "implementing_agency": procedure.implementing_agency,
        "offered_by": procedure.offered_by,
        "processing_amount": procedure.processing_amount,
        "processing_unit": procedure.processing_unit,
        "fee_in_person": procedure.fee_in_person,
        "fee_online": procedure.fee_online,
        "fee_note": procedure.fee_note,
        "online_level": procedure.online_level,
        "applicants": procedure.applicants,
        "conditions": procedure.conditions,
        "result": procedure.result,
        "legal_basis": procedure.legal_basis,
        "code_source": procedure.code_source,
        "data_note": procedure.data_note,
        "form_schema": "{}",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_procedure_edit_saves_through_the_service(admin_client):
    procedure = Procedure.objects.get(code=CODE)
    url = reverse("catalog:procedure_edit", args=[CODE])
    response = admin_client.post(
        url, _procedure_post(procedure, name="Đăng ký thường trú (mới)", fee_online=5000)
    )
    assert response.status_code == 302
    procedure.refresh_from_db()
    assert procedure.name == "Đăng ký thường trú (mới)" and procedure.fee_online == 5000
    assert "(moi)" in procedure.search_text


def test_procedure_edit_shows_a_broken_rule_without_saving(admin_client):
    procedure = Procedure.objects.get(code=CODE)
    url = reverse("catalog:procedure_edit", args=[CODE])
    response = admin_client.post(url, _procedure_post(procedure, processing_amount="10"))
    assert response.status_code == 400
    assert "Quy trình" in response.content.decode()
    procedure.refresh_from_db()
    assert procedure.processing_amount == 7


def test_procedure_create(admin_client):
    procedure = Procedure.objects.get(code=CODE)
    response = admin_client.post(
        reverse("catalog:procedure_create"), _procedure_post(procedure, code="1.999002", name="Thủ tục thử")
    )
    assert response.status_code == 302
    assert Procedure.objects.get(code="1.999002").search_text.startswith("1.999002 thu tuc thu")


def _steps_post(template: ProcessTemplate, amounts: list[str], *, statutory: str = "7") -> dict:
    steps = list(template.steps.order_by("position"))
    data = {
        "time-template_name": template.name,
        "time-processing_amount": statutory,
        "time-processing_unit": template.procedure.processing_unit,
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(len(steps)),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for index, (step, amount) in enumerate(zip(steps, amounts, strict=True)):
        data.update(
            {
                f"steps-{index}-id": str(step.pk),
                f"steps-{index}-name": step.name,
                f"steps-{index}-role": step.role,
                f"steps-{index}-amount": amount,
                f"steps-{index}-ORDER": str(index + 1),
            }
        )
        if step.is_decision:
            data[f"steps-{index}-is_decision"] = "on"
    return data


def test_step_edit_failing_the_sum_check_shows_the_error(admin_client):
    # GIVEN the permanent-residence process (0.5 + 5 + 1 + 0.5 = 7 working days)
    template = ProcessTemplate.objects.get(procedure__code=CODE)
    before = list(template.steps.values_list("pk", "amount"))
    # WHEN an admin sets the specialist step to 6 days
    response = admin_client.post(
        reverse("catalog:process_edit_template", args=[CODE, template.pk]),
        _steps_post(template, ["0.5", "6", "1", "0.5"]),
    )
    # THEN the page shows the sum error and nothing is saved
    assert response.status_code == 400
    content = response.content.decode()
    assert "Tổng thời gian các bước (8) phải bằng đúng thời hạn giải quyết (7 ngày làm việc)" in content
    assert list(template.steps.values_list("pk", "amount")) == before


def test_step_edit_that_adds_up_is_saved(admin_client):
    template = ProcessTemplate.objects.get(procedure__code=CODE)
    response = admin_client.post(
        reverse("catalog:process_edit_template", args=[CODE, template.pk]),
        _steps_post(template, ["1", "4", "1,5", "0.5"]),
    )
    assert response.status_code == 302
    assert list(template.steps.order_by("position").values_list("amount", flat=True)) == [
        Decimal("1"),
        Decimal("4"),
        Decimal("1.5"),
        Decimal("0.5"),
    ]


def test_step_edit_can_change_the_statutory_time_together(admin_client):
    template = ProcessTemplate.objects.get(procedure__code=CODE)
    data = _steps_post(template, ["0.5", "3", "1", "0.5"], statutory="5")
    response = admin_client.post(reverse("catalog:process_edit", args=[CODE]), data)
    assert response.status_code == 302
    assert Procedure.objects.get(code=CODE).processing_amount == 5


def test_documents_edit_removes_and_adds(admin_client):
    procedure = Procedure.objects.get(code=CODE)
    documents = list(procedure.required_documents.order_by("position"))
    data = {
        "documents-TOTAL_FORMS": str(len(documents) + 1),
        "documents-INITIAL_FORMS": str(len(documents)),
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "1000",
    }
    for index, document in enumerate(documents):
        data.update(
            {
                f"documents-{index}-id": str(document.pk),
                f"documents-{index}-name": document.name,
                f"documents-{index}-form": document.form,
                f"documents-{index}-quantity": str(document.quantity),
                f"documents-{index}-ORDER": str(len(documents) - index),  # reversed
            }
        )
    data["documents-0-DELETE"] = "on"
    new = len(documents)
    data.update(
        {
            f"documents-{new}-name": "Giấy tờ bổ sung",
            f"documents-{new}-form": "copy",
            f"documents-{new}-quantity": "1",
        }
    )
    response = admin_client.post(reverse("catalog:documents_edit", args=[CODE]), data)
    assert response.status_code == 302
    names = list(procedure.required_documents.order_by("position").values_list("name", flat=True))
    assert names == [documents[2].name, documents[1].name, "Giấy tờ bổ sung"]


def test_offerings_are_listed_added_and_paused(admin_client, agency):
    offering_ensure(procedure=Procedure.objects.get(code="1.001193"), agency=agency)
    url = reverse("catalog:offering_list")
    assert "1.001193" in admin_client.get(url).content.decode()
    response = admin_client.post(url, {"agency": agency.pk, "action": "add", "procedure_code": CODE})
    assert response.status_code == 302
    offering = ProcedureOffering.objects.get(agency=agency, procedure__code=CODE)
    admin_client.post(url, {"agency": agency.pk, "action": "deactivate", "offering": offering.pk})
    offering.refresh_from_db()
    assert offering.is_active is False
    response = admin_client.post(url, {"agency": agency.pk, "action": "add", "procedure_code": "9.999999"})
    assert response.status_code == 400 and "9.999999" in response.content.decode()


def test_agency_admin_cannot_manage_another_agency(admin_client):
    other = AgencyFactory()
    response = admin_client.get(reverse("catalog:offering_list"), {"agency": other.pk})
    assert response.status_code == 403


def test_province_admin_sees_every_agency(client, agency, bundled_catalog):
    other = AgencyFactory()
    client.force_login(officer(agency, Role.PROVINCE_ADMIN))
    response = client.get(reverse("catalog:offering_list"), {"agency": other.pk})
    assert response.status_code == 200 and other.name in response.content.decode()
