"""The citizen portal's own table: drafts of e-forms (lưu nháp), so a long form can be finished later."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FormDraft(models.Model):
    """What an applicant has typed so far into a procedure's e-form; one draft per applicant and procedure.

    ``data`` holds ``{"form": {...}, "applicant": {...}, "return_method": "..."}`` as typed (not validated);
    attached files are not kept. The draft is deleted when the dossier is submitted.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nộp"),
        on_delete=models.CASCADE,
        related_name="form_drafts",
    )
    procedure = models.ForeignKey(
        "catalog.Procedure", verbose_name=_("thủ tục"), on_delete=models.CASCADE, related_name="form_drafts"
    )
    agency = models.ForeignKey(
        "core.Agency",
        verbose_name=_("cơ quan tiếp nhận"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    data = models.JSONField(_("nội dung đã nhập"), default=dict, blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("lưu lúc"), auto_now=True)

    class Meta:
        verbose_name = _("bản nháp tờ khai")
        verbose_name_plural = _("bản nháp tờ khai")
        constraints = [models.UniqueConstraint(fields=["user", "procedure"], name="one_draft_per_procedure")]

    def __str__(self) -> str:
        return f"{self.user_id} / {self.procedure_id}"
