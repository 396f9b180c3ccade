"""Writes for the core domain: administrative units and the working-day calendar."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .calendar import invalidate_calendar_cache
from .choices import CalendarDayKind, UnitLevel
from .errors import NotFound, PermissionDenied, ValidationFailed
from .models import AdministrativeUnit, Calendar, CalendarDay
from .selectors import user_can_manage_calendar

if TYPE_CHECKING:
    from egov.accounts.models import User

audit_log = logging.getLogger("egov.audit")

# The two-tier units of Resolution 202/2025/QH15 and the Standing Committee resolutions took effect
# on this day; their codes come from Decision 19/2025/QĐ-TTg.
REFORM_2025 = dt.date(2025, 7, 1)
DEFAULT_CALENDAR_NAME = "Lịch làm việc mặc định"


# ---- administrative units ------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitLoadResult:
    provinces: int
    communes: int
    created: int
    updated: int
    unchanged: int


def _province_name(name: str, division_type: str) -> str:
    # The package names centrally-run cities in full ("Thành phố Hà Nội") but provinces bare
    # ("Phú Thọ"); the official name of a province is "Tỉnh Phú Thọ".
    if division_type == "tỉnh" and not name.startswith("Tỉnh "):
        return f"Tỉnh {name}"
    return name


@transaction.atomic
def administrative_units_load(*, valid_from: dt.date = REFORM_2025) -> UnitLoadResult:
    """Load the 34 provinces and 3,321 communes of the 2025 reform from ``vietnam-provinces``.

    Codes follow Decision 19/2025/QĐ-TTg: 2 digits for a province, 5 for a commune, never reused.
    Rows are matched on (level, code, ``valid_from``), so re-running updates names and types in
    place and never duplicates; rows the package no longer lists are left alone (codes are never
    reused, and agencies may point at them).

    Pre-2025 units (63 provinces, ~700 districts, ~10,000 communes) fit the same table: load them
    from the General Statistics Office list with ``valid_from`` = the date each was created (or
    1900-01-01 when unknown), ``valid_to`` = 2025-06-30 and level ``district`` for districts. The
    unique key includes ``valid_from``, so an old province code (e.g. 26 Vĩnh Phúc) and a current
    one can coexist; selectors for current units filter on ``valid_to IS NULL``.
    """
    from vietnam_provinces import Province, Ward

    existing = {
        (unit.level, unit.code): unit
        for unit in AdministrativeUnit.objects.filter(
            level__in=[UnitLevel.PROVINCE, UnitLevel.COMMUNE], valid_from=valid_from
        )
    }
    created = updated = unchanged = 0
    fields = ["name", "division_type", "codename", "parent_id"]

    def sync(rows: list[AdministrativeUnit]) -> None:
        nonlocal created, updated, unchanged
        new, changed = [], []
        for row in rows:
            current = existing.get((row.level, row.code))
            if current is None:
                new.append(row)
            elif [getattr(current, f) for f in fields] != [getattr(row, f) for f in fields]:
                for f in fields:
                    setattr(current, f, getattr(row, f))
                changed.append(current)
            else:
                unchanged += 1
        AdministrativeUnit.objects.bulk_create(new, batch_size=1000)
        AdministrativeUnit.objects.bulk_update(
            changed, ["name", "division_type", "codename", "parent"], batch_size=1000
        )
        created += len(new)
        updated += len(changed)

    provinces = list(Province.iter_all())
    sync(
        [
            AdministrativeUnit(
                level=UnitLevel.PROVINCE,
                code=f"{int(p.code):02d}",
                name=_province_name(p.name, p.division_type.value),
                division_type=p.division_type.value,
                codename=p.codename,
                parent_id=None,
                valid_from=valid_from,
            )
            for p in provinces
        ]
    )
    # Re-read rather than trust primary keys set by bulk_create (not every backend returns them).
    province_ids = dict(
        AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE, valid_from=valid_from).values_list(
            "code", "pk"
        )
    )
    wards = list(Ward.iter_all())
    sync(
        [
            AdministrativeUnit(
                level=UnitLevel.COMMUNE,
                code=f"{int(w.code):05d}",
                name=w.name,
                division_type=w.division_type.value,
                codename=w.codename,
                parent_id=province_ids[f"{int(w.province_code):02d}"],
                valid_from=valid_from,
            )
            for w in wards
        ]
    )
    return UnitLoadResult(
        provinces=len(provinces), communes=len(wards), created=created, updated=updated, unchanged=unchanged
    )


# ---- calendar ------------------------------------------------------------------------------------
def _require_calendar_admin(actor: User) -> None:
    if not user_can_manage_calendar(actor):
        raise PermissionDenied(_("Chỉ quản trị cơ quan hoặc quản trị cấp tỉnh được thay đổi lịch làm việc."))


def _after_commit_refresh() -> None:
    # Other transactions must never see a deadline computed from an override that was rolled back,
    # so the cache is cleared only once the change is visible to everyone.
    transaction.on_commit(invalidate_calendar_cache)


@transaction.atomic
def calendar_ensure_default() -> tuple[Calendar, bool]:
    """The default calendar (07:30-11:30, 13:00-17:00, cut-off 15:00), created if missing.

    An existing default is returned unchanged: an admin may have adjusted its hours.
    """
    calendar = Calendar.objects.select_for_update().filter(is_default=True).first()
    if calendar is not None:
        return calendar, False
    calendar, created = Calendar.objects.get_or_create(
        name=DEFAULT_CALENDAR_NAME, defaults={"is_default": True}
    )
    if not created and not calendar.is_default:
        calendar.is_default = True
        calendar.save(update_fields=["is_default"])
    _after_commit_refresh()
    return calendar, created


@transaction.atomic
def calendar_update(
    *,
    calendar: Calendar,
    actor: User,
    morning_start: dt.time,
    morning_end: dt.time,
    afternoon_start: dt.time,
    afternoon_end: dt.time,
    cutoff: dt.time,
    saturday_morning: bool,
    use_national_holidays: bool = True,
) -> Calendar:
    """Change the working hours, the reception cut-off or the Saturday-morning policy.

    Hours are local and configurable (reference §8.2); the cut-off implements Decree 61/2018 art. 18.2-3
    and must fall inside the working day.
    """
    _require_calendar_admin(actor)
    if not (morning_start < morning_end <= afternoon_start < afternoon_end):
        raise ValidationFailed(
            _(
                "Giờ làm việc phải theo thứ tự: bắt đầu sáng < kết thúc sáng ≤ bắt đầu chiều < kết thúc chiều."
            ),
            field="morning_start",
        )
    if not (morning_start < cutoff <= afternoon_end):
        raise ValidationFailed(_("Giờ chốt tiếp nhận phải nằm trong giờ làm việc."), field="cutoff")
    calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
    calendar.morning_start = morning_start
    calendar.morning_end = morning_end
    calendar.afternoon_start = afternoon_start
    calendar.afternoon_end = afternoon_end
    calendar.cutoff = cutoff
    calendar.saturday_morning = saturday_morning
    calendar.use_national_holidays = use_national_holidays
    calendar.updated_at = timezone.now()
    calendar.updated_by = actor
    calendar.save(
        update_fields=[
            "morning_start",
            "morning_end",
            "afternoon_start",
            "afternoon_end",
            "cutoff",
            "saturday_morning",
            "use_national_holidays",
            "updated_at",
            "updated_by",
        ]
    )
    audit_log.info(
        "calendar_update calendar=%s actor=%s hours=%s-%s,%s-%s cutoff=%s saturday_morning=%s national=%s",
        calendar.pk,
        actor.pk,
        morning_start,
        morning_end,
        afternoon_start,
        afternoon_end,
        cutoff,
        saturday_morning,
        use_national_holidays,
    )
    _after_commit_refresh()
    return calendar


@transaction.atomic
def calendar_day_set(*, calendar: Calendar, date: dt.date, kind: str, note: str, actor: User) -> CalendarDay:
    """Record a day decided by an authority: an extra day off, a compensatory working day or a Saturday
    morning worked (Labour Code art. 112.3: the Prime Minister fixes Tết and National Day each year;
    provinces may add their own decisions). ``note`` must cite the decision.
    """
    _require_calendar_admin(actor)
    if kind not in CalendarDayKind.values:
        raise ValidationFailed(_("Loại ngày không hợp lệ."), field="kind")
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(
            _("Hãy ghi căn cứ (số, ngày văn bản quyết định) của ngày điều chỉnh."), field="note"
        )
    # Lock the calendar so two admins editing the same date serialise on it.
    Calendar.objects.select_for_update().filter(pk=calendar.pk).first()
    day, created = CalendarDay.objects.update_or_create(
        calendar=calendar,
        date=date,
        defaults={"kind": kind, "note": note[:255], "updated_at": timezone.now(), "updated_by": actor},
    )
    audit_log.info(
        "calendar_day_set calendar=%s date=%s kind=%s actor=%s created=%s note=%r",
        calendar.pk,
        date.isoformat(),
        kind,
        actor.pk,
        created,
        note,
    )
    _after_commit_refresh()
    return day


@transaction.atomic
def calendar_day_clear(*, calendar: Calendar, date: dt.date, actor: User) -> None:
    """Remove an override; the day falls back to the weekly pattern and the national holidays."""
    _require_calendar_admin(actor)
    Calendar.objects.select_for_update().filter(pk=calendar.pk).first()
    day = CalendarDay.objects.filter(calendar=calendar, date=date).first()
    if day is None:
        raise NotFound(_("Ngày %(date)s không có điều chỉnh nào.") % {"date": f"{date:%d/%m/%Y}"})
    audit_log.info(
        "calendar_day_clear calendar=%s date=%s kind=%s actor=%s note=%r",
        calendar.pk,
        date.isoformat(),
        day.kind,
        actor.pk,
        day.note,
    )
    day.delete()
    _after_commit_refresh()
