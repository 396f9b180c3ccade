"""Reads for the core domain: administrative units, agencies and the calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import holidays
from django.db.models import QuerySet
from django.utils.translation import gettext

from .calendar import national_days
from .choices import UnitLevel
from .models import AdministrativeUnit, Agency, Calendar, CalendarDay

if TYPE_CHECKING:
    from egov.accounts.models import User


# ---- units and agencies --------------------------------------------------------------------------
def current_units(*, level: str | None = None) -> QuerySet[AdministrativeUnit]:
    """Units valid today (``valid_to`` empty); the pre-2025 rows, when loaded, carry a ``valid_to``."""
    qs = AdministrativeUnit.objects.filter(valid_to__isnull=True)
    return qs.filter(level=level) if level else qs


def unit_by_code(code: str, *, level: str) -> AdministrativeUnit | None:
    return current_units(level=level).filter(code=code).first()


def communes_of(province: AdministrativeUnit) -> QuerySet[AdministrativeUnit]:
    return current_units(level=UnitLevel.COMMUNE).filter(parent=province).order_by("name")


def agency_tree() -> list[tuple[int, Agency]]:
    """Every agency with its depth, parents before children, siblings by code (for listings)."""
    agencies = list(Agency.objects.select_related("administrative_unit").order_by("code"))
    children: dict[int | None, list[Agency]] = {}
    for agency in agencies:
        children.setdefault(agency.parent_id, []).append(agency)
    rows: list[tuple[int, Agency]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for agency in children.get(parent_id, []):
            rows.append((depth, agency))
            walk(agency.pk, depth + 1)

    walk(None, 0)
    return rows


# ---- calendar ------------------------------------------------------------------------------------
def calendar_default() -> Calendar | None:
    return Calendar.objects.filter(is_default=True).first()


def calendar_overrides(*, calendar: Calendar, year: int | None = None) -> QuerySet[CalendarDay]:
    qs = CalendarDay.objects.filter(calendar=calendar).select_related("updated_by")
    return qs.filter(date__year=year) if year else qs


@dataclass(frozen=True)
class NationalDay:
    date: dt.date
    name: str
    is_day_off: bool


def national_calendar(year: int) -> list[NationalDay]:
    """Public holidays (Labour Code art. 112) and compensatory working days of ``year``, as shipped in
    the ``holidays`` package, with Vietnamese names; shown to admins so they override only what differs."""
    names = holidays.country_holidays("VN", years=year, language="vi")
    days_off, worked = national_days(year)
    rows = [NationalDay(date=day, name=names.get(day, ""), is_day_off=True) for day in days_off]
    rows += [NationalDay(date=day, name=gettext("Ngày làm việc bù"), is_day_off=False) for day in worked]
    return sorted(rows, key=lambda row: row.date)


def user_can_manage_calendar(user: User) -> bool:
    """Agency and province admins keep the calendar (DESIGN.md, "Who uses it"); superusers too."""
    from egov.accounts.choices import Role
    from egov.accounts.selectors import user_agency_ids

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return bool(user_agency_ids(user, [Role.AGENCY_ADMIN, Role.PROVINCE_ADMIN]))
