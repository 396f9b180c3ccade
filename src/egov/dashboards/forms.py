"""The statistics period: ``?from=YYYY-MM-DD&to=YYYY-MM-DD``, by default the current year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.errors import ValidationFailed

from .selectors import default_period

# Long enough for a multi-year trend, short enough that one request cannot scan the whole history.
MAX_PERIOD_DAYS = 5 * 366


class PeriodForm(forms.Form):
    """``from`` and ``to`` are Python keywords, so the fields are added by name in ``__init__``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = forms.DateField(
            label=_("Từ ngày"), required=False, input_formats=["%Y-%m-%d"], widget=date_input
        )
        self.fields["to"] = forms.DateField(
            label=_("Đến ngày"), required=False, input_formats=["%Y-%m-%d"], widget=date_input
        )
        for name in ("from", "to"):
            self.fields[name].error_messages["invalid"] = _("Ngày phải có dạng YYYY-MM-DD, ví dụ 2025-07-14.")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        default_from, default_to = default_period()
        date_from = cleaned.get("from") or default_from
        date_to = cleaned.get("to") or default_to
        if date_from > date_to:
            raise forms.ValidationError(
                gettext("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc."), code="reversed"
            )
        if (date_to - date_from).days > MAX_PERIOD_DAYS:
            raise forms.ValidationError(
                gettext("Khoảng thời gian thống kê tối đa là 5 năm."), code="too_long"
            )
        cleaned["from"], cleaned["to"] = date_from, date_to
        return cleaned

    def period(self) -> tuple[dt.date, dt.date]:
        return self.cleaned_data["from"], self.cleaned_data["to"]

    def first_error(self) -> str:
        for field, errors in self.errors.items():
            label = self.fields[field].label if field in self.fields else ""
            return f"{label}: {errors[0]}" if label else str(errors[0])
        return ""


def period_from_query(params: Mapping[str, str | None]) -> tuple[dt.date, dt.date]:
    """Parse ``from``/``to`` (empty means the current year); raises ``ValidationFailed`` in Vietnamese."""
    data = {key: params.get(key) or "" for key in ("from", "to")}
    form = PeriodForm(data=data)
    if not form.is_valid():
        field = next(iter(form.errors), None)
        raise ValidationFailed(form.first_error(), field=None if field == "__all__" else field)
    return form.period()
