"""Counter-assisted submission (hỗ trợ nộp hồ sơ trực tuyến tại quầy): an officer at a commune kiosk
submits a dossier online on a citizen's behalf, with the citizen's consent on record.

Why: seed 003 (Hà Nội, 2016) names the gap this closes: many households have no device or no habit of
online services, so "tại các cơ quan hành chính phải sẵn sàng ... cán bộ hướng dẫn nhân dân khai báo
thông tin tại chỗ". The dossier is an online one (channel ``assisted``, counted in the online share), the
citizen stays its applicant (their account, if linked to the registry, sees it in "Hồ sơ của tôi"), and
the consent is recorded with the version of the text the citizen agreed to and how they agreed: a signed
paper, a verbal agreement before a witness, or an OTP sent to their own phone and read back (Decree
13/2023/NĐ-CP on personal data: processing with the data subject's consent; article not checked here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.accounts.choices import Role
from egov.accounts.selectors import user_has_role
from egov.core.errors import PermissionDenied, ValidationFailed

from .choices import Channel, ReturnMethod
from .models import AssistedConsent, ConsentMethod, Dossier
from .services import ApplicantInput, DocumentInput, dossier_submit

# Bump when the consent text (portal/citizen/_consent_text.html) changes: each consent row keeps the
# version the citizen agreed to.
CONSENT_TEXT_VERSION = "2026.1"


@dataclass
class ConsentInput:
    given: bool
    method: str
    witness_name: str = ""
    phone: str = ""
    otp_code_id: int | None = None


def _validated_consent(consent: ConsentInput, *, officer):
    if not consent.given:
        raise ValidationFailed(
            _("Cần xác nhận công dân đã đọc và đồng ý với nội dung ủy quyền nộp hồ sơ."),
            field="consent_given",
        )
    if consent.method not in ConsentMethod.values:
        raise ValidationFailed(_("Hãy chọn cách công dân thể hiện sự đồng ý."), field="consent_method")
    witness = (consent.witness_name or "").strip()
    if consent.method == ConsentMethod.VERBAL_WITNESSED and not witness:
        raise ValidationFailed(
            _("Đồng ý bằng lời cần có người làm chứng: hãy ghi họ tên người làm chứng."), field="witness_name"
        )
    otp = None
    if consent.method == ConsentMethod.OTP:
        from egov.accounts.citizen import consent_code_usable

        otp = consent_code_usable(officer=officer, code_id=consent.otp_code_id, phone=consent.phone)
        if otp is None:
            raise ValidationFailed(
                _("Chưa xác nhận mã OTP công dân nhận được trên điện thoại."),
                field="otp_code",
                code="otp_required",
            )
    return witness, otp


@transaction.atomic
def dossier_submit_assisted(
    *,
    offering,
    officer,
    applicant: ApplicantInput,
    documents: Sequence[DocumentInput],
    consent: ConsentInput,
    return_method: str = ReturnMethod.COUNTER,
    subject: str = "",
    set_count: int = 1,
    form_data: dict | None = None,
) -> Dossier:
    """Submit online for a citizen at the counter, with their consent recorded in the same transaction.

    Only an officer holding the reception role at the offering's agency may do it. The applicant's
    account is the one verified to be the registry person with that ID number, whatever the form says.
    """
    from egov.accounts.citizen import citizen_account_for_id_number
    from egov.population.ids import id_number_problem

    if (
        officer is None
        or not getattr(officer, "is_authenticated", False)
        or not user_has_role(officer, offering.agency_id, Role.RECEPTION)
    ):
        raise PermissionDenied(_("Chỉ cán bộ một cửa của cơ quan mới được hỗ trợ nộp hồ sơ thủ tục này."))
    id_number = (applicant.id_number or "").strip()
    problem = id_number_problem(id_number)
    if problem:
        raise ValidationFailed(problem, field="applicant_id_number")
    witness, otp = _validated_consent(consent, officer=officer)
    applicant.id_number = id_number
    applicant.user = citizen_account_for_id_number(id_number)
    dossier = dossier_submit(
        offering=offering,
        applicant=applicant,
        documents=documents,
        actor=officer,
        channel=Channel.ASSISTED,
        return_method=return_method,
        subject=subject,
        form_data=form_data,
        set_count=set_count,
    )
    AssistedConsent.objects.create(
        dossier=dossier,
        officer=officer,
        citizen_name=dossier.applicant_name,
        citizen_id_number=id_number,
        text_version=CONSENT_TEXT_VERSION,
        method=consent.method,
        witness_name=witness if consent.method == ConsentMethod.VERBAL_WITNESSED else "",
        phone=otp.destination if otp is not None else "",
        otp_code=otp,
        recorded_at=timezone.now(),
    )
    return dossier
