"""The e-form engine (``portal/eforms.py``): definitions, validation messages, rendering, prefill, drafts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from egov.accounts.choices import Role, UserKind
from egov.catalog.models import Procedure
from egov.catalog.services import DEFAULT_CATALOG_PATH, catalog_import
from egov.population.choices import Ethnicity, Relationship, Sex
from egov.population.models import CitizenLink, Household, HouseholdMember, Person, PersonAccessLog
from egov.population.selectors import unit_labels
from egov.portal import eforms
from egov.portal.models import FormDraft
from egov.testing.factories import AdministrativeUnitFactory, AgencyFactory, UserFactory, officer

SCHEMA = {
    "$schema": eforms.JSON_SCHEMA_DIALECT,
    "type": "object",
    "required": ["full_name", "birth_date", "sex", "pledge"],
    "properties": {
        "full_name": {
            "type": "string",
            "minLength": 2,
            "maxLength": 20,
            "x-label": "Họ và tên",
            "x-help": "Viết có dấu.",
            "x-group": "Người khai",
            "x-order": 1,
        },
        "id_number": {
            "type": "string",
            "pattern": "^[0-9]{12}$",
            "x-label": "Số định danh cá nhân",
            "x-help": "Gồm 12 chữ số.",
            "x-group": "Người khai",
            "x-order": 2,
        },
        "birth_date": {"type": "string", "format": "date", "x-label": "Ngày sinh", "x-order": 3},
        "sex": {"type": "string", "enum": ["Nam", "Nữ"], "x-widget": "radio", "x-label": "Giới tính"},
        "children": {"type": "integer", "minimum": 0, "maximum": 20, "x-label": "Số con"},
        "note": {"type": "string", "x-widget": "textarea", "x-label": "Ghi chú"},
        "pledge": {"type": "boolean", "x-label": "Tôi cam đoan"},
    },
}


# ---- definitions ----------------------------------------------------------------------------------
def test_a_valid_definition_has_no_problems():
    assert eforms.check_schema(SCHEMA) == []
    assert eforms.check_schema({}) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"type": "array"}, '"type": "object"'),
        ({"properties": {}}, "ít nhất một trường"),
        ({"properties": {"Họ tên": {"type": "string"}}}, "tên trường chỉ gồm"),
        ({"properties": {"a": {"type": "date"}}}, "“format”: “date”"),
        ({"properties": {"a": {"type": "string", "requried": True}}}, "không được hỗ trợ: requried"),
        ({"properties": {"a": {"type": "string", "pattern": "(["}}}, "biểu thức chính quy"),
        ({"properties": {"a": {"type": "string", "x-widget": "radio"}}}, "cần danh sách “enum”"),
        ({"properties": {"a": {"type": "string", "x-prefill": "person.salary"}}}, "person.salary"),
        ({"properties": {"a": {"type": "string", "x-prefill": "person.date_of_birth"}}}, "ngày sinh chỉ"),
        ({"properties": {"a": {"type": "string", "minLength": 5, "maxLength": 2}}}, "lớn hơn “maxLength”"),
        ({"properties": {"a": {"type": "string"}}, "required": ["b"]}, "“b” không có trong “properties”"),
        ({"properties": {"a": {"type": "integer", "enum": ["x"]}}}, "cùng kiểu"),
        ({"properties": {"a": {"type": "string"}}, "x-subject": "cat"}, "x-subject"),
    ],
)
def test_problems_of_a_definition_are_named_in_vietnamese(change, expected):
    # GIVEN a definition with one mistake WHEN it is checked THEN the problem says where and what
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, **change}
    problems = eforms.check_schema(schema)
    assert problems and any(expected in p for p in problems), problems


def test_the_first_format_converts_to_json_schema():
    legacy = {
        "fields": [
            {"key": "child_full_name", "label": "Họ tên của trẻ", "type": "text", "required": True},
            {"key": "child_sex", "label": "Giới tính", "type": "choice", "choices": ["Nam", "Nữ"]},
            {"key": "mother_id_number", "label": "Số ĐDCN của mẹ", "type": "id_number"},
            {"key": "birth", "label": "Ngày sinh", "type": "date"},
        ]
    }
    schema = eforms.as_schema(legacy)
    assert eforms.check_schema(schema) == []
    assert schema["required"] == ["child_full_name"]
    assert schema["properties"]["child_sex"]["enum"] == ["Nam", "Nữ"]
    assert schema["properties"]["birth"]["format"] == "date"
    assert [f.key for f in eforms.form_fields(legacy)] == [
        "child_full_name",
        "child_sex",
        "mother_id_number",
        "birth",
    ]
    assert eforms.validate(legacy, {"child_full_name": "An", "mother_id_number": "123"}) == {
        "mother_id_number": ["Số ĐDCN của mẹ không đúng định dạng. Gồm 12 chữ số."]
    }


@pytest.mark.django_db
def test_the_bundled_catalog_forms_are_valid():
    catalog_import(stream_or_path=DEFAULT_CATALOG_PATH)
    with_forms = [p for p in Procedure.objects.all() if p.form_schema]
    assert {p.code for p in with_forms} >= {"1.001193", "1.004222", "9.000003"}
    for procedure in with_forms:
        assert eforms.check_schema(procedure.form_schema) == [], procedure.code


def test_fields_come_in_x_order_then_as_written():
    keys = [f.key for f in eforms.form_fields(SCHEMA)]
    assert keys[:3] == ["full_name", "id_number", "birth_date"]
    assert keys[3:] == ["sex", "children", "note", "pledge"]
    root_ordered = {**SCHEMA, "x-order": ["pledge", "sex"]}
    assert [f.key for f in eforms.form_fields(root_ordered)][:2] == ["pledge", "sex"]


# ---- validation -----------------------------------------------------------------------------------
def test_missing_required_answers_have_vietnamese_messages():
    _typed, errors = eforms.clean(SCHEMA, {"full_name": "", "pledge": False})
    assert errors == {
        "full_name": ["Vui lòng nhập Họ và tên."],
        "birth_date": ["Vui lòng nhập Ngày sinh."],
        "sex": ["Vui lòng chọn Giới tính."],
        "pledge": ["Vui lòng đánh dấu “Tôi cam đoan”."],
    }


def test_each_constraint_has_its_message():
    raw = {
        "full_name": "A",
        "id_number": "12345",
        "birth_date": "31/02/2024",
        "sex": "Khác",
        "children": "hai",
        "pledge": True,
    }
    _typed, errors = eforms.clean(SCHEMA, raw)
    assert errors["full_name"] == ["Họ và tên phải có ít nhất 2 ký tự."]
    assert errors["id_number"] == ["Số định danh cá nhân không đúng định dạng. Gồm 12 chữ số."]
    assert errors["birth_date"][0].startswith("Ngày sinh không phải ngày hợp lệ")
    assert errors["sex"] == ["Vui lòng chọn Giới tính trong danh sách."]
    assert errors["children"] == ["Số con phải là số nguyên, ví dụ 3."]
    _typed, errors = eforms.clean(SCHEMA, {**raw, "full_name": "x" * 21, "children": "21"})
    assert errors["full_name"] == ["Họ và tên không được dài quá 20 ký tự."]
    assert errors["children"] == ["Số con không được lớn hơn 20."]


def test_clean_types_the_answers():
    # GIVEN answers typed as a person would (a date the Vietnamese way, spaces around)
    raw = {
        "full_name": " Nguyễn Văn An ",
        "birth_date": "17/05/1990",
        "sex": "Nam",
        "children": "2",
        "pledge": True,
    }
    typed, errors = eforms.clean(SCHEMA, raw)
    # THEN they come out typed, empty ones left out
    assert errors == {}
    assert typed == {
        "full_name": "Nguyễn Văn An",
        "birth_date": "1990-05-17",
        "sex": "Nam",
        "children": 2,
        "pledge": True,
    }


def test_json_data_is_validated_by_type():
    errors = eforms.validate(
        SCHEMA, {"full_name": 5, "birth_date": "2024-13-01", "sex": "Nam", "pledge": "yes"}
    )
    assert errors["full_name"] == ["Họ và tên phải là chuỗi ký tự."]
    assert "birth_date" in errors and "pledge" in errors
    closed = {**SCHEMA, "additionalProperties": False}
    assert "extra" in eforms.validate(closed, {"extra": 1})


# ---- rendering ------------------------------------------------------------------------------------
def _render(schema, **kwargs) -> str:
    return render_to_string("portal/procedures/_eform.html", {"eform": eforms.bind(schema, **kwargs)})


def test_rendering_binds_labels_and_groups_fields_in_fieldsets():
    html = _render(SCHEMA)
    # every input has a label bound to it
    for input_id in re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html):
        assert f'for="{input_id}"' in html, input_id
    # x-group becomes a fieldset with a legend; radios sit in their own fieldset
    assert "<legend>Người khai</legend>" in html
    assert re.search(r"<legend>Giới tính <span class=\"required-text\">\(bắt buộc\)</span></legend>", html)
    # required is said in words, not only with colour
    assert html.count("(bắt buộc)") == 4
    # the help text is tied to its input, and the widgets follow the definition
    assert 'aria-describedby="id_f-full_name-help"' in html
    assert 'type="date" name="f-birth_date"' in html
    assert '<textarea name="f-note"' in html
    assert 'type="checkbox" name="f-pledge"' in html
    assert 'inputmode="numeric"' in html


def test_rendering_shows_errors_next_to_fields_and_links_them():
    raw = {"full_name": "A", "sex": ""}
    _typed, errors = eforms.clean(SCHEMA, raw)
    form = eforms.bind(SCHEMA, values=raw, errors=errors)
    html = render_to_string("portal/procedures/_eform.html", {"eform": form})
    assert 'aria-describedby="id_f-full_name-help id_f-full_name-error"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="id_f-full_name-error">Họ và tên phải có ít nhất 2 ký tự.' in html
    # the summary links go to the input (or the first radio of a group)
    anchors = dict(form.error_list())
    assert anchors["id_f-full_name"] == "Họ và tên phải có ít nhất 2 ký tự."
    assert anchors["id_f-sex-0"] == "Vui lòng chọn Giới tính."
    summary = render_to_string("portal/procedures/_error_summary.html", {"errors": form.error_list()})
    assert 'role="alert"' in summary and 'href="#id_f-sex-0"' in summary


def test_values_are_escaped_and_kept():
    html = _render(SCHEMA, values={"full_name": '<script>"x"</script>', "sex": "Nữ", "pledge": True})
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert re.search(r'value="Nữ" checked', html)
    assert re.search(r'name="f-pledge" id="id_f-pledge" value="true" checked', html)


# ---- prefill from the registry --------------------------------------------------------------------
BIRTH_SCHEMA = {
    "type": "object",
    "x-subject": "child",
    "properties": {
        "child_full_name": {"type": "string"},
        "mother_full_name": {"type": "string", "x-prefill": "mother.full_name"},
        "mother_id_number": {"type": "string", "x-prefill": "mother.id_number"},
        "mother_birth_date": {"type": "string", "format": "date", "x-prefill": "mother.date_of_birth"},
        "mother_ethnicity": {"type": "string", "x-prefill": "mother.ethnicity"},
        "mother_residence": {"type": "string", "x-prefill": "mother.permanent_address"},
        "father_full_name": {"type": "string", "x-prefill": "father.full_name"},
        "father_id_number": {"type": "string", "x-prefill": "father.id_number"},
        "head": {"type": "string", "x-prefill": "household.head.full_name"},
        "relationship": {"type": "string", "x-prefill": "household.relationship"},
    },
}


def make_person(full_name: str, id_number: str, dob: dt.date, sex: str, **fields) -> Person:
    return Person.objects.create(
        id_number=id_number,
        full_name=full_name,
        full_name_search=full_name.lower(),
        date_of_birth=dob,
        sex=sex,
        ethnicity=fields.pop("ethnicity", Ethnicity.KINH),
        **fields,
    )


@pytest.fixture
def family(db):
    """A married couple in one household (the husband heads it); the wife's account is linked.

    Yields the wife's user account, who is also an officer, so the registry lets her read her husband's
    record too; a plain citizen reads only her own (``test_plain_citizen_prefill``).
    """
    unit_labels.clear()
    commune = AdministrativeUnitFactory(code="07909", name="Phường Việt Trì")
    husband = make_person("Trần Văn Hùng", "025088000001", dt.date(1988, 3, 2), Sex.MALE)
    wife = make_person(
        "Nguyễn Thị Lan",
        "025192000002",
        dt.date(1992, 7, 9),
        Sex.FEMALE,
        spouse=husband,
        permanent_residence_commune=commune,
        permanent_residence_address="Số 5 đường Trần Phú",
        ethnicity=Ethnicity.MUONG,
    )
    husband.spouse = wife
    husband.save(update_fields=["spouse"])
    household = Household.objects.create(
        code="HK0001", head=husband, address="Số 5 đường Trần Phú", commune=commune
    )
    HouseholdMember.objects.create(household=household, person=husband, relationship=Relationship.HEAD)
    HouseholdMember.objects.create(household=household, person=wife, relationship=Relationship.WIFE)
    user = officer(AgencyFactory(), Role.RECEPTION, username="lan")
    CitizenLink.objects.create(user=user, person=wife, verified_at=timezone.now())
    yield user
    unit_labels.clear()


def test_prefill_fills_the_childs_parents_and_logs_every_read(family):
    # GIVEN the mother's linked account WHEN the birth registration form is prefilled
    result = eforms.prefill(BIRTH_SCHEMA, user=family, procedure_code="1.001193")
    # THEN the parents are the applicant and her spouse, from the registry
    assert result.values == {
        "mother_full_name": "Nguyễn Thị Lan",
        "mother_id_number": "025192000002",
        "mother_birth_date": "1992-07-09",
        "mother_ethnicity": "Mường",
        "mother_residence": "Số 5 đường Trần Phú, Phường Việt Trì",
        "father_full_name": "Trần Văn Hùng",
        "father_id_number": "025088000001",
        "head": "Trần Văn Hùng",
        "relationship": "Vợ",
    }
    assert result.person.id_number == "025192000002"
    # AND every record read is in the access log with the purpose (her own, her husband's as head)
    logs = PersonAccessLog.objects.order_by("pk")
    assert [(log.person.id_number, log.purpose) for log in logs] == [
        ("025192000002", "Điền sẵn tờ khai 1.001193"),
        ("025088000001", "Điền sẵn tờ khai 1.001193"),
    ]
    assert all(log.user_id == family.pk for log in logs)


def test_prefill_of_the_applicants_own_parents(family):
    # GIVEN a form about the applicant: "father.*" means the applicant's father, whom the registry lacks
    schema = {"type": "object", "properties": {"f": {"type": "string", "x-prefill": "father.full_name"}}}
    assert eforms.prefill(schema, user=family, procedure_code="1.004222").values == {}


def test_no_prefill_without_a_verified_link(db):
    user = UserFactory(kind=UserKind.CITIZEN)
    result = eforms.prefill(BIRTH_SCHEMA, user=user, procedure_code="1.001193")
    assert result.values == {} and not result.linked
    assert not PersonAccessLog.objects.exists()


def test_plain_citizen_prefill(family):
    # GIVEN a citizen (no officer role) whose account is verified to be her registry record
    citizen = UserFactory(kind=UserKind.CITIZEN, username="congdan")
    CitizenLink.objects.filter(user=family).update(user=citizen)
    # WHEN the birth registration form is prefilled
    result = eforms.prefill(BIRTH_SCHEMA, user=citizen, procedure_code="1.001193")
    # THEN what her own record holds is filled (her data as the mother, her husband's name and number
    # as the record names him), and her read is logged with the purpose
    assert result.values["mother_full_name"] == "Nguyễn Thị Lan"
    assert result.values["mother_birth_date"] == "1992-07-09"
    assert (result.values["father_full_name"], result.values["father_id_number"]) == (
        "Trần Văn Hùng",
        "025088000001",
    )
    logs = {log.person.id_number: log for log in PersonAccessLog.objects.filter(user=citizen)}
    assert logs["025192000002"].purpose == "Điền sẵn tờ khai 1.001193"
    # AND her husband's record (the household head) is filled only if the registry lets her read it, in
    # which case that read is logged too
    assert ("head" in result.values) == ("025088000001" in logs)


# ---- drafts ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_one_draft_per_applicant_and_procedure():
    catalog_import(stream_or_path=DEFAULT_CATALOG_PATH)
    procedure = Procedure.objects.get(code="1.001193")
    user = UserFactory(kind=UserKind.CITIZEN)
    eforms.form_draft_save(user=user, procedure=procedure, data={"form": {"child_full_name": "An"}})
    eforms.form_draft_save(user=user, procedure=procedure, data={"form": {"child_full_name": "Bình"}})
    assert FormDraft.objects.count() == 1
    assert eforms.form_draft_get(user=user, procedure=procedure).data["form"]["child_full_name"] == "Bình"
    assert eforms.form_draft_discard(user=user, procedure=procedure) == 1
    assert eforms.form_draft_get(user=user, procedure=procedure) is None


@pytest.mark.django_db
def test_an_oversized_draft_is_refused():
    catalog_import(stream_or_path=DEFAULT_CATALOG_PATH)
    procedure = Procedure.objects.get(code="1.001193")
    user = UserFactory(kind=UserKind.CITIZEN)
    from egov.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        eforms.form_draft_save(user=user, procedure=procedure, data={"form": {"x": "a" * 300_000}})
    assert not FormDraft.objects.exists()
