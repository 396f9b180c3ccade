"""Forms for the calendar page (agency and province admins)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import CalendarDayKind
from .models import Calendar


class CalendarSettingsForm(forms.ModelForm):
    """Working hours, reception cut-off and the Saturday-morning policy of a calendar."""

    class Meta:
        model = Calendar
        fields = [
            "morning_start",
            "morning_end",
            "afternoon_start",
            "afternoon_end",
            "cutoff",
            "saturday_morning",
            "use_national_holidays",
        ]
        widgets = {
            name: forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            for name in ("morning_start", "morning_end", "afternoon_start", "afternoon_end", "cutoff")
        }


class CalendarDayForm(forms.Form):
    """An override: an extra day off, a compensatory working day or a Saturday morning worked."""

    date = forms.DateField(label=_("Ngày"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    kind = forms.ChoiceField(label=_("Loại"), choices=CalendarDayKind.choices)
    note = forms.CharField(
        label=_("Căn cứ, ghi chú"),
        max_length=255,
        help_text=_("Số, ký hiệu và ngày của văn bản quyết định ngày nghỉ hoặc ngày làm bù."),
    )
