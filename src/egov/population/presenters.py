"""A person's record as plain data, shared by the API and the officer's look-up page.

Plain dicts from the already loaded row (no further queries): the look-up path must stay one query for
the person plus one insert for the access log.
"""

from __future__ import annotations

from .choices import Ethnicity, Sex
from .models import Person, PersonAccessLog


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
