"""The calendar page: agency and province admins keep the default calendar's hours and overrides."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import services
from .api import parse_amount, parse_start, parse_unit
from .calendar import LOCAL_TZ, get_calendar
from .choices import TimeUnit
from .errors import DomainError
from .forms import CalendarDayForm, CalendarSettingsForm
from .models import Calendar
from .selectors import calendar_default, calendar_overrides, national_calendar, user_can_manage_calendar

MIN_YEAR, MAX_YEAR = 2000, 2100


def calendar_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not user_can_manage_calendar(request.user):
            return render(
                request,
                "core/forbidden.html",
                {"message": _("Chỉ quản trị cơ quan hoặc quản trị cấp tỉnh được xem và sửa lịch làm việc.")},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapper


def _default_calendar() -> Calendar:
    # The default calendar is a singleton every deadline depends on; the page creates it with the
    # standard hours the first time, as load_demo does.
    return calendar_default() or services.calendar_ensure_default()[0]


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or 0)
    except ValueError:
        year = 0
    return year if MIN_YEAR <= year <= MAX_YEAR else timezone.localdate().year


def _page_url(year: int) -> str:
    return f"{reverse('core:calendar')}?year={year}"


def _trial(request: HttpRequest) -> dict:
    """The "try a deadline" box: the same computation as GET /api/v1/calendar/due."""
    if "try_start" not in request.GET:
        return {}
    values = {key: request.GET.get(f"try_{key}", "") for key in ("start", "amount", "unit")}
    try:
        unit = parse_unit(values["unit"])
        due = get_calendar().due(
            parse_start(values["start"]), parse_amount(values["amount"], unit=unit), unit
        )
    except DomainError as exc:
        return {"values": values, "error": exc.message}
    except (ValueError, OverflowError):
        return {"values": values, "error": _("Thời hạn quá dài để tính theo lịch làm việc hiện tại.")}
    return {"values": values, "due": due.astimezone(LOCAL_TZ)}


@require_GET
@calendar_admin_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    calendar = _default_calendar()
    year = _year(request)
    return _render_page(request, calendar=calendar, year=year)


def _render_page(
    request: HttpRequest,
    *,
    calendar: Calendar,
    year: int,
    settings_form: CalendarSettingsForm | None = None,
    day_form: CalendarDayForm | None = None,
    status: int = 200,
) -> HttpResponse:
    working = get_calendar(calendar.pk)
    context = {
        "calendar": calendar,
        "year": year,
        "previous_year": year - 1 if year > MIN_YEAR else None,
        "next_year": year + 1 if year < MAX_YEAR else None,
        "settings_form": settings_form or CalendarSettingsForm(instance=calendar),
        "day_form": day_form or CalendarDayForm(),
        "overrides": calendar_overrides(calendar=calendar, year=year),
        "national_days": national_calendar(year) if calendar.use_national_holidays else [],
        "working_days_in_year": sum(
            1
            for offset in range((dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days)
            if working.is_working_day(dt.date(year, 1, 1) + dt.timedelta(days=offset))
        ),
        "trial": _trial(request),
        "units": TimeUnit.choices,
    }
    return render(request, "core/calendar.html", context, status=status)


@require_POST
@calendar_admin_required
def calendar_settings_update(request: HttpRequest) -> HttpResponse:
    calendar = _default_calendar()
    year = _year(request)
    form = CalendarSettingsForm(request.POST, instance=Calendar.objects.get(pk=calendar.pk))
    if not form.is_valid():
        return _render_page(request, calendar=calendar, year=year, settings_form=form, status=400)
    try:
        services.calendar_update(calendar=calendar, actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _render_page(request, calendar=calendar, year=year, settings_form=form, status=400)
    messages.success(request, _("Đã lưu giờ làm việc."))
    return redirect(_page_url(year))


@require_POST
@calendar_admin_required
def calendar_day_save(request: HttpRequest) -> HttpResponse:
    calendar = _default_calendar()
    form = CalendarDayForm(request.POST)
    year = _year(request)
    if not form.is_valid():
        return _render_page(request, calendar=calendar, year=year, day_form=form, status=400)
    day = form.cleaned_data["date"]
    try:
        services.calendar_day_set(
            calendar=calendar,
            date=day,
            kind=form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _render_page(request, calendar=calendar, year=year, day_form=form, status=400)
    messages.success(request, _("Đã lưu ngày %(date)s.") % {"date": f"{day:%d/%m/%Y}"})
    return redirect(_page_url(day.year))


@require_POST
@calendar_admin_required
def calendar_day_delete(request: HttpRequest, date: str) -> HttpResponse:
    calendar = _default_calendar()
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        messages.error(request, _("Ngày không hợp lệ."))
        return redirect(_page_url(_year(request)))
    try:
        services.calendar_day_clear(calendar=calendar, date=day, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã bỏ điều chỉnh ngày %(date)s.") % {"date": f"{day:%d/%m/%Y}"})
    return redirect(_page_url(day.year))
