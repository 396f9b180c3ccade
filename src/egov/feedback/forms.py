"""The satisfaction form: two scores on a five-point scale and an optional comment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import COMMENT_MAX

SCORE_CHOICES = [
    (5, _("5 – Rất hài lòng")),
    (4, _("4 – Hài lòng")),
    (3, _("3 – Bình thường")),
    (2, _("2 – Không hài lòng")),
    (1, _("1 – Rất không hài lòng")),
]


class SatisfactionForm(forms.Form):
    service_score = forms.TypedChoiceField(
        label=_("Mức độ hài lòng về việc giải quyết hồ sơ"),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Vui lòng chọn mức độ hài lòng về việc giải quyết hồ sơ.")},
    )
    officer_score = forms.TypedChoiceField(
        label=_("Mức độ hài lòng về cán bộ tiếp nhận, trả kết quả"),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Vui lòng chọn mức độ hài lòng về cán bộ.")},
    )
    comment = forms.CharField(
        label=_("Góp ý (không bắt buộc)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Điều gì làm bạn hài lòng hoặc chưa hài lòng? Không ghi thông tin cá nhân."),
    )
