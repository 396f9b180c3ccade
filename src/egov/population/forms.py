"""Forms of the population registry pages."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from .services import DOSSIER_CODE_MAX, PURPOSE_MAX


class PersonLookupForm(forms.Form):
    """An officer's look-up: the ID number and, always, why (Decree 13/2023/NĐ-CP art. 3)."""

    id_number = forms.CharField(
        label=_("Số định danh cá nhân"),
        min_length=12,
        max_length=12,
        validators=[RegexValidator(r"^[0-9]{12}$", _("Số định danh cá nhân gồm đúng 12 chữ số."))],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{12}"}),
    )
    purpose = forms.CharField(
        label=_("Mục đích tra cứu"),
        max_length=PURPOSE_MAX,
        help_text=_("Bắt buộc. Công dân xem được ai đã tra cứu thông tin của mình và vì sao."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    dossier_code = forms.CharField(
        label=_("Mã hồ sơ liên quan"),
        max_length=DOSSIER_CODE_MAX,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_purpose(self) -> str:
        purpose = self.cleaned_data["purpose"].strip()
        if not purpose:
            raise forms.ValidationError(_("Phải nêu mục đích tra cứu."))
        return purpose
