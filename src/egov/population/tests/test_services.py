"""Registry services: birth registration with ID issuance, the logged read, the access history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from egov.accounts.selectors import user_is_officer
from egov.core.errors import NotFound, PermissionDenied, ValidationFailed
from egov.population import services
from egov.population.choices import Ethnicity, Relationship, Sex
from egov.population.ids import validate_id_number
from egov.population.models import CitizenLink, Household, HouseholdMember, Person, PersonAccessLog
from egov.population.presenters import person_record
from egov.population.selectors import (
    children_of,
    household_members,
    person_access_history,
    registry_dangling_references,
)
from egov.population.services import person_read, person_register_birth

from .conftest import make_person

pytestmark = pytest.mark.django_db

BIRTH = dt.date(2024, 3, 8)


@pytest.fixture
def parents(province):
    father = make_person(
        full_name="Trần Văn Bình",
        dob=dt.date(1990, 1, 2),
        commune=province.commune,
        hometown="Xã Hy Cương, Phú Thọ",
    )
    mother = make_person(
        full_name="Lê Thị Cúc",
        dob=dt.date(1992, 6, 3),
        sex=Sex.FEMALE,
        commune=province.commune,
        hometown="Hà Nội",
    )
    household = Household.objects.create(
        code="HK-0001", head=father, address="Số 5 đường Trần Phú", commune=province.commune
    )
    HouseholdMember.objects.create(household=household, person=father, relationship=Relationship.HEAD)
    HouseholdMember.objects.create(household=household, person=mother, relationship=Relationship.WIFE)
    return father, mother, household


def register(province, **kwargs):
    values = {
        "full_name": "Trần Minh Khang",
        "date_of_birth": BIRTH,
        "sex": Sex.MALE,
        "ethnicity": Ethnicity.KINH,
        "place_of_birth_commune": province.commune,
        "actor": province.officer,
    }
    values.update(kwargs)
    return person_register_birth(**values)


# ---- birth registration ------------------------------------------------------------------------


def test_birth_issues_a_consistent_number_and_joins_the_household_as_child(province, parents):
    father, mother, household = parents
    # WHEN the birth of a boy in Việt Trì (Phú Thọ) is registered with both parents and their household
    child = register(province, father=father, mother=mother, household=household)
    # THEN his number starts 025 (Phú Thọ), 2 (2000s, male), 24, and is consistent with his record
    assert child.id_number.startswith("025224")
    validate_id_number(child.id_number, date_of_birth=BIRTH, sex=Sex.MALE)
    assert (child.father, child.mother) == (father, mother)
    assert child.full_name_search == "tran minh khang"
    assert child.permanent_residence_commune == province.commune
    assert child.permanent_residence_address == "Số 5 đường Trần Phú"
    assert child.hometown == "Xã Hy Cương, Phú Thọ"
    assert child.place_of_birth == "Phường Việt Trì, Tỉnh Phú Thọ"
    member = HouseholdMember.objects.get(household=household, person=child)
    assert member.relationship == Relationship.CHILD


def test_birth_normalises_the_name_to_nfc(province):
    decomposed = "Tra\u0302\u0300n Thi\u0323 Ma\u0300i"  # "Trần Thị Mài" typed in NFD, with extra spaces
    child = register(province, full_name=f"  {decomposed}  ", sex=Sex.FEMALE)
    assert child.full_name == "Trần Thị Mài"
    assert child.id_number[3] == "3"


def test_grandchild_of_the_head(province, parents):
    father, mother, household = parents
    son = register(
        province, full_name="Trần Văn Đức", date_of_birth=dt.date(2000, 1, 1), father=father, mother=mother
    )
    daughter_in_law = make_person(full_name="Phạm Thị Hoa", dob=dt.date(2001, 2, 2), sex=Sex.FEMALE)
    grandchild = register(province, father=son, mother=daughter_in_law, household=household)
    assert HouseholdMember.objects.get(person=grandchild).relationship == Relationship.GRANDCHILD


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"full_name": ""}, "full_name"),
        ({"full_name": "Nguyễn Văn 2"}, "full_name"),
        ({"sex": "other"}, "sex"),
        ({"ethnicity": "martian"}, "ethnicity"),
        ({"date_of_birth": dt.date.today() + dt.timedelta(days=2)}, "date_of_birth"),
    ],
)
def test_birth_refuses_bad_input(province, change, field):
    with pytest.raises(ValidationFailed) as exc:
        register(province, **change)
    assert exc.value.field == field
    assert not Person.objects.exists()


def test_birth_refuses_parents_of_the_wrong_sex_or_age(province, parents):
    father, mother, _household = parents
    with pytest.raises(ValidationFailed) as exc:
        register(province, father=mother)
    assert exc.value.field == "father"
    with pytest.raises(ValidationFailed):
        register(province, mother=mother, date_of_birth=dt.date(1991, 1, 1))


def test_birth_needs_a_commune_of_a_province(province):
    with pytest.raises(ValidationFailed):
        register(province, place_of_birth_commune=province.province)


def test_only_officers_register_births(province):
    with pytest.raises(PermissionDenied):
        register(province, actor=province.citizen)


def test_a_concurrent_issuance_of_the_same_number_is_retried(province, monkeypatch):
    # GIVEN another transaction took the number just drawn (the exists() check could not see it)
    taken = make_person(full_name="Ngô Văn Tú", dob=BIRTH, id_number="025224000777")
    draws = iter([taken.id_number, "025224000778"])
    monkeypatch.setattr(services, "issue_id_number", lambda **kwargs: next(draws))
    # WHEN the birth is registered  THEN the unique constraint rejects the first and the second is used
    child = register(province)
    assert child.id_number == "025224000778"


def test_an_unrelated_integrity_error_is_not_swallowed(province, monkeypatch):
    def broken_create(**kwargs):
        raise IntegrityError("something else")

    monkeypatch.setattr(Person.objects, "create", broken_create)
    with pytest.raises(IntegrityError):
        register(province)


# ---- the logged read ---------------------------------------------------------------------------


def test_read_returns_the_record_and_logs_exactly_one_row(province, parents):
    father, _mother, _household = parents
    person = person_read(
        person_id_number=father.id_number,
        actor=province.officer,
        purpose="Giải quyết hồ sơ khai sinh",
        dossier_code="000.00.01.H26-240308-0001",
    )
    assert person == father
    log = PersonAccessLog.objects.get()
    assert (log.user, log.person, log.purpose) == (province.officer, father, "Giải quyết hồ sơ khai sinh")
    assert log.dossier_code == "000.00.01.H26-240308-0001"
    assert log.fields == list(services.PERSON_READ_FIELDS)


def test_the_record_as_data_is_the_models_record_and_logs_one_row_per_read(province, parents):
    # GIVEN a child with both parents, parents who are each other's spouse, one with a temporary
    # residence, and a record whose spouse points at a number no longer in the registry (no foreign key)
    father, mother, household = parents
    child = register(province, father=father, mother=mother, household=household)
    Person.objects.filter(pk=father.pk).update(
        spouse=mother,
        temporary_residence_commune=province.commune,
        temporary_residence_address="Số 9 Hùng Vương",
    )
    Person.objects.filter(pk=mother.pk).update(spouse_id=10**9)
    for person in (child, father, mother):
        # WHEN the API reads the record as data, and a page reads the model
        record = services.person_read_record(
            person_id_number=person.id_number, actor=province.officer, purpose="Kiểm tra"
        )
        model = person_read(
            person_id_number=person.id_number, actor=province.officer, purpose="Kiểm tra", channel="api"
        )
        # THEN both give the same record, relatives and communes named
        assert record == person_record(model)
    assert record["spouse"] is None
    assert services.person_read_record(
        person_id_number=child.id_number, actor=province.officer, purpose="Kiểm tra"
    )["father"] == {"id_number": father.id_number, "full_name": father.full_name}
    assert person_record(Person.objects.get(pk=father.pk))["temporary_residence"]["commune"] is not None
    # AND every read left exactly one log row, on the API channel
    assert PersonAccessLog.objects.count() == 7
    assert set(PersonAccessLog.objects.values_list("channel", flat=True)) == {"api"}
    # AND a number not in the registry is refused and not logged
    with pytest.raises(NotFound):
        services.person_read_record(
            person_id_number="025090999999", actor=province.officer, purpose="Kiểm tra"
        )
    assert PersonAccessLog.objects.count() == 7


@pytest.mark.parametrize("purpose", ["", "   ", None])
def test_read_without_a_purpose_is_refused_and_not_logged(province, parents, purpose):
    father, _mother, _household = parents
    with pytest.raises(ValidationFailed) as exc:
        person_read(person_id_number=father.id_number, actor=province.officer, purpose=purpose)
    assert exc.value.code == "purpose_required"
    assert not PersonAccessLog.objects.exists()


def test_read_by_a_non_officer_is_refused_and_not_logged(province, parents):
    father, _mother, _household = parents
    with pytest.raises(PermissionDenied):
        person_read(person_id_number=father.id_number, actor=province.citizen, purpose="Tò mò")
    assert not PersonAccessLog.objects.exists()


def test_a_verified_citizen_reads_only_their_own_record(province, parents):
    father, mother, _household = parents
    CitizenLink.objects.create(user=province.citizen, person=father, verified_at=timezone.now())
    # WHEN the citizen reads his own record  THEN it is returned and logged with him as the reader
    assert (
        person_read(person_id_number=father.id_number, actor=province.citizen, purpose="Điền sẵn tờ khai")
        == father
    )
    log = PersonAccessLog.objects.get()
    assert (log.user, log.person) == (province.citizen, father)
    # WHEN he reads his wife's  THEN refused, not logged
    with pytest.raises(PermissionDenied):
        person_read(person_id_number=mother.id_number, actor=province.citizen, purpose="Điền sẵn tờ khai")
    assert PersonAccessLog.objects.count() == 1


def test_an_unverified_link_reads_nothing(province, parents):
    father, _mother, _household = parents
    CitizenLink.objects.create(user=province.citizen, person=father, verified_at=None)
    with pytest.raises(PermissionDenied):
        person_read(person_id_number=father.id_number, actor=province.citizen, purpose="Điền sẵn tờ khai")
    assert not PersonAccessLog.objects.exists()


def test_read_of_an_unknown_number(province):
    with pytest.raises(NotFound):
        person_read(person_id_number="025090999999", actor=province.officer, purpose="Kiểm tra")
    with pytest.raises(ValidationFailed):
        person_read(person_id_number="12345", actor=province.officer, purpose="Kiểm tra")
    assert not PersonAccessLog.objects.exists()


def test_read_is_one_query_plus_one_insert(province, parents, django_assert_num_queries):
    father, _mother, _household = parents
    user_is_officer(province.officer)  # the role check is cached on the user object, once per request
    person_read(person_id_number=father.id_number, actor=province.officer, purpose="Kiểm tra")  # warm caches
    expected = 1 if connection.vendor == "postgresql" else 4
    with django_assert_num_queries(expected) as captured:
        person_read(person_id_number=father.id_number, actor=province.officer, purpose="Kiểm tra")
    statements = [q["sql"].split()[0].upper() for q in captured.captured_queries]
    # PostgreSQL: one statement, the look-up and the INSERT in a data-modifying WITH. Elsewhere SELECT and
    # INSERT in a transaction (a savepoint inside the test's transaction).
    if connection.vendor == "postgresql":
        assert statements == ["WITH"]
        assert "INSERT INTO" in captured.captured_queries[0]["sql"]
    else:
        assert statements == ["SAVEPOINT", "SELECT", "INSERT", "RELEASE"]
    assert PersonAccessLog.objects.count() == 2


def test_access_log_rows_cannot_be_changed(province, parents):
    father, _mother, _household = parents
    person_read(person_id_number=father.id_number, actor=province.officer, purpose="Kiểm tra")
    log = PersonAccessLog.objects.get()
    log.purpose = "Sửa lại"
    with pytest.raises(TypeError):
        log.save()
    with pytest.raises(TypeError):
        log.delete()


# ---- the citizen's view and the other read paths -----------------------------------------------


def test_access_history_newest_first(province, parents):
    father, _mother, _household = parents
    for purpose in ("Lần 1", "Lần 2", "Lần 3"):
        person_read(person_id_number=father.id_number, actor=province.officer, purpose=purpose)
    history = list(person_access_history(person=father))
    assert [entry.purpose for entry in history] == ["Lần 3", "Lần 2", "Lần 1"]
    assert services.person_access_history is person_access_history


def test_household_and_children_paths(province, parents):
    father, mother, household = parents
    child = register(province, father=father, mother=mother, household=household)
    assert [m.person for m in household_members(household_id=household.pk)] == [father, mother, child]
    assert list(children_of(person_id=father.pk)) == [child]
    assert list(children_of(person_id=mother.pk)) == [child]


def test_no_dangling_references(province, parents):
    father, mother, household = parents
    register(province, father=father, mother=mother, household=household)
    person_read(person_id_number=father.id_number, actor=province.officer, purpose="Kiểm tra")
    assert set(registry_dangling_references().values()) == {0}


def test_registry_check_command_reports_a_dangling_reference(province, parents):
    from io import StringIO

    from django.core.management import CommandError, call_command

    father, mother, household = parents
    child = register(province, father=father, mother=mother, household=household)
    out = StringIO()
    call_command("registry_check", stdout=out)
    assert "person.father: 0" in out.getvalue()
    # WHEN a write that bypassed the services leaves a father who does not exist
    Person.objects.filter(pk=child.pk).update(father_id=father.pk + 10_000_000)
    # THEN the nightly check fails and names the column
    with pytest.raises(CommandError, match="person.father"):
        call_command("registry_check", stdout=StringIO())
