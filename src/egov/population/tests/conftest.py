"""Fixtures for the population registry: the demo province with two communes, officers, people."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest

from egov.accounts.choices import Role, UserKind
from egov.core.choices import UnitLevel
from egov.core.models import AdministrativeUnit
from egov.population.auth import registry_bearer
from egov.population.choices import Ethnicity, Sex
from egov.population.ids import century_digit
from egov.population.models import Person
from egov.population.names import search_key
from egov.population.selectors import unit_labels
from egov.testing.factories import AgencyFactory, UserFactory, officer

_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_unit_labels():
    """The per-process caches (unit names, authenticated tokens) must not carry rows from one test's
    database to the next (rolled-back ids are reused)."""
    unit_labels.clear()
    registry_bearer.clear()
    yield
    unit_labels.clear()
    registry_bearer.clear()


def id_number_for(dob: dt.date, sex: str, *, prefix: str = "025", serial: int | None = None) -> str:
    """A valid ID number for ``dob`` and ``sex`` (unique within a test run)."""
    number = next(_serial) if serial is None else serial
    return f"{prefix}{century_digit(year=dob.year, sex=sex)}{dob.year % 100:02d}{number:06d}"


def make_person(
    *,
    full_name: str = "Nguyễn Văn An",
    dob: dt.date = dt.date(1990, 5, 17),
    sex: str = Sex.MALE,
    commune: AdministrativeUnit | None = None,
    **fields,
) -> Person:
    fields.setdefault("id_number", id_number_for(dob, sex))
    return Person.objects.create(
        full_name=full_name,
        full_name_search=search_key(full_name),
        date_of_birth=dob,
        sex=sex,
        ethnicity=fields.pop("ethnicity", Ethnicity.KINH),
        permanent_residence_commune=commune,
        permanent_residence_address=fields.pop("permanent_residence_address", "Số 1 đường Hùng Vương"),
        **fields,
    )


@dataclass
class Province:
    province: AdministrativeUnit
    commune: AdministrativeUnit
    other_commune: AdministrativeUnit
    officer: object
    admin: object
    citizen: object


@pytest.fixture
def province(db) -> Province:
    phu_tho = AdministrativeUnit.objects.create(code="25", name="Tỉnh Phú Thọ", level=UnitLevel.PROVINCE)
    viet_tri = AdministrativeUnit.objects.create(
        code="07909", name="Phường Việt Trì", level=UnitLevel.COMMUNE, parent=phu_tho
    )
    hy_cuong = AdministrativeUnit.objects.create(
        code="07927", name="Xã Hy Cương", level=UnitLevel.COMMUNE, parent=phu_tho
    )
    agency = AgencyFactory(
        code="000.00.01.H26", name="Ủy ban nhân dân phường Việt Trì", administrative_unit=viet_tri
    )
    province_agency = AgencyFactory(
        code="000.00.00.H26", name="Ủy ban nhân dân tỉnh Phú Thọ", administrative_unit=phu_tho
    )
    return Province(
        province=phu_tho,
        commune=viet_tri,
        other_commune=hy_cuong,
        officer=officer(agency, Role.RECEPTION, username="motcua"),
        admin=officer(province_agency, Role.PROVINCE_ADMIN, username="quantri"),
        citizen=UserFactory(username="congdan", kind=UserKind.CITIZEN),
    )
