"""A person's record as plain data, shared by the API and the officer's look-up page.

Plain dicts from the already loaded row (no further queries): the look-up path must stay one query for
the person plus one insert for the access log.
"""

from __future__ import annotations

from django.utils.translation import get_language

from .choices import Ethnicity, Sex
from .models import Person, PersonAccessLog
from .selectors import PERSON_RECORD_VALUES, unit_labels


def _attribute(person: Person, path: str):
    """``person.father.full_name`` for ``"father__full_name"``; ``None`` past a missing relative."""
    value = person
    for name in path.split("__"):
        if value is None:
            return None
        value = getattr(value, name)
    return value


def person_record(person: Person) -> dict:
    """The full record (``services.PERSON_READ_FIELDS``) of a person read through ``person_read`` (its
    communes and relatives already attached): the same dict as the API's, built the same way."""
    return person_record_from_values(tuple(_attribute(person, path) for path in PERSON_RECORD_VALUES))


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
    """A person's full record from one row of ``selectors.PERSON_RECORD_VALUES`` (the API's look-up path
    builds no model instance), the communes' names from ``unit_labels``."""
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
