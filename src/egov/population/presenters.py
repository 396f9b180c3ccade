"""A person's record as plain data, shared by the API and the officer's look-up page.

Plain dicts from the already loaded row (no further queries): the look-up path must stay one query for
the person plus one insert for the access log.
"""

from __future__ import annotations

from django.utils.translation import get_language

from .choices import Ethnicity, Sex
from .models import Person, PersonAccessLog
from .selectors import unit_labels


def _unit(unit) -> dict | None:
    return {"code": unit.code, "name": unit.name} if unit is not None else None


def _relative(person: Person | None) -> dict | None:
    return {"id_number": person.id_number, "full_name": person.full_name} if person is not None else None


def person_record(person: Person) -> dict:
    """The full record (``services.PERSON_READ_FIELDS``) of a person read through ``person_read``."""
    temporary = None
    if person.temporary_residence_commune_id or person.temporary_residence_address:
        temporary = {
            "commune": _unit(person.temporary_residence_commune),
            "address": person.temporary_residence_address,
        }
    return {
        "id_number": person.id_number,
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth.isoformat(),
        "sex": person.sex,
        "sex_label": str(Sex(person.sex).label),
        "ethnicity": person.ethnicity,
        "ethnicity_label": str(Ethnicity(person.ethnicity).label),
        "religion": person.religion,
        "nationality": person.nationality,
        "place_of_birth": {"text": person.place_of_birth, "commune": _unit(person.place_of_birth_commune)},
        "hometown": person.hometown,
        "permanent_residence": {
            "commune": _unit(person.permanent_residence_commune),
            "address": person.permanent_residence_address,
        },
        "temporary_residence": temporary,
        "father": _relative(person.father),
        "mother": _relative(person.mother),
        "spouse": _relative(person.spouse),
        "is_deceased": person.is_deceased,
        "date_of_death": person.date_of_death.isoformat() if person.date_of_death else None,
    }


_choice_labels: dict[tuple[str | None, type, str], str] = {}


def _label(choices: type, value: str) -> str:
    """``str(choices(value).label)`` in the active language, remembered per process (the look-up API
    translates the same two dozen labels on every call)."""
    key = (get_language(), choices, value)
    label = _choice_labels.get(key)
    if label is None:
        label = _choice_labels[key] = str(choices(value).label)
    return label


def _labelled(labels: dict[int, tuple[str, str]], pk: int | None) -> dict | None:
    if pk is None or pk not in labels:
        return None
    code, name = labels[pk]
    return {"code": code, "name": name}


def _named(id_number: str | None, full_name: str | None) -> dict | None:
    return {"id_number": id_number, "full_name": full_name} if id_number is not None else None


def person_record_from_values(values) -> dict:
    """``person_record`` from one row of ``selectors.PERSON_RECORD_VALUES`` (the API's look-up path, which
    builds no model instance): the same dict, the communes' names from ``unit_labels``."""
    (
        _pk,
        id_number,
        full_name,
        date_of_birth,
        sex,
        ethnicity,
        religion,
        nationality,
        place_of_birth,
        birth_commune_id,
        hometown,
        permanent_commune_id,
        permanent_address,
        temporary_commune_id,
        temporary_address,
        father_id_number,
        father_name,
        mother_id_number,
        mother_name,
        spouse_id_number,
        spouse_name,
        is_deceased,
        date_of_death,
    ) = values
    units = {birth_commune_id, permanent_commune_id, temporary_commune_id} - {None}
    labels = unit_labels.get(units) if units else {}
    temporary = None
    if temporary_commune_id or temporary_address:
        temporary = {"commune": _labelled(labels, temporary_commune_id), "address": temporary_address}
    return {
        "id_number": id_number,
        "full_name": full_name,
        "date_of_birth": date_of_birth.isoformat(),
        "sex": sex,
        "sex_label": _label(Sex, sex),
        "ethnicity": ethnicity,
        "ethnicity_label": _label(Ethnicity, ethnicity),
        "religion": religion,
        "nationality": nationality,
        "place_of_birth": {"text": place_of_birth, "commune": _labelled(labels, birth_commune_id)},
        "hometown": hometown,
        "permanent_residence": {
            "commune": _labelled(labels, permanent_commune_id),
            "address": permanent_address,
        },
        "temporary_residence": temporary,
        "father": _named(father_id_number, father_name),
        "mother": _named(mother_id_number, mother_name),
        "spouse": _named(spouse_id_number, spouse_name),
        "is_deceased": is_deceased,
        "date_of_death": date_of_death.isoformat() if date_of_death else None,
    }


def access_log_entry(entry: PersonAccessLog) -> dict:
    user = entry.user
    return {
        "at": entry.at.isoformat(),
        "officer": {"username": user.username, "full_name": user.display_name, "position": user.position},
        "purpose": entry.purpose,
        "dossier_code": entry.dossier_code,
        "fields": entry.fields,
        "channel": entry.channel,
    }
