"""Reads of the population registry.

None of these is for showing a person's record to an officer: that read must be logged and goes through
``services.person_read``. These serve the citizen's own view and other services. Every path here is
covered by the EXPLAIN test (``tests/test_explain.py``), which fails on a sequential scan of the people.
"""

from __future__ import annotations

import time

from django.db.models import Exists, OuterRef, Q, QuerySet

from egov.core.compiled import CompiledQuery

from .models import CitizenLink, HouseholdMember, Person, PersonAccessLog

PERSON_RECORD_RELATIONS = (
    "place_of_birth_commune",
    "permanent_residence_commune",
    "temporary_residence_commune",
    "father",
    "mother",
    "spouse",
)
# Any well-formed value: only the SQL is kept, the value is replaced on every run.
_ID_NUMBER_PLACEHOLDER = "000000000000"


def person_by_id_number(id_number: str) -> QuerySet[Person]:
    """The person with ``id_number`` (at most one row, by the unique index).

    ``person_read`` runs the SQL of exactly this query set, compiled once per process
    (``PERSON_BY_ID_NUMBER``); the EXPLAIN test plans this query set.
    """
    return Person.objects.filter(id_number=id_number)


PERSON_BY_ID_NUMBER = CompiledQuery(person_by_id_number, _ID_NUMBER_PLACEHOLDER)

# The columns of a full record as the API returns it, the relatives' number and name joined in (nullable
# keys, so LEFT JOINs by primary key): ``presenters.person_record_from_values`` reads them in this order.
PERSON_RECORD_VALUES = (
    "id",
    "id_number",
    "full_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "religion",
    "nationality",
    "place_of_birth",
    "place_of_birth_commune_id",
    "hometown",
    "permanent_residence_commune_id",
    "permanent_residence_address",
    "temporary_residence_commune_id",
    "temporary_residence_address",
    "father__id_number",
    "father__full_name",
    "mother__id_number",
    "mother__full_name",
    "spouse__id_number",
    "spouse__full_name",
    "is_deceased",
    "date_of_death",
)


def person_record_values(id_number: str) -> QuerySet:
    """The full record of the person with ``id_number`` as one row of plain values (``PERSON_RECORD_VALUES``):
    what the look-up API sends, read by ``services.person_read_record`` without building model instances
    (``PERSON_RECORD_BY_ID_NUMBER``); the EXPLAIN test plans this query set."""
    return Person.objects.filter(id_number=id_number).values_list(*PERSON_RECORD_VALUES)


PERSON_RECORD_BY_ID_NUMBER = CompiledQuery(person_record_values, _ID_NUMBER_PLACEHOLDER)


def person_record_queryset() -> QuerySet[Person]:
    """People with the relations of a full record joined in, for lists and pages that are not the hot
    look-up path (which loads the relations from ``unit_labels`` and one query by primary key)."""
    return Person.objects.select_related(*PERSON_RECORD_RELATIONS)


class _UnitLabels:
    """Code and name of administrative units by primary key, kept per process for ``TTL`` seconds.

    Units are reference data (3,321 communes, renamed only by a legal act): a look-up needs their names
    without joining three copies of the unit table into the person's query.
    """

    TTL = 600.0

    def __init__(self) -> None:
        self._labels: dict[int, tuple[str, str]] = {}
        self._loaded_at = 0.0

    def get(self, ids: set[int]) -> dict[int, tuple[str, str]]:
        now = time.monotonic()
        if now - self._loaded_at > self.TTL:
            self._labels = {}
            self._loaded_at = now
        labels = self._labels
        missing = [pk for pk in ids if pk not in labels]
        if missing:
            from egov.core.models import AdministrativeUnit

            for pk, code, name in AdministrativeUnit.objects.filter(pk__in=missing).values_list(
                "pk", "code", "name"
            ):
                labels[pk] = (code, name)
        return {pk: labels[pk] for pk in ids if pk in labels}

    def clear(self) -> None:
        self._labels = {}


unit_labels = _UnitLabels()


def person_attach_relations(person: Person, *, alias: str = "default") -> Person:
    """Put the communes and the relatives of a full record on ``person`` without joins: communes from
    ``unit_labels``, relatives (if any) with one query by primary key. Afterwards reading
    ``person.father`` or ``person.permanent_residence_commune`` runs no query."""
    from egov.core.models import AdministrativeUnit

    meta = Person._meta
    commune_fields = [meta.get_field(name) for name in PERSON_RECORD_RELATIONS[:3]]
    relative_fields = [meta.get_field(name) for name in PERSON_RECORD_RELATIONS[3:]]
    unit_ids = {getattr(person, f.attname) for f in commune_fields} - {None}
    labels = unit_labels.get(unit_ids) if unit_ids else {}
    for field in commune_fields:
        pk = getattr(person, field.attname)
        unit = None
        if pk is not None and pk in labels:
            unit = AdministrativeUnit.from_db(alias, ["id", "code", "name"], (pk, *labels[pk]))
        field.set_cached_value(person, unit)
    relative_ids = {getattr(person, f.attname) for f in relative_fields} - {None}
    relatives = {}
    if relative_ids:
        rows = (
            Person.objects.using(alias)
            .filter(pk__in=relative_ids)
            .values_list("pk", "id_number", "full_name")
        )
        relatives = {row[0]: Person.from_db(alias, ["id", "id_number", "full_name"], row) for row in rows}
    for field in relative_fields:
        field.set_cached_value(person, relatives.get(getattr(person, field.attname)))
    return person


def person_access_history(*, person: Person) -> QuerySet[PersonAccessLog]:
    """Who read ``person``'s record, when and why, newest first: what the citizen is entitled to see
    (Decree 13/2023/NĐ-CP art. 9: the right to know how one's personal data is processed)."""
    return PersonAccessLog.objects.filter(person=person).select_related("user").order_by("-at", "-pk")


def household_members(*, household_id: int) -> QuerySet[HouseholdMember]:
    """Members of a household with their records, in the order they were added."""
    return HouseholdMember.objects.filter(household_id=household_id).select_related("person").order_by("pk")


def person_households(*, person_id: int) -> QuerySet[HouseholdMember]:
    return HouseholdMember.objects.filter(person_id=person_id).select_related("household")


def children_of(*, person_id: int) -> QuerySet[Person]:
    """People whose father or mother is ``person_id`` (served by the two partial parent indexes)."""
    return Person.objects.filter(Q(father_id=person_id) | Q(mother_id=person_id)).order_by(
        "date_of_birth", "pk"
    )


def linked_person(*, user) -> Person | None:
    """The registry record a signed-in citizen's account is verified to be, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    link = CitizenLink.objects.select_related("person").filter(user=user, verified_at__isnull=False).first()
    return link.person if link else None


def registry_dangling_references() -> dict[str, int]:
    """References that point at nothing, per column (all should be 0).

    The registry tables have no database-level foreign keys (see ``Person``), so this is the check that
    replaces them: a full anti-join per column, for a nightly job or after a bulk load, not for requests.
    """
    from django.contrib.auth import get_user_model

    from egov.core.models import AdministrativeUnit

    def dangling(queryset, column: str, target) -> int:
        return (
            queryset.filter(**{f"{column}__isnull": False})
            .exclude(Exists(target.objects.filter(pk=OuterRef(column))))
            .count()
        )

    people = Person.objects.all()
    logs = PersonAccessLog.objects.all()
    return {
        "person.father": dangling(people, "father_id", Person),
        "person.mother": dangling(people, "mother_id", Person),
        "person.spouse": dangling(people, "spouse_id", Person),
        "person.place_of_birth_commune": dangling(people, "place_of_birth_commune_id", AdministrativeUnit),
        "person.permanent_residence_commune": dangling(
            people, "permanent_residence_commune_id", AdministrativeUnit
        ),
        "person.temporary_residence_commune": dangling(
            people, "temporary_residence_commune_id", AdministrativeUnit
        ),
        "person_access_log.person": dangling(logs, "person_id", Person),
        "person_access_log.user": dangling(logs, "user_id", get_user_model()),
    }
