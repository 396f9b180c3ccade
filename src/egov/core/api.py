"""Calendar API (``/api/v1/calendar``): when does a period end, for the default calendar (DESIGN.md contract)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from .calendar import LOCAL_TZ, get_calendar
from .choices import TimeUnit
from .errors import ValidationFailed

router = Router(tags=["calendar"])

MAX_AMOUNT = Decimal(3650)
# Deadlines outside this range are not administrative periods and would overflow the date arithmetic.
MIN_YEAR, MAX_YEAR = 1900, 2200
# "+07:00" in an unencoded query string arrives as " 07:00" (a "+" means a space in a URL query).
_PLUS_DECODED_AS_SPACE = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)$"
)


class DueOut(Schema):
    due: str


class ErrorDetail(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorDetail


def parse_start(raw: str | None) -> dt.datetime:
    """ISO 8601 date-time; naive means Asia/Ho_Chi_Minh, ``Z`` and offsets are honoured."""
    text = (raw or "").strip()
    if not text:
        raise ValidationFailed(
            _("Thiếu thời điểm bắt đầu (start), ví dụ 2026-02-13T14:30:00+07:00."), field="start"
        )
    text = _PLUS_DECODED_AS_SPACE.sub(r"\1+\2", text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            _("Thời điểm bắt đầu (start) không đúng định dạng ISO 8601, ví dụ 2026-02-13T14:30:00+07:00."),
            field="start",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    if not MIN_YEAR <= moment.astimezone(LOCAL_TZ).year <= MAX_YEAR:
        raise ValidationFailed(
            _("Thời điểm bắt đầu (start) phải trong khoảng năm %(min)s đến %(max)s.")
            % {"min": MIN_YEAR, "max": MAX_YEAR},
            field="start",
        )
    return moment


def parse_amount(raw: str | None, *, unit: str) -> Decimal:
    """A non-negative number up to 3650 (ten years); optional for ``same_day``."""
    text = (raw or "").strip()
    if not text:
        if unit == TimeUnit.SAME_DAY:
            return Decimal(0)
        raise ValidationFailed(_("Thiếu thời hạn (amount)."), field="amount")
    try:
        amount = Decimal(text) if len(text) <= 32 else Decimal("NaN")
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise ValidationFailed(_("Thời hạn (amount) phải là một số, ví dụ 5 hoặc 0.5."), field="amount")
    if amount < 0:
        raise ValidationFailed(_("Thời hạn (amount) không được âm."), field="amount")
    if amount > MAX_AMOUNT:
        raise ValidationFailed(
            _("Thời hạn (amount) không được lớn hơn %(max)s.") % {"max": MAX_AMOUNT}, field="amount"
        )
    return amount


def parse_unit(raw: str | None) -> str:
    unit = (raw or "").strip()
    if unit not in TimeUnit.values:
        raise ValidationFailed(
            _("Đơn vị thời hạn (unit) phải là một trong: %(units)s.") % {"units": ", ".join(TimeUnit.values)},
            field="unit",
        )
    return unit


def format_due(moment: dt.datetime) -> str:
    """ISO 8601 with the +07:00 offset, whole seconds, never earlier than the exact instant."""
    local = moment.astimezone(LOCAL_TZ)
    if local.microsecond:
        local = local.replace(microsecond=0) + dt.timedelta(seconds=1)
    return local.isoformat(timespec="seconds")


@router.get(
    "/due",
    response={200: DueOut, 400: ErrorOut},
    summary="Hạn giải quyết",
    description=(
        "Thời điểm kết thúc của một thời hạn tính theo lịch làm việc mặc định: ngày làm việc (working_days), "
        "ngày (days, Bộ luật Dân sự điều 147-148), giờ làm việc (working_hours) hoặc trong ngày (same_day). "
        "Hồ sơ nhận sau giờ chốt (mặc định 15:00) hoặc vào ngày nghỉ được tính từ ngày làm việc tiếp theo "
        "(Nghị định 61/2018, Điều 18). Tham số start, amount, unit là bắt buộc (amount có thể bỏ qua khi "
        "unit=same_day)."
    ),
)
def due(
    request: HttpRequest,
    start: str | None = Query(
        None, description="ISO 8601; không có múi giờ thì hiểu là giờ Việt Nam (+07:00)"
    ),
    amount: str | None = Query(None, description="Số không âm, tối đa 3650; có thể là số thập phân (0.5)"),
    unit: str | None = Query(None, description="working_days | days | working_hours | same_day"),
):
    unit_value = parse_unit(unit)
    moment = parse_start(start)
    quantity = parse_amount(amount, unit=unit_value)
    try:
        result = get_calendar().due(moment, quantity, unit_value)
    except (ValueError, OverflowError):
        # Only a period too long for the calendar gets here: the inputs were checked above.
        raise ValidationFailed(
            _("Thời hạn quá dài để tính theo lịch làm việc hiện tại."), field="amount"
        ) from None
    return {"due": format_due(result)}
