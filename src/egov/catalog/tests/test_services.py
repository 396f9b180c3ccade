"""Catalog services: bundled import, import errors, export round trip, edits with the step-sum rule."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import yaml

from egov.accounts.choices import Role
from egov.catalog.choices import CodeSource, OfferingAgencyKind
from egov.catalog.models import (
    Field,
    Procedure,
    ProcedureOffering,
    ProcessStep,
    ProcessTemplate,
    RequiredDocument,
)
from egov.catalog.search import normalize
from egov.catalog.services import (
    DEFAULT_CATALOG_PATH,
    CatalogImportError,
    DocumentInput,
    StepInput,
    catalog_export,
    catalog_import,
    field_save,
    offering_ensure,
    offerings_ensure_for_kind,
    procedure_save,
    process_template_create,
    process_template_replace_steps,
    required_documents_replace,
)
from egov.core.choices import TimeUnit
from egov.core.errors import ValidationFailed
from egov.testing.factories import AgencyFactory, FieldFactory, ProcedureFactory

pytestmark = pytest.mark.django_db


def _bundled() -> dict:
    return yaml.safe_load(DEFAULT_CATALOG_PATH.read_text(encoding="utf-8"))


def _yaml(document: dict) -> io.StringIO:
    return io.StringIO(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


def _one(**overrides) -> dict:
    """A minimal valid procedure in the import format."""
    procedure = {
        "code": "1.004222",
        "name": "Đăng ký thường trú",
        "field": {"code": "CU", "name": "Đăng ký, quản lý cư trú"},
        "level": "commune",
        "implementing_agency": "Công an cấp xã",
        "processing_time": {"amount": 7, "unit": "working_days"},
        "fees": {"in_person": 20000, "online": 10000, "note": ""},
        "online_level": "full",
        "result": "Thông báo kết quả",
        "required_documents": [{"name": "Tờ khai CT01", "form": "original"}],
        "process": {
            "name": "Quy trình",
            "steps": [
                {"name": "Tiếp nhận", "role": "reception", "amount": 0.5},
                {"name": "Thẩm định", "role": "specialist", "amount": 5},
                {"name": "Phê duyệt", "role": "leader", "amount": 1, "decision": True},
                {"name": "Trả kết quả", "role": "reception", "amount": 0.5},
            ],
        },
    }
    procedure.update(overrides)
    return procedure


def _snapshot() -> dict:
    """Every catalog row, ids included."""
    return {
        model.__name__: sorted(model.objects.values_list(), key=lambda row: row[0])
        for model in (Field, Procedure, RequiredDocument, ProcessTemplate, ProcessStep)
    }


# ---- the bundled catalog ----------------------------------------------------------------------------
def test_bundled_catalog_imports_at_least_25_procedures(bundled_catalog):
    # GIVEN an empty database WHEN the bundled file is imported
    # THEN at least 25 procedures are created, with their fields
    assert len(bundled_catalog.created) >= 25
    assert Procedure.objects.count() == len(bundled_catalog.created)
    assert {"HT", "CT", "CU", "XD", "DD", "KD", "BTXH", "LLTP"} <= set(
        Field.objects.values_list("code", flat=True)
    )


def test_every_bundled_process_adds_up_to_the_statutory_time(bundled_catalog):
    for procedure in Procedure.objects.prefetch_related("process_templates__steps"):
        templates = list(procedure.process_templates.all())
        assert templates, procedure.code
        for template in templates:
            steps = list(template.steps.all())
            assert sum(s.amount for s in steps) == procedure.processing_amount, procedure.code
            assert [s.position for s in steps] == list(range(1, len(steps) + 1))
            decisions = [s for s in steps if s.is_decision]
            assert decisions and all(s.role == Role.LEADER for s in decisions), procedure.code
        if procedure.processing_unit == TimeUnit.SAME_DAY:
            assert procedure.processing_amount == 1, procedure.code


def test_bundled_procedures_are_complete(bundled_catalog):
    for procedure in Procedure.objects.select_related("field"):
        assert procedure.required_documents.exists(), procedure.code
        assert procedure.result and procedure.legal_basis and procedure.implementing_agency, procedure.code
        assert procedure.offered_by and set(procedure.offered_by) <= set(OfferingAgencyKind.values), (
            procedure.code
        )
        assert procedure.search_text == normalize(
            f"{procedure.code} {procedure.name} {procedure.field.code} {procedure.field.name}"
        )
        # codes not given by the reference are marked, and only those use the placeholder range
        is_placeholder = procedure.code.startswith("9.")
        assert (procedure.code_source == CodeSource.PROVINCIAL_PLACEHOLDER) == is_placeholder, procedure.code
    assert Procedure.objects.get(code="1.001193").processing_unit == TimeUnit.SAME_DAY
    assert Procedure.objects.get(code="1.004222").fees == {"in_person": 20000, "online": 10000}


def test_reimport_is_idempotent(bundled_catalog):
    # GIVEN the bundled catalog imported once
    before = _snapshot()
    # WHEN it is imported again
    report = catalog_import(stream_or_path=DEFAULT_CATALOG_PATH)
    # THEN nothing is created or changed
    assert report.created == [] and report.updated == []
    assert len(report.unchanged) == bundled_catalog.total
    assert _snapshot() == before


# ---- import errors: nothing written -----------------------------------------------------------------
def test_bad_unit_is_reported_with_code_and_field_and_nothing_is_written():
    # GIVEN a file whose second procedure has an unknown unit
    document = {"procedures": [_one(), _one(code="1.004194", processing_time={"amount": 3, "unit": "weeks"})]}
    # WHEN imported
    with pytest.raises(CatalogImportError) as caught:
        catalog_import(stream_or_path=_yaml(document))
    # THEN the error names the procedure and the field, and no row was written (not even the valid one)
    assert any("1.004194" in e and "processing_time.unit" in e and "weeks" in e for e in caught.value.errors)
    assert Procedure.objects.count() == 0 and Field.objects.count() == 0


def test_steps_not_adding_up_are_rejected():
    steps = _one()["process"]["steps"]
    steps[1]["amount"] = 4.5
    document = {"procedures": [_one(process={"name": "Quy trình", "steps": steps})]}
    with pytest.raises(CatalogImportError) as caught:
        catalog_import(stream_or_path=_yaml(document))
    message = caught.value.message
    assert "1.004222" in message and "process.steps" in message
    assert "tổng thời gian các bước (6,5)" in message and "thiếu 0,5" in message
    assert Procedure.objects.count() == 0


def test_unknown_field_is_rejected():
    document = {"procedures": [_one(field="ZZ")]}
    with pytest.raises(CatalogImportError) as caught:
        catalog_import(stream_or_path=_yaml(document))
    assert any("1.004222" in e and "trường field" in e and "ZZ" in e for e in caught.value.errors)
    assert Procedure.objects.count() == 0 and Field.objects.count() == 0


def test_field_declared_at_top_can_be_referenced_by_code():
    document = {"fields": [{"code": "CU", "name": "Cư trú"}], "procedures": [_one(field="CU")]}
    report = catalog_import(stream_or_path=_yaml(document))
    assert report.created == ["1.004222"] and report.fields_created == ["CU"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"processing_time": {"amount": 2, "unit": "same_day"}}, "processing_time.amount"),
        ({"fees": {"in_person": 1500.5, "online": 0}}, "fees.in_person"),
        ({"level": "district"}, "level"),
        ({"online_level": "level4"}, "online_level"),
        ({"offered_by": ["ministry"]}, "offered_by[0]"),
        ({"name": ""}, "name"),
        ({"typo_key": 1}, "khóa không được hỗ trợ"),
        ({"required_documents": [{"name": "Tờ khai", "form": "photo"}]}, "required_documents[0].form"),
        ({"code": "A-1"}, "code"),
    ],
)
def test_each_invalid_value_is_named(overrides, expected):
    with pytest.raises(CatalogImportError) as caught:
        catalog_import(stream_or_path=_yaml({"procedures": [_one(**overrides)]}))
    assert expected in caught.value.message
    assert Procedure.objects.count() == 0


def test_decision_step_must_be_a_leader_and_must_exist():
    steps = [
        {"name": "Tiếp nhận", "role": "reception", "amount": 1},
        {"name": "Xử lý", "role": "specialist", "amount": 6, "decision": True},
    ]
    with pytest.raises(CatalogImportError) as caught:
        catalog_import(stream_or_path=_yaml({"procedures": [_one(process={"name": "Q", "steps": steps})]}))
    assert "process.steps[1].role" in caught.value.message


def test_unquoted_code_is_explained():
    text = DEFAULT_CATALOG_PATH.read_text(encoding="utf-8").replace('code: "1.001193"', "code: 1.001193", 1)
    with pytest.raises(CatalogImportError) as caught:
        catalog_import(stream_or_path=io.StringIO(text))
    assert "dấu nháy" in caught.value.message
    assert Procedure.objects.count() == 0


def test_yaml_syntax_error_gives_the_line():
    with pytest.raises(CatalogImportError) as caught:
        catalog_import(stream_or_path=io.StringIO("procedures:\n  - code: [unclosed\n"))
    assert "dòng" in caught.value.message


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CatalogImportError) as caught:
        catalog_import(stream_or_path=tmp_path / "missing.yaml")
    assert "missing.yaml" in caught.value.message


def test_invalid_update_leaves_existing_rows_untouched(bundled_catalog):
    # GIVEN the bundled catalog
    before = _snapshot()
    document = _bundled()
    document["procedures"][0]["name"] = "Tên mới"
    document["procedures"][-1]["processing_time"]["unit"] = "fortnights"
    # WHEN a file that renames one procedure but breaks another is imported
    with pytest.raises(CatalogImportError):
        catalog_import(stream_or_path=_yaml(document))
    # THEN not even the valid rename was written
    assert _snapshot() == before


# ---- updates, export and round trip -----------------------------------------------------------------
def test_import_updates_in_place_and_keeps_row_ids(bundled_catalog):
    birth = Procedure.objects.get(code="1.001193")
    doc_ids = list(birth.required_documents.order_by("position").values_list("pk", flat=True))
    step_ids = list(
        ProcessStep.objects.filter(template__procedure=birth)
        .order_by("position")
        .values_list("pk", flat=True)
    )
    document = _bundled()
    entry = next(p for p in document["procedures"] if p["code"] == "1.001193")
    entry["name"] = "Đăng ký khai sinh (sửa)"
    entry["process"]["steps"][1]["amount"] = 0.5
    entry["process"]["steps"][3]["amount"] = 0
    del entry["process"]["steps"][3]
    report = catalog_import(stream_or_path=_yaml(document))
    assert report.updated == ["1.001193"]
    birth.refresh_from_db()
    assert birth.name == "Đăng ký khai sinh (sửa)" and "(sua)" in birth.search_text
    assert list(birth.required_documents.order_by("position").values_list("pk", flat=True)) == doc_ids
    steps = list(ProcessStep.objects.filter(template__procedure=birth).order_by("position"))
    assert [s.pk for s in steps] == step_ids[:3]
    assert [s.amount for s in steps] == [Decimal("0.25"), Decimal("0.50"), Decimal("0.25")]


def test_import_without_update_skips_existing(bundled_catalog):
    document = _bundled()
    document["procedures"][0]["name"] = "Tên khác"
    report = catalog_import(stream_or_path=_yaml(document), update=False)
    assert len(report.skipped) == bundled_catalog.total
    assert Procedure.objects.get(code=document["procedures"][0]["code"]).name != "Tên khác"


def test_export_then_import_changes_no_row(bundled_catalog):
    # GIVEN the bundled catalog, plus a second process and an inactive procedure edited by an admin
    procedure = Procedure.objects.get(code="1.004222")
    process_template_create(
        procedure=procedure,
        name="Quy trình rút gọn",
        steps=[
            StepInput(name="Tiếp nhận", role=Role.RECEPTION, amount="1"),
            StepInput(name="Xử lý, phê duyệt", role=Role.LEADER, amount="6", is_decision=True),
        ],
    )
    Procedure.objects.filter(code="2.001159").update(is_active=False)
    before = _snapshot()
    # WHEN the catalog is exported and the export imported back
    exported = catalog_export()
    report = catalog_import(stream_or_path=io.StringIO(exported))
    # THEN every procedure is unchanged and so is every row
    assert report.updated == [] and report.created == []
    assert _snapshot() == before
    assert "other_processes" in exported and "is_active: false" in exported


def _content() -> list:
    """Every procedure with its papers and processes, without database ids."""
    return [
        (
            p.code, p.name, p.field.code, p.field.name, p.level, p.implementing_agency, p.offered_by,
            p.processing_amount, p.processing_unit, p.fee_in_person, p.fee_online, p.fee_note, p.online_level,
            p.applicants, p.conditions, p.result, p.legal_basis, p.code_source, p.data_note, p.is_active,
            p.form_schema, p.search_text,
            list(p.required_documents.order_by("position").values_list(
                "position", "name", "form", "quantity", "mandatory", "template_name")),
            [
                (t.name, list(t.steps.order_by("position").values_list("position", "name", "role", "amount", "is_decision")))
                for t in p.process_templates.order_by("pk")
            ],
        )
        for p in Procedure.objects.select_related("field").order_by("code")
    ]  # fmt: skip


def test_export_imports_into_an_empty_database_with_the_same_content(bundled_catalog):
    # GIVEN the bundled catalog exported
    first = catalog_export()
    before = _content()
    # WHEN the catalog is emptied and the export imported
    ProcessTemplate.objects.all().delete()
    Procedure.objects.all().delete()
    Field.objects.all().delete()
    report = catalog_import(stream_or_path=io.StringIO(first))
    # THEN the same procedures, papers and steps exist again, and export the same text
    assert len(report.created) == bundled_catalog.total
    assert _content() == before
    assert catalog_export() == first


# ---- edits by admins --------------------------------------------------------------------------------
def _save_kwargs(**overrides):
    values = {
        "code": "1.999001",
        "name": "Thủ tục mới",
        "field": FieldFactory(),
        "level": "commune",
        "implementing_agency": "Ủy ban nhân dân cấp xã",
        "processing_amount": Decimal("3"),
        "processing_unit": TimeUnit.WORKING_DAYS,
        "result": "Giấy xác nhận",
        "online_level": "full",
    }
    values.update(overrides)
    return values


def test_procedure_save_creates_and_sets_search_text():
    procedure = procedure_save(**_save_kwargs(name="Xác nhận Đơn"))
    assert procedure.pk and procedure.search_text == "1.999001 xac nhan don ht ho tich"


def test_procedure_save_rejects_duplicate_code(bundled_catalog):
    with pytest.raises(ValidationFailed) as caught:
        procedure_save(**_save_kwargs(code="1.001193"))
    assert caught.value.field == "code" and "đã tồn tại" in caught.value.message


def test_procedure_save_refuses_a_time_that_breaks_a_process(bundled_catalog):
    procedure = Procedure.objects.select_related("field").get(code="1.004222")
    with pytest.raises(ValidationFailed) as caught:
        procedure_save(
            procedure=procedure,
            **_save_kwargs(code=procedure.code, field=procedure.field, processing_amount=5),
        )
    assert "Quy trình" in caught.value.message
    procedure.refresh_from_db()
    assert procedure.processing_amount == 7


def test_field_rename_refreshes_search_text(bundled_catalog):
    field = Field.objects.get(code="HT")
    field_save(field=field, code="HT", name="Hộ tịch, quốc tịch")
    assert "quoc tich" in Procedure.objects.get(code="1.001193").search_text


def test_replace_steps_rejects_a_wrong_sum_and_writes_nothing(bundled_catalog):
    template = ProcessTemplate.objects.get(procedure__code="1.004222")
    before = list(template.steps.values_list("pk", "amount"))
    steps = [
        StepInput(name="Tiếp nhận", role=Role.RECEPTION, amount="0.5"),
        StepInput(name="Thẩm định", role=Role.SPECIALIST, amount="6"),
        StepInput(name="Phê duyệt", role=Role.LEADER, amount="1", is_decision=True),
    ]
    with pytest.raises(ValidationFailed) as caught:
        process_template_replace_steps(template=template, steps=steps)
    assert caught.value.message.startswith(
        "Tổng thời gian các bước (7,5) phải bằng đúng thời hạn giải quyết (7 ngày làm việc)"
    )
    assert list(template.steps.values_list("pk", "amount")) == before


def test_replace_steps_reorders_and_keeps_ids(bundled_catalog):
    template = ProcessTemplate.objects.get(procedure__code="1.004222")
    first, second, third, fourth = template.steps.order_by("position")
    steps = [
        StepInput(id=first.pk, name=first.name, role=first.role, amount="1"),
        StepInput(id=second.pk, name="Thẩm định, xác minh", role=second.role, amount="4.5"),
        StepInput(id=third.pk, name=third.name, role=third.role, amount="1", is_decision=True),
        StepInput(name="Trả kết quả qua bưu chính", role=Role.CLERK, amount="0.5"),
    ]
    process_template_replace_steps(template=template, steps=steps)
    saved = list(template.steps.order_by("position"))
    assert [s.pk for s in saved[:3]] == [first.pk, second.pk, third.pk]
    assert saved[3].pk != fourth.pk and not ProcessStep.objects.filter(pk=fourth.pk).exists()
    assert saved[1].name == "Thẩm định, xác minh"


def test_replace_steps_can_change_the_statutory_time_with_them(bundled_catalog):
    template = ProcessTemplate.objects.get(procedure__code="2.000815")
    process_template_replace_steps(
        template=template,
        steps=[
            {"name": "Tiếp nhận", "role": "reception", "amount": "0.5"},
            {"name": "Ký", "role": "leader", "amount": "1.5", "decision": True},
        ],
        processing_amount="2",
        processing_unit=TimeUnit.WORKING_DAYS,
    )
    procedure = Procedure.objects.get(code="2.000815")
    assert (procedure.processing_amount, procedure.processing_unit) == (2, TimeUnit.WORKING_DAYS)


def test_same_day_steps_share_one_day(bundled_catalog):
    template = ProcessTemplate.objects.get(procedure__code="1.001193")
    with pytest.raises(ValidationFailed):
        process_template_replace_steps(
            template=template,
            steps=[{"name": "Tất cả", "role": "leader", "amount": "2", "decision": True}],
            processing_amount="2",
        )
    with pytest.raises(ValidationFailed) as caught:
        process_template_replace_steps(
            template=template, steps=[{"name": "Tiếp nhận", "role": "reception", "amount": "0"}]
        )
    assert caught.value.message.startswith("Bước 1, thời gian")


def test_required_documents_add_remove_reorder(bundled_catalog):
    procedure = Procedure.objects.get(code="1.001193")
    first, second, third = procedure.required_documents.order_by("position")
    required_documents_replace(
        procedure=procedure,
        documents=[
            DocumentInput(id=second.pk, name=second.name, form=second.form),
            DocumentInput(id=first.pk, name=first.name, form=first.form, template_name=first.template_name),
            DocumentInput(name="Giấy tờ mới", form="copy", quantity=2, mandatory=False),
        ],
    )
    saved = list(procedure.required_documents.order_by("position"))
    assert [d.pk for d in saved[:2]] == [second.pk, first.pk]
    assert saved[2].name == "Giấy tờ mới" and saved[2].quantity == 2
    assert not RequiredDocument.objects.filter(pk=third.pk).exists()


def test_required_documents_reject_a_foreign_row(bundled_catalog):
    other = RequiredDocument.objects.filter(procedure__code="1.000656").first()
    with pytest.raises(ValidationFailed):
        required_documents_replace(
            procedure=Procedure.objects.get(code="1.001193"), documents=[DocumentInput(id=other.pk, name="x")]
        )


# ---- offerings --------------------------------------------------------------------------------------
def test_offering_ensure_is_idempotent_and_uses_the_default_process(bundled_catalog):
    agency = AgencyFactory()
    procedure = Procedure.objects.get(code="1.001193")
    first = offering_ensure(procedure=procedure, agency=agency)
    again = offering_ensure(procedure=procedure, agency=agency)
    assert first.pk == again.pk and ProcedureOffering.objects.count() == 1
    assert first.process_template == procedure.process_templates.order_by("pk").first()


def test_offering_needs_a_process_of_the_same_procedure(bundled_catalog):
    agency = AgencyFactory()
    bare = ProcedureFactory()
    with pytest.raises(ValidationFailed):
        offering_ensure(procedure=bare, agency=agency)
    foreign = ProcessTemplate.objects.get(procedure__code="1.000656")
    with pytest.raises(ValidationFailed):
        offering_ensure(procedure=Procedure.objects.get(code="1.001193"), agency=agency, template=foreign)


def test_offerings_for_an_agency_kind(bundled_catalog):
    agency = AgencyFactory()
    offerings = offerings_ensure_for_kind(agency=agency, kind=OfferingAgencyKind.COMMUNE_POLICE)
    codes = {o.procedure.code for o in offerings}
    assert {"1.004222", "1.004194", "1.003197"} <= codes and "1.001193" not in codes
