"""Forms of the public verification page."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp PDF đã ký số"),
        help_text=_("Chọn tệp văn bản hoặc kết quả giải quyết (PDF) cần kiểm tra chữ ký số."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        error_messages={"required": _("Vui lòng chọn tệp PDF cần kiểm tra.")},
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        limit = settings.EGOV_MAX_UPLOAD_BYTES
        if uploaded.size is not None and uploaded.size > limit:
            raise forms.ValidationError(
                _("Tệp quá lớn; tối đa %(limit)s MB.") % {"limit": round(limit / 1048576, 1)},
                code="too_large",
            )
        return uploaded
