"""Index discipline (performance goal R3): every registry look-up path is planned with an index.

A ``char(12)`` column compared with a ``text`` parameter once made a look-up 35,000 times slower with no
error (performance.md §3b.2). This test loads ~50,000 generated people, ANALYZEs, and fails if the plan
of any look-up path, built from the very query sets the code sends, scans a registry table.
"""

from __future__ import annotations

import csv
import random

import pytest
from django.db import connection

from egov.population import services
from egov.population.choices import Relationship
from egov.population.generator import people
from egov.population.importer import COLUMNS, PeopleImport
from egov.population.models import Household, HouseholdMember, Person, PersonAccessLog
from egov.population.selectors import (
    PERSON_BY_ID_NUMBER,
    PERSON_RECORD_BY_ID_NUMBER,
    children_of,
    household_members,
    person_access_history,
    person_by_id_number,
    person_households,
    person_record_queryset,
    person_record_values,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PEOPLE = 50_000
BIG_TABLES = ("population_person", "population_householdmember", "population_personaccesslog")


def plan(queryset) -> str:
    return queryset.explain()


def assert_indexed(queryset) -> str:
    text = plan(queryset)
    for table in BIG_TABLES:
        assert f"Seq Scan on {table}" not in text, f"sequential scan on {table}:\n{text}\n{queryset.query}"
    return text


@pytest.fixture
def registry(province, tmp_path):
    communes = [
        (province.commune.code, province.commune.name),
        (province.other_commune.code, province.other_commune.name),
    ]
    path = tmp_path / "people.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(people(PEOPLE, seed=11, communes=communes))
    report = PeopleImport(path).run()
    assert report.imported == PEOPLE, report.errors_sample[:5]

    rng = random.Random(11)
    ids = list(Person.objects.order_by("date_of_birth").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        # Link a tenth of the people to an older father and mother, as a civil-status import would.
        pairs = [(ids[i], ids[rng.randrange(i)], ids[rng.randrange(i)]) for i in range(1000, len(ids), 10)]
        cursor.executemany(
            "UPDATE population_person SET father_id = %s, mother_id = %s WHERE id = %s",
            [(father, mother, child) for child, father, mother in pairs],
        )
    households = Household.objects.bulk_create(
        Household(code=f"HK{i:06d}", head_id=ids[i * 4], address=f"Thôn {i}", commune=province.commune)
        for i in range(PEOPLE // 4)
    )
    HouseholdMember.objects.bulk_create(
        HouseholdMember(
            household=household,
            person_id=ids[i * 4 + k],
            relationship=Relationship.HEAD if k == 0 else Relationship.CHILD,
        )
        for i, household in enumerate(households)
        for k in range(4)
    )
    PersonAccessLog.objects.bulk_create(
        PersonAccessLog(user=province.officer, person_id=ids[rng.randrange(len(ids))], purpose="Kiểm tra")
        for _ in range(PEOPLE)
    )
    with connection.cursor() as cursor:
        for table in (*BIG_TABLES, "population_household"):
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 - fixed table names
    return pairs


def test_every_registry_lookup_path_uses_an_index(registry):
    child_pk, father_pk, _mother_pk = registry[len(registry) // 2]
    person = Person.objects.get(pk=child_pk)
    household_id = (
        HouseholdMember.objects.filter(person_id=child_pk).values_list("household_id", flat=True).first()
    )

    # By ID number, exactly as person_read does it: the compiled SQL is this query set's own.
    queryset = person_by_id_number(person.id_number)
    assert PERSON_BY_ID_NUMBER.sql() == queryset.query.get_compiler("default").as_sql()[0]
    text = assert_indexed(queryset)
    assert "person_id_number_unique" in text, text
    assert PERSON_BY_ID_NUMBER.first_object(person.id_number) == person
    # And the statement person_read really sends on PostgreSQL: that query inside the WITH that also
    # writes the access-log row (EXPLAIN without ANALYZE does not run the INSERT).
    _insert, logged_read = services._access_log_statements(connection)
    params = [
        *PERSON_BY_ID_NUMBER.params(person.id_number),
        person.pk,
        "Kiểm tra",
        "",
        "[]",
        "api",
        "2025-01-01T00:00:00Z",
    ]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + logged_read, params)
        text = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on population_person" not in text and "person_id_number_unique" in text, text
    # The API's look-up: the record as values with the relatives joined in, inside the same kind of WITH.
    queryset = person_record_values(person.id_number)
    assert PERSON_RECORD_BY_ID_NUMBER.sql() == queryset.query.get_compiler("default").as_sql()[0]
    assert "person_id_number_unique" in assert_indexed(queryset)
    _insert, logged_record = services._access_log_statements(connection, PERSON_RECORD_BY_ID_NUMBER)
    log_params = params[len(PERSON_BY_ID_NUMBER.params(person.id_number)) :]
    params = [*PERSON_RECORD_BY_ID_NUMBER.params(person.id_number), *log_params]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + logged_record, params)
        text = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on population_person" not in text and "person_id_number_unique" in text, text
    # The same with the relations of a full record joined in (pages and lists).
    assert_indexed(person_record_queryset().filter(id_number=person.id_number))
    # By ID number for the access-log endpoint (primary key only).
    assert_indexed(Person.objects.filter(id_number=person.id_number).only("pk"))
    # By parent: both partial indexes.
    text = assert_indexed(children_of(person_id=father_pk))
    assert "person_father_idx" in text and "person_mother_idx" in text, text
    # By household, and a person's households.
    if household_id is not None:
        assert_indexed(household_members(household_id=household_id))
    assert_indexed(person_households(person_id=child_pk))
    # The citizen's access history.
    assert_indexed(person_access_history(person=person))
    # The look-up itself returns the right row.
    assert person_by_id_number(person.id_number).get() == person


def test_id_number_is_varchar_not_char():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type, character_maximum_length FROM information_schema.columns "
            "WHERE table_name = 'population_person' AND column_name = 'id_number'"
        )
        assert cursor.fetchone() == ("character varying", 12)
