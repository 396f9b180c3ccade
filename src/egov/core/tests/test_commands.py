"""Management commands of core: load_units and load_demo."""

from __future__ import annotations

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from egov.accounts.choices import Role
from egov.accounts.models import RoleAssignment, User
from egov.core.choices import AgencyKind, UnitLevel
from egov.core.demo import DEMO_PASSWORD_DEFAULT, DEMO_PASSWORD_ENV
from egov.core.models import AdministrativeUnit, Agency, Calendar, Department


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


# ---- load_units ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_load_units_loads_34_provinces_and_3321_communes():
    began = time.monotonic()
    run("load_units")
    assert time.monotonic() - began < 5
    assert AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE).count() == 34
    assert AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE).count() == 3321
    communes = AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE)
    assert communes.filter(division_type="xã").count() == 2621
    assert communes.filter(division_type="phường").count() == 687
    assert communes.filter(division_type="đặc khu").count() == 13


@pytest.mark.django_db
def test_load_units_codes_names_and_parents():
    run("load_units")
    phu_tho = AdministrativeUnit.objects.get(level=UnitLevel.PROVINCE, code="25")
    assert phu_tho.name == "Tỉnh Phú Thọ"
    assert phu_tho.codename == "phu_tho"
    assert AdministrativeUnit.objects.get(level=UnitLevel.PROVINCE, code="01").name == "Thành phố Hà Nội"
    viet_tri = AdministrativeUnit.objects.get(level=UnitLevel.COMMUNE, code="07900")
    assert viet_tri.name == "Phường Việt Trì"
    assert viet_tri.parent == phu_tho
    assert str(viet_tri.valid_from) == "2025-07-01"
    assert viet_tri.valid_to is None
    assert AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE, parent__isnull=True).count() == 0


@pytest.mark.django_db
def test_load_units_is_idempotent_and_repairs_edits():
    # GIVEN the units loaded once and one name edited by hand
    run("load_units")
    AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE, code="07900").update(name="Sai tên")
    # WHEN the command runs again
    output = run("load_units")
    # THEN nothing is duplicated and the edited row is put back
    assert AdministrativeUnit.objects.count() == 34 + 3321
    assert AdministrativeUnit.objects.get(level=UnitLevel.COMMUNE, code="07900").name == "Phường Việt Trì"
    assert "cập nhật 1" in output


@pytest.mark.django_db
def test_load_units_leaves_other_periods_alone():
    # GIVEN a pre-2025 province with the same code (a historical row)
    old = AdministrativeUnit.objects.create(
        level=UnitLevel.PROVINCE,
        code="25",
        name="Tỉnh Phú Thọ (cũ)",
        valid_from="1968-01-01",
        valid_to="2025-06-30",
    )
    run("load_units")
    old.refresh_from_db()
    assert old.name == "Tỉnh Phú Thọ (cũ)"
    assert AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE, code="25").count() == 2


# ---- load_demo -----------------------------------------------------------------------------------
def counts() -> dict[str, int]:
    from egov.catalog.models import ProcedureOffering

    return {
        "units": AdministrativeUnit.objects.count(),
        "agencies": Agency.objects.count(),
        "departments": Department.objects.count(),
        "users": User.objects.count(),
        "roles": RoleAssignment.objects.count(),
        "calendars": Calendar.objects.count(),
        "offerings": ProcedureOffering.objects.count(),
    }


@pytest.mark.django_db
def test_load_demo_without_catalog_is_idempotent(monkeypatch):
    monkeypatch.delenv(DEMO_PASSWORD_ENV, raising=False)
    # WHEN load_demo runs twice
    first = run("load_demo", "--no-catalog")
    before = counts()
    run("load_demo", "--no-catalog")
    # THEN the second run adds nothing
    assert counts() == before
    assert before["calendars"] == 1
    # AND the output lists the accounts with the demo password
    assert "motcua.vietri" in first
    assert DEMO_PASSWORD_DEFAULT in first
    assert "DEMO" in first


@pytest.mark.django_db
def test_load_demo_builds_the_province(monkeypatch):
    monkeypatch.delenv(DEMO_PASSWORD_ENV, raising=False)
    run("load_demo", "--no-catalog")
    # The agency tree with QCVN 102 codes (13 characters)
    province_committee = Agency.objects.get(name="Ủy ban nhân dân tỉnh Phú Thọ")
    assert province_committee.parent is None
    assert province_committee.administrative_unit.code == "25"
    assert all(len(code) == 13 for code in Agency.objects.values_list("code", flat=True))
    justice = Agency.objects.get(name="Sở Tư pháp tỉnh Phú Thọ")
    assert justice.parent == province_committee
    viet_tri = Agency.objects.get(name="Ủy ban nhân dân phường Việt Trì")
    assert viet_tri.administrative_unit.code == "07900"
    assert viet_tri.parent == province_committee
    assert set(viet_tri.departments.values_list("name", flat=True)) >= {
        "Bộ phận Một cửa",
        "Tư pháp - Hộ tịch",
    }
    # every demo commune has its police, under the provincial police
    provincial_police = Agency.objects.get(name="Công an tỉnh Phú Thọ")
    for name in ("phường Việt Trì", "phường Nông Trang", "xã Hy Cương"):
        police = Agency.objects.get(name=f"Công an {name}")
        assert police.kind == AgencyKind.POLICE
        assert police.parent == provincial_police
        assert (
            police.administrative_unit
            == Agency.objects.get(name=f"Ủy ban nhân dân {name}").administrative_unit
        )
    # every role exists at the first commune and at the Department of Justice
    for agency in (viet_tri, justice):
        roles = set(RoleAssignment.objects.filter(agency=agency).values_list("role", flat=True))
        assert roles >= {Role.RECEPTION, Role.SPECIALIST, Role.LEADER, Role.CLERK, Role.AGENCY_ADMIN}
    assert RoleAssignment.objects.filter(role=Role.PROVINCE_ADMIN).count() == 1
    # the accounts sign in with the demo password
    reception = User.objects.get(username="motcua.vietri")
    assert reception.full_name
    assert reception.check_password(DEMO_PASSWORD_DEFAULT)
    assert RoleAssignment.objects.get(user=reception).department.name == "Bộ phận Một cửa"
    assert User.objects.filter(username__in=["chuyenvien.vietri", "lanhdao.vietri"]).count() == 2


@pytest.mark.django_db
def test_load_demo_password_from_environment(monkeypatch):
    monkeypatch.setenv(DEMO_PASSWORD_ENV, "mat-khau-khac-2026")
    output = run("load_demo", "--no-catalog")
    assert "mat-khau-khac-2026" in output
    assert User.objects.get(username="lanhdao.vietri").check_password("mat-khau-khac-2026")


@pytest.mark.django_db
def test_load_demo_official_level1_code(monkeypatch):
    run("load_demo", "--no-catalog", "--level1-code", "H42")
    assert Agency.objects.get(name="Ủy ban nhân dân tỉnh Phú Thọ").code == "000.00.00.H42"
    with pytest.raises(CommandError):
        run("load_demo", "--no-catalog", "--level1-code", "h4")


@pytest.mark.django_db
def test_load_demo_refuses_outside_development(settings):
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(CommandError):
        run("load_demo", "--no-catalog")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_load_demo_with_the_bundled_catalog_is_idempotent():
    # GIVEN the real catalog services and the bundled procedures.yaml
    output = run("load_demo")
    before = counts()
    assert before["offerings"] > 0
    # WHEN it runs again THEN nothing is added
    run("load_demo")
    assert counts() == before
    assert "thủ tục" in output


@pytest.mark.django_db
def test_load_demo_offers_each_procedure_where_it_belongs():
    from egov.catalog.choices import OfferingAgencyKind
    from egov.catalog.models import Procedure, ProcedureOffering

    run("load_demo")
    where = {
        OfferingAgencyKind.COMMUNE_COMMITTEE: {
            f"Ủy ban nhân dân {c}"
            for c in ("phường Việt Trì", "phường Nông Trang", "xã Hy Cương", "phường Vĩnh Yên")
        },
        OfferingAgencyKind.COMMUNE_POLICE: {
            f"Công an {c}" for c in ("phường Việt Trì", "phường Nông Trang", "xã Hy Cương", "phường Vĩnh Yên")
        },
        OfferingAgencyKind.PROVINCE_JUSTICE: {"Sở Tư pháp tỉnh Phú Thọ"},
        OfferingAgencyKind.PROVINCE_POLICE: {"Công an tỉnh Phú Thọ"},
        OfferingAgencyKind.PROVINCE_CONSTRUCTION: {"Sở Xây dựng tỉnh Phú Thọ"},
        OfferingAgencyKind.PROVINCE_NATURAL_RESOURCES: {"Sở Nông nghiệp và Môi trường tỉnh Phú Thọ"},
        OfferingAgencyKind.SERVICE_CENTRE: {"Trung tâm Phục vụ hành chính công tỉnh Phú Thọ"},
    }
    assert set(where) == set(OfferingAgencyKind.values)
    checked = 0
    for procedure in Procedure.objects.exclude(offered_by=[]):
        expected = set().union(*(where[kind] for kind in procedure.offered_by))
        offered = set(
            ProcedureOffering.objects.filter(procedure=procedure).values_list("agency__name", flat=True)
        )
        assert offered == expected, procedure.code
        checked += 1
    assert checked > 0
