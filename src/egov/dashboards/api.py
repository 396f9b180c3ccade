"""``/api/v1/stats``: the published per-agency statistics (public, read only)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema

from .forms import period_from_query
from .selectors import agency_stats

router = Router(tags=["stats"])


class AgencyStatsOut(Schema):
    agency_code: str
    agency_name: str
    received: int
    received_online: int
    online_share: float | None
    finished: int
    finished_early: int
    finished_on_time: int
    finished_late: int
    on_time_share: float | None
    in_progress: int
    overdue: int
    avg_time_share: float | None
    rescheduled: int
    refused: int
    withdrawn: int
    procedures_with_online: int
    satisfaction_avg: float | None
    satisfaction_count: int


class AgencyStatsList(Schema):
    items: list[AgencyStatsOut]
    count: int


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


@router.get(
    "/agencies",
    response={200: AgencyStatsList, 400: ErrorOut},
    summary="Per-agency counts and ratios for a period",
)
def agencies(
    request: HttpRequest,
    date_from: str | None = Query(
        None, alias="from", description="YYYY-MM-DD; default 1 January of this year"
    ),
    date_to: str | None = Query(None, alias="to", description="YYYY-MM-DD (included); default 31 December"),
    limit: int | None = Query(None, ge=1, le=1000),
    offset: int = Query(0, ge=0),
):
    """Received, finished early / on time / late, in progress and overdue at the end of the period,
    online share, average time used as a share of the statutory time (fractions 0-1), rescheduled,
    refused, withdrawn, procedures with at least one online dossier, and the mean satisfaction score
    (1-5) with the number of ratings given in the period. Malformed or reversed dates
    answer 400 ``validation_error``."""
    start, end = period_from_query({"from": date_from, "to": date_to})
    rows = agency_stats(date_from=start, date_to=end)
    page = rows[offset : offset + limit if limit is not None else None]
    return {"items": page, "count": len(rows)}
