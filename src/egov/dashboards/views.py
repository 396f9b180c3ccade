"""Public pages of the published statistics (no sign-in: these are the on-time figures the province publishes)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from egov.core.errors import DomainError

from .exports import stats_xlsx
from .forms import PeriodForm, period_from_query
from .selectors import agency_stats, default_period, stats_totals


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100


def _display(row: dict) -> dict:
    return {
        **row,
        "online_pct": _percent(row["online_share"]),
        "on_time_pct": _percent(row["on_time_share"]),
        "avg_time_pct": _percent(row["avg_time_share"]),
    }


@require_GET
def agency_stats_page(request: HttpRequest) -> HttpResponse:
    """``/stats/``: the per-agency table for a period (default: the current year)."""
    form = PeriodForm(data=request.GET if request.GET else None)
    if request.GET and not form.is_valid():
        return render(
            request, "dashboards/agency_stats.html", {"form": form, "error": form.first_error()}, status=400
        )
    date_from, date_to = form.period() if request.GET else default_period()
    if not request.GET:
        form = PeriodForm(initial={"from": date_from, "to": date_to})
    rows = agency_stats(date_from=date_from, date_to=date_to)
    totals = stats_totals(rows, date_from=date_from, date_to=date_to)
    context = {
        "form": form,
        "date_from": date_from,
        "date_to": date_to,
        "rows": [_display(r) for r in rows],
        "totals": _display(totals),
        "export_query": f"from={date_from:%Y-%m-%d}&to={date_to:%Y-%m-%d}",
    }
    return render(request, "dashboards/agency_stats.html", context)


@require_GET
def agency_stats_export(request: HttpRequest) -> HttpResponse:
    """``/stats/export.xlsx?from=&to=``: the same table as a spreadsheet."""
    try:
        date_from, date_to = period_from_query(request.GET)
    except DomainError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    rows = agency_stats(date_from=date_from, date_to=date_to)
    totals = stats_totals(rows, date_from=date_from, date_to=date_to)
    data = stats_xlsx(rows=rows, totals=totals, date_from=date_from, date_to=date_to)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"thong-ke-{date_from:%Y%m%d}-{date_to:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
