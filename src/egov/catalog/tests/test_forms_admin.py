"""The e-form editor for agency admins (``catalog/forms_admin.py``): permission, validation, preview, save."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from egov.accounts.choices import Role
from egov.catalog.forms_admin import fields_to_schema, procedure_form_schema_save
from egov.catalog.models import Procedure
from egov.core.errors import ValidationFailed
from egov.portal import eforms
from egov.testing.factories import AgencyFactory, officer

pytestmark = pytest.mark.django_db

CODE = "1.004222"
SCHEMA = {
    "type": "object",
    "required": ["ho_ten"],
    "properties": {
        "ho_ten": {
            "type": "string",
            "maxLength": 50,
            "x-label": "Họ và tên",
            "x-prefill": "person.full_name",
        },
        "so_con": {"type": "integer", "minimum": 0, "x-label": "Số con"},
    },
}


@pytest.fixture
def admin_client(client, bundled_catalog):
    client.force_login(officer(AgencyFactory(), Role.AGENCY_ADMIN))
    return client


def _json_url(code=CODE):
    return reverse("catalog:form_schema_edit", args=[code])


def _fields_url(code=CODE):
    return reverse("catalog:form_fields_edit", args=[code])


def test_anonymous_users_go_to_login_and_other_officers_get_403(client, bundled_catalog, settings):
    for url in (_json_url(), _fields_url()):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse(settings.LOGIN_URL))
    client.force_login(officer(AgencyFactory(), Role.SPECIALIST, Role.RECEPTION))
    for url in (_json_url(), _fields_url()):
        assert client.get(url).status_code == 403
    response = client.post(_json_url(), {"schema": json.dumps(SCHEMA), "action": "save"})
    assert response.status_code == 403
    assert "ho_ten" not in json.dumps(Procedure.objects.get(code=CODE).form_schema)


def test_editor_shows_the_definition_and_its_preview(admin_client):
    response = admin_client.get(_json_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "&quot;new_address&quot;" in body  # the JSON, escaped in the text area
    assert 'data-testid="schema-preview-form"' in body
    assert 'for="id_f-new_address"' in body  # rendered by the portal's engine
    assert "household.head.full_name" in body  # the list of prefill paths


def test_invalid_json_is_reported_with_its_place_and_nothing_saved(admin_client):
    before = Procedure.objects.get(code=CODE).form_schema
    response = admin_client.post(
        _json_url(), {"schema": '{"type": "object",\n "properties": }', "action": "save"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "JSON không hợp lệ ở dòng 2" in body
    assert 'href="#id_schema"' in body
    assert Procedure.objects.get(code=CODE).form_schema == before


def test_schema_problems_are_listed_and_nothing_saved(admin_client):
    bad = {
        "type": "object",
        "properties": {"a": {"type": "date"}, "b": {"type": "string", "x-prefill": "x.y"}},
    }
    response = admin_client.post(_json_url(), {"schema": json.dumps(bad), "action": "save"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Trường “a”" in body and "Trường “b”" in body
    assert "b" not in Procedure.objects.get(code=CODE).form_schema.get("properties", {})


def test_preview_and_try_it_use_the_citizens_validation(admin_client):
    text = json.dumps(SCHEMA)
    response = admin_client.post(_json_url(), {"schema": text, "action": "preview"})
    assert response.status_code == 200
    assert 'for="id_f-ho_ten"' in response.content.decode()
    # WHEN sample answers are tried THEN the messages are those a citizen would see
    response = admin_client.post(
        _json_url(), {"schema": text, "action": "check", "f-ho_ten": "", "f-so_con": "-1"}
    )
    body = response.content.decode()
    assert 'data-testid="preview-errors"' in body
    assert "Vui lòng nhập Họ và tên." in body and "Số con phải từ 0 trở lên." in body
    response = admin_client.post(_json_url(), {"schema": text, "action": "check", "f-ho_ten": "An"})
    assert 'data-testid="preview-valid"' in response.content.decode()
    # AND none of this saved anything
    assert "ho_ten" not in Procedure.objects.get(code=CODE).form_schema.get("properties", {})


def test_save_replaces_the_definition(admin_client):
    response = admin_client.post(_json_url(), {"schema": json.dumps(SCHEMA), "action": "save"})
    assert response.status_code == 302
    # the order as written is kept as a list: PostgreSQL's jsonb does not keep the order of keys
    assert Procedure.objects.get(code=CODE).form_schema == {**SCHEMA, "x-order": ["ho_ten", "so_con"]}
    # an empty text removes the e-form
    admin_client.post(_json_url(), {"schema": "", "action": "save"})
    assert Procedure.objects.get(code=CODE).form_schema == {}


def test_the_service_refuses_an_invalid_definition(bundled_catalog):
    procedure = Procedure.objects.get(code=CODE)
    with pytest.raises(ValidationFailed):
        procedure_form_schema_save(procedure=procedure, schema={"type": "object", "properties": {"A": {}}})


def test_legacy_definitions_are_shown_converted(admin_client):
    Procedure.objects.filter(code=CODE).update(
        form_schema={"fields": [{"key": "dia_chi", "label": "Địa chỉ", "type": "text", "required": True}]}
    )
    body = admin_client.get(_json_url()).content.decode()
    assert "&quot;properties&quot;" in body and "định dạng cũ" in body


# ---- the field-list editor ----------------------------------------------------------------------------
def _management(total: int, initial: int = 0) -> dict:
    return {
        "fields-TOTAL_FORMS": str(total),
        "fields-INITIAL_FORMS": str(initial),
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "1000",
    }


def test_field_list_shows_one_row_per_field(admin_client):
    body = admin_client.get(_fields_url()).content.decode()
    count = len(eforms.form_fields(Procedure.objects.get(code=CODE).form_schema))
    assert body.count('data-testid="field-row"') == count + 1  # plus an empty row to add a field
    assert 'aria-label="Mã trường"' in body


def test_field_list_saves_a_valid_definition_and_keeps_hidden_keywords(admin_client):
    # GIVEN the bundled residence form, whose id_number has a 12-digit pattern
    post = {
        **_management(2),
        "root-title": "Tờ khai thử",
        "root-subject": "applicant",
        "fields-0-ORDER": "2",
        "fields-0-key": "id_number",
        "fields-0-label": "Số định danh",
        "fields-0-kind": "text",
        "fields-0-required": "on",
        "fields-0-prefill": "person.id_number",
        "fields-1-ORDER": "1",
        "fields-1-key": "gioi_tinh",
        "fields-1-label": "Giới tính",
        "fields-1-kind": "choice",
        "fields-1-choices": "Nam\nNữ",
        "fields-1-group": "Người khai",
    }
    response = admin_client.post(_fields_url(), post)
    assert response.status_code == 302, response.content.decode()[:2000]
    schema = Procedure.objects.get(code=CODE).form_schema
    assert eforms.check_schema(schema) == []
    assert [f.key for f in eforms.form_fields(schema)] == ["gioi_tinh", "id_number"]
    assert schema["title"] == "Tờ khai thử" and schema["required"] == ["id_number"]
    assert schema["properties"]["id_number"]["pattern"] == "^[0-9]{12}$"  # kept
    assert schema["properties"]["id_number"]["x-prefill"] == "person.id_number"
    assert schema["properties"]["gioi_tinh"]["enum"] == ["Nam", "Nữ"]
    assert schema["properties"]["gioi_tinh"]["x-widget"] == "radio"


def test_field_list_refuses_bad_rows(admin_client):
    before = Procedure.objects.get(code=CODE).form_schema
    post = {
        **_management(2),
        "root-subject": "applicant",
        "fields-0-key": "Họ tên",
        "fields-0-label": "Họ tên",
        "fields-0-kind": "text",
        "fields-1-key": "chon",
        "fields-1-label": "Chọn",
        "fields-1-kind": "choice",
    }
    response = admin_client.post(_fields_url(), post)
    body = response.content.decode()
    assert response.status_code == 400
    assert "tên trường chỉ gồm" in body and "“enum” phải là danh sách" in body
    assert Procedure.objects.get(code=CODE).form_schema == before


def test_changing_a_kind_drops_keywords_of_the_old_kind():
    base = {"type": "object", "properties": {"n": {"type": "string", "pattern": "^x$", "x-label": "N"}}}
    schema = fields_to_schema(base, {"subject": "child"}, [{"key": "n", "label": "N", "kind": "integer"}])
    assert schema["properties"]["n"] == {"type": "integer", "x-label": "N", "x-order": 1}
    assert schema["x-subject"] == "child"
