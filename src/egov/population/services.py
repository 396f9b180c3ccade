"""Writes of the population registry, and the one logged read of a person's record."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.accounts.selectors import user_is_officer
from egov.core.choices import UnitLevel
from egov.core.errors import NotFound, PermissionDenied, ValidationFailed
from egov.core.models import AdministrativeUnit

from .choices import Ethnicity, Relationship, Sex
from .ids import ID_NUMBER_LENGTH, issue_id_number
from .models import CitizenLink, Household, HouseholdMember, Person, PersonAccessLog
from .names import clean_name, name_problem, search_key
from .presenters import person_record, person_record_from_values
from .selectors import (
    PERSON_BY_ID_NUMBER,
    PERSON_RECORD_BY_ID_NUMBER,
    person_access_history,
    person_attach_relations,
)

__all__ = [
    "PERSON_READ_FIELDS",
    "person_access_history",
    "person_read",
    "person_read_record",
    "person_register_birth",
]

# What an officer's read returns, recorded on every access-log row.
PERSON_READ_FIELDS = (
    "id_number",
    "full_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "religion",
    "nationality",
    "place_of_birth",
    "hometown",
    "permanent_residence",
    "temporary_residence",
    "father",
    "mother",
    "spouse",
    "is_deceased",
    "date_of_death",
)
PURPOSE_MAX = 500
DOSSIER_CODE_MAX = 40
ID_ISSUE_ROUNDS = 5


def _require_officer(actor) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not user_is_officer(actor):
        raise PermissionDenied(_("Chỉ cán bộ đang được phân quyền mới được thực hiện việc này."))


def _require_reader(actor, id_number: str) -> None:
    """Officers may read any record (with a purpose); a citizen only their own, once their account is
    verified to be that person (Decree 13/2023/NĐ-CP art. 9: the data subject's right of access)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Hãy đăng nhập để xem thông tin công dân."))
    if user_is_officer(actor):
        return
    if CitizenLink.objects.filter(
        user_id=actor.pk, verified_at__isnull=False, person__id_number=id_number
    ).exists():
        return
    raise PermissionDenied(
        _(
            "Chỉ cán bộ được phân quyền, hoặc chính công dân có tài khoản đã xác thực, mới được xem thông tin này."
        )
    )


def _province_code(commune: AdministrativeUnit) -> str:
    province = commune.parent
    while province is not None and province.level != UnitLevel.PROVINCE:
        province = province.parent
    if province is None:
        raise ValidationFailed(
            _("Không xác định được tỉnh của “%(commune)s”.") % {"commune": commune.name},
            field="place_of_birth_commune",
        )
    return province.code


@transaction.atomic
def person_register_birth(
    *,
    full_name: str,
    date_of_birth: dt.date,
    sex: str,
    ethnicity: str,
    place_of_birth_commune: AdministrativeUnit,
    father: Person | None = None,
    mother: Person | None = None,
    household: Household | None = None,
    actor,
) -> Person:
    """Record a birth and issue the child's personal ID number (Law on Civil Status 2014 arts. 13-17;
    Law on Identification 2023 art. 12: the number is established when the birth is registered).

    The ID number's province part is the province of the commune where the birth is registered. The child
    takes the household's permanent residence and joins it ("con" when the head is a parent, "cháu" when
    the head is a grandparent, otherwise "khác"); without a household, the mother's residence, else the
    father's. The hometown (quê quán) is the father's or the mother's by the parents' agreement (Law on
    Civil Status 2014 art. 4.8); without a stated agreement the father's is taken, else the mother's.
    The ethnicity is given by the parents (Civil Code 2015 art. 29).
    """
    _require_officer(actor)
    name = clean_name(full_name or "")
    problem = name_problem(name)
    if problem:
        raise ValidationFailed(problem, field="full_name")
    if sex not in Sex.values:
        raise ValidationFailed(_("Giới tính “%(sex)s” không hợp lệ.") % {"sex": sex}, field="sex")
    if ethnicity not in Ethnicity.values:
        raise ValidationFailed(
            _("Dân tộc “%(e)s” không có trong danh mục.") % {"e": ethnicity}, field="ethnicity"
        )
    if date_of_birth > timezone.localdate():
        raise ValidationFailed(_("Ngày sinh không được sau ngày hôm nay."), field="date_of_birth")
    if place_of_birth_commune is None or place_of_birth_commune.level != UnitLevel.COMMUNE:
        raise ValidationFailed(
            _("Nơi đăng ký khai sinh phải là một xã, phường."), field="place_of_birth_commune"
        )
    for parent, expected, field in ((father, Sex.MALE, "father"), (mother, Sex.FEMALE, "mother")):
        if parent is None:
            continue
        if parent.sex != expected:
            raise ValidationFailed(
                _("%(name)s không thể là %(role)s của trẻ (giới tính không phù hợp).")
                % {"name": parent.full_name, "role": _("cha") if field == "father" else _("mẹ")},
                field=field,
            )
        if parent.date_of_birth >= date_of_birth:
            raise ValidationFailed(
                _("%(name)s sinh sau hoặc cùng ngày với trẻ.") % {"name": parent.full_name}, field=field
            )

    if household is not None:
        household = Household.objects.select_for_update().select_related("head").get(pk=household.pk)
        residence_commune, residence_address = household.commune, household.address
    else:
        source = mother or father
        residence_commune = source.permanent_residence_commune if source else None
        residence_address = source.permanent_residence_address if source else ""
    hometown = (father.hometown if father else "") or (mother.hometown if mother else "")
    province_code = _province_code(place_of_birth_commune)
    place_of_birth = ", ".join(
        p for p in (place_of_birth_commune.name, getattr(place_of_birth_commune.parent, "name", "")) if p
    )

    person = None
    for _round in range(ID_ISSUE_ROUNDS):
        id_number = issue_id_number(province_code=province_code, date_of_birth=date_of_birth, sex=sex)
        try:
            # A savepoint: a concurrent issuance of the same number fails only this attempt.
            with transaction.atomic():
                person = Person.objects.create(
                    id_number=id_number,
                    full_name=name,
                    full_name_search=search_key(name),
                    date_of_birth=date_of_birth,
                    sex=sex,
                    ethnicity=ethnicity,
                    place_of_birth=place_of_birth,
                    place_of_birth_commune=place_of_birth_commune,
                    hometown=hometown,
                    permanent_residence_commune=residence_commune,
                    permanent_residence_address=residence_address,
                    father=father,
                    mother=mother,
                )
            break
        except IntegrityError:
            if Person.objects.filter(id_number=id_number).exists():
                continue
            raise
    if person is None:
        raise ValidationFailed(
            _("Không cấp được số định danh mới; vui lòng thử lại."), code="id_number_exhausted"
        )

    if household is not None:
        head_id = household.head_id
        if head_id in (getattr(father, "pk", None), getattr(mother, "pk", None)):
            relationship = Relationship.CHILD
        elif head_id in {
            getattr(father, "father_id", None),
            getattr(father, "mother_id", None),
            getattr(mother, "father_id", None),
            getattr(mother, "mother_id", None),
        } - {None}:
            relationship = Relationship.GRANDCHILD
        else:
            relationship = Relationship.OTHER
        HouseholdMember.objects.create(household=household, person=person, relationship=relationship)
    return person


_ACCESS_LOG_COLUMNS = ("user", "person", "purpose", "dossier_code", "fields", "channel", "at")
_access_log_sql: dict[tuple[str, int], tuple[str, str]] = {}


def _access_log_statements(conn, query=PERSON_BY_ID_NUMBER) -> tuple[str, str]:
    """The access-log ``INSERT`` on its own, and on PostgreSQL the look-up and the ``INSERT`` as one
    statement (a data-modifying ``WITH``) around the ORM's own SQL for the person (``query``, a
    ``CompiledQuery`` whose first column is the person's primary key)."""
    key = (conn.alias, id(query))
    statements = _access_log_sql.get(key)
    if statements is None:
        meta = PersonAccessLog._meta
        quote = conn.ops.quote_name
        columns = ", ".join(quote(meta.get_field(name).column) for name in _ACCESS_LOG_COLUMNS)
        values = ", ".join(["%s"] * len(_ACCESS_LOG_COLUMNS))
        insert = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values})"  # noqa: S608
        sql = query.sql(conn.alias)
        # Positional names for the WITH's columns: a values query with joins repeats column names.
        names = ", ".join(f"c{i}" for i in range(query.column_count(conn.alias)))
        logged_read = (
            f"WITH person ({names}) AS ({sql}), "  # noqa: S608
            f"access_log AS (INSERT INTO {quote(meta.db_table)} ({columns}) "
            f"SELECT %s, person.c0, %s, %s, %s, %s, %s FROM person) "
            "SELECT person.* FROM person"
        )
        statements = _access_log_sql[key] = (insert, logged_read)
    return statements


def _checked_read(*, person_id_number: str, actor, purpose: str, dossier_code: str) -> tuple[str, str, str]:
    """The rules every read of a record passes before the database is asked: a stated purpose of sane
    length, a well-formed number, a reader allowed to read it. Returns the cleaned values."""
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationFailed(
            _("Phải nêu mục đích tra cứu thông tin công dân (ví dụ: giải quyết hồ sơ số ...)."),
            code="purpose_required",
            field="purpose",
        )
    if len(purpose) > PURPOSE_MAX:
        raise ValidationFailed(
            _("Mục đích tra cứu dài quá %(n)d ký tự.") % {"n": PURPOSE_MAX}, field="purpose"
        )
    dossier_code = (dossier_code or "").strip()
    if len(dossier_code) > DOSSIER_CODE_MAX:
        raise ValidationFailed(_("Mã hồ sơ không hợp lệ."), field="dossier_code")
    id_number = (person_id_number or "").strip()
    if len(id_number) != ID_NUMBER_LENGTH or not id_number.isascii() or not id_number.isdigit():
        raise ValidationFailed(_("Số định danh cá nhân phải gồm đúng 12 chữ số."), field="id_number")
    _require_reader(actor, id_number)
    return id_number, purpose, dossier_code


_read_fields_value: dict[str, object] = {}


def _log_values(conn, *, purpose: str, dossier_code: str, channel: str) -> tuple:
    meta = PersonAccessLog._meta
    fields = _read_fields_value.get(conn.alias)
    if fields is None:  # the same JSON on every row: adapted once per connection alias
        fields = _read_fields_value[conn.alias] = meta.get_field("fields").get_db_prep_save(
            list(PERSON_READ_FIELDS), conn
        )
    return (
        purpose,
        dossier_code,
        fields,
        channel,
        meta.get_field("at").get_db_prep_save(timezone.now(), conn),
    )


def _not_found(id_number: str) -> NotFound:
    return NotFound(
        _("Không tìm thấy công dân có số định danh %(id)s.") % {"id": id_number}, code="person_not_found"
    )


def person_read(
    *, person_id_number: str, actor, purpose: str, dossier_code: str = "", channel: str = "web"
) -> Person:
    """An officer's read of a person's full record, refused without a stated purpose and logged in the
    same transaction (Decree 13/2023/NĐ-CP arts. 3 and 9: processing only for a stated purpose, on
    record; the citizen can see the log). If the log row cannot be written, nothing is returned. A citizen
    whose account is verified to be the person may read their own record the same way (e.g. to prefill a
    form); anyone else is refused.

    On PostgreSQL the look-up and the log ``INSERT`` are one statement (a data-modifying ``WITH`` around
    the ORM's SQL for the person, compiled once per process), so they are atomic without
    ``BEGIN``/``COMMIT`` round trips, and the read is one round trip; elsewhere a transaction holds the
    ``SELECT`` and the ``INSERT``. The communes' names come from a per-process cache; the relatives, if
    any, from one more query by primary key. The API, which wants the record as data, uses
    ``person_read_record``: same rules, same log row, no model instances.
    """
    id_number, purpose, dossier_code = _checked_read(
        person_id_number=person_id_number, actor=actor, purpose=purpose, dossier_code=dossier_code
    )
    conn = transaction.get_connection()
    alias = conn.alias
    log_values = _log_values(conn, purpose=purpose, dossier_code=dossier_code, channel=channel)
    insert, logged_read = _access_log_statements(conn)
    if conn.vendor == "postgresql":
        params = [*PERSON_BY_ID_NUMBER.params(id_number, alias=alias), actor.pk, *log_values]
        rows = PERSON_BY_ID_NUMBER.run(logged_read, params, alias=alias)
        person = PERSON_BY_ID_NUMBER.to_object(rows[0], alias=alias) if rows else None
    else:
        with transaction.atomic(using=alias):
            person = PERSON_BY_ID_NUMBER.first_object(id_number, alias=alias)
            if person is not None:
                with conn.cursor() as cursor:
                    cursor.execute(insert, (actor.pk, person.pk, *log_values))
    if person is None:
        raise _not_found(id_number)
    return person_attach_relations(person, alias=alias)


def person_read_record(
    *, person_id_number: str, actor, purpose: str, dossier_code: str = "", channel: str = "api"
) -> dict:
    """``person_read`` for callers that want the record as data (the look-up API, performance goals R1
    and S1): the same rules and the same access-log row, and the same dict as
    ``presenters.person_record``. On PostgreSQL the person, the relatives' names and the log row are one
    statement and no model instance is built; elsewhere it is ``person_record(person_read(...))``."""
    conn = transaction.get_connection()
    if conn.vendor != "postgresql":
        return person_record(
            person_read(
                person_id_number=person_id_number,
                actor=actor,
                purpose=purpose,
                dossier_code=dossier_code,
                channel=channel,
            )
        )
    id_number, purpose, dossier_code = _checked_read(
        person_id_number=person_id_number, actor=actor, purpose=purpose, dossier_code=dossier_code
    )
    alias = conn.alias
    log_values = _log_values(conn, purpose=purpose, dossier_code=dossier_code, channel=channel)
    _insert, logged_read = _access_log_statements(conn, PERSON_RECORD_BY_ID_NUMBER)
    params = [*PERSON_RECORD_BY_ID_NUMBER.params(id_number, alias=alias), actor.pk, *log_values]
    rows = PERSON_RECORD_BY_ID_NUMBER.run(logged_read, params, alias=alias)
    if not rows:
        raise _not_found(id_number)
    return person_record_from_values(rows[0])
