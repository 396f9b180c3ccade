"""The citizen's pages (egov.portal.citizen) through the Django test client: sign-up, sign-in, password
reset, registry link, business profile, "Hồ sơ của tôi" (supplement, withdrawal, result, fee), the vault,
and the officers' counter-assisted submission."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from egov.accounts.choices import Role, UserKind
from egov.accounts.models import BusinessProfile, CitizenLinkAttempt, User, VerificationCode
from egov.dossiers import services as svc
from egov.dossiers.choices import Channel, DocumentOrigin, DossierStatus
from egov.dossiers.models import AssistedConsent, Dossier, DossierDocument, VaultItem
from egov.notifications.models import OutboundEmail, OutboundSms
from egov.population.choices import Ethnicity, Sex
from egov.population.ids import century_digit
from egov.population.models import CitizenLink, Person, PersonAccessLog
from egov.population.names import search_key
from egov.testing.factories import UserFactory, officer

pytestmark = pytest.mark.django_db

PASSWORD = "Hoa-sen-nở-2026"
CITIZEN_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "egov.accounts.citizen.CitizenBackend",
    "django.contrib.auth.backends.ModelBackend",
]


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    # The AUTHENTICATION_BACKENDS this work asks for in settings.py; files in a throw-away media root.
    settings.AUTHENTICATION_BACKENDS = CITIZEN_BACKENDS
    settings.MEDIA_ROOT = tmp_path


# ---- helpers -------------------------------------------------------------------------------------------------


def pdf_bytes(text: str = "giay to") -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def last_code(to: str) -> str:
    email = OutboundEmail.objects.filter(to=to).order_by("-id").first()
    sms = OutboundSms.objects.filter(to=to).order_by("-id").first()
    return re.search(r"\b(\d{6})\b", (email or sms).body).group(1)


def body(response) -> str:
    return response.content.decode()


_serial = iter(range(500, 10**6))


def person(full_name: str, dob: dt.date, sex: str = Sex.MALE, **fields) -> Person:
    return Person.objects.create(
        id_number=f"025{century_digit(year=dob.year, sex=sex)}{dob.year % 100:02d}{next(_serial):06d}",
        full_name=full_name,
        full_name_search=search_key(full_name),
        date_of_birth=dob,
        sex=sex,
        ethnicity=Ethnicity.KINH,
        permanent_residence_address="Số 5 đường Hùng Vương",
        **fields,
    )


def family() -> Person:
    father = person("Nguyễn Văn Hùng", dt.date(1965, 3, 2))
    mother = person("Trần Thị Hoa", dt.date(1968, 7, 9), Sex.FEMALE)
    return person("Nguyễn Minh An", dt.date(1992, 11, 20), father=father, mother=mother)


def citizen(username: str = "an@example.vn", **fields) -> User:
    fields.setdefault("email", username if "@" in username else "")
    return UserFactory(username=username, kind=UserKind.CITIZEN, password=PASSWORD, **fields)


def papers(office, text: str = "ban quet") -> list[svc.DocumentInput]:
    return [
        svc.DocumentInput(
            required_document_id=r.pk, file=SimpleUploadedFile(f"{r.pk}.pdf", pdf_bytes(f"{text}{r.pk}"))
        )
        for r in office.offering.procedure.required_documents.filter(mandatory=True)
    ]


def submit(office, user, **kwargs) -> Dossier:
    return svc.dossier_submit(
        offering=office.offering,
        applicant=svc.ApplicantInput(name=user.display_name, email=user.email, user=user),
        documents=papers(office),
        actor=user,
        **kwargs,
    )


def to_result(office, dossier, result: bytes) -> Dossier:
    svc.dossier_receive(dossier=dossier, actor=office.reception, next_assignee=office.specialist)
    svc.dossier_complete_step(dossier=dossier, actor=office.specialist, next_assignee=office.leader)
    svc.dossier_approve(dossier=dossier, actor=office.leader)
    return svc.dossier_mark_result_ready(
        dossier=dossier, actor=office.reception, result_file=SimpleUploadedFile("kq.pdf", result)
    )


# ---- sign-up, sign-in, password reset --------------------------------------------------------------------------


def test_sign_up_by_email_through_the_pages(client):
    # GIVEN the sign-up page
    page = client.get(reverse("citizen:sign_up"))
    assert page.status_code == 200 and 'data-testid="sign-up-form"' in body(page)
    # WHEN a person signs up with an e-mail address
    response = client.post(
        reverse("citizen:sign_up"),
        {
            "identifier": "An@Example.vn",
            "full_name": "Nguyễn Minh An",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    # THEN they are asked for the code sent to their (masked) address
    assert response.status_code == 302 and response["Location"] == reverse("citizen:sign_up_verify")
    verify = client.get(response["Location"])
    assert "an***@example.vn" in body(verify)
    # WHEN they type the code from the e-mail
    done = client.post(reverse("citizen:sign_up_verify"), {"code": last_code("an@example.vn")})
    # THEN the account is active, they are signed in, and invited to link their ID number
    assert done.status_code == 302 and done["Location"] == reverse("citizen:account")
    account = client.get(done["Location"])
    assert account.status_code == 200
    assert "Đã kích hoạt tài khoản" in body(account) and 'data-testid="to-link"' in body(account)
    assert User.objects.get(username="an@example.vn").is_active


def test_sign_up_by_phone_with_a_wrong_code_then_the_right_one(client):
    client.post(
        reverse("citizen:sign_up"),
        {
            "identifier": "0912 345 678",
            "full_name": "Lê Thị Mai",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    code = last_code("0912345678")
    wrong = client.post(
        reverse("citizen:sign_up_verify"), {"code": "000000" if code != "000000" else "111111"}
    )
    assert wrong.status_code == 400 and "Mã xác thực không đúng. Còn 4 lần thử." in body(wrong)
    right = client.post(reverse("citizen:sign_up_verify"), {"code": code})
    assert right.status_code == 302
    assert client.get(reverse("citizen:dossiers")).status_code == 200


def test_sign_up_errors_are_shown_next_to_the_fields(client):
    response = client.post(
        reverse("citizen:sign_up"),
        {"identifier": "abc", "full_name": "Lê Thị Mai", "password1": PASSWORD, "password2": "khac"},
    )
    assert response.status_code == 400
    assert "Hai mật khẩu không giống nhau." in body(response)
    weak = client.post(
        reverse("citizen:sign_up"),
        {
            "identifier": "mai@example.vn",
            "full_name": "Lê Thị Mai",
            "password1": "12345678",
            "password2": "12345678",
        },
    )
    assert weak.status_code == 400 and 'data-testid="error-summary"' in body(weak)
    assert not User.objects.exists()


def test_a_code_is_useless_in_another_browser(client, django_user_model):
    from django.test import Client

    client.post(
        reverse("citizen:sign_up"),
        {
            "identifier": "an@example.vn",
            "full_name": "Nguyễn Minh An",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    other = Client()
    response = other.post(reverse("citizen:sign_up_verify"), {"code": last_code("an@example.vn")})
    assert response.status_code == 302 and response["Location"] == reverse("citizen:sign_up")
    assert not django_user_model.objects.get(username="an@example.vn").is_active


def test_resend_code_from_the_page(client):
    client.post(
        reverse("citizen:sign_up"),
        {
            "identifier": "an@example.vn",
            "full_name": "Nguyễn Minh An",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    too_soon = client.post(reverse("citizen:resend_code", kwargs={"purpose": "sign_up"}), follow=True)
    assert "Vui lòng đợi" in body(too_soon)
    VerificationCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    again = client.post(reverse("citizen:resend_code", kwargs={"purpose": "sign_up"}), follow=True)
    assert "Đã gửi mã xác thực mới." in body(again)
    assert OutboundEmail.objects.filter(to="an@example.vn").count() == 2
    assert (
        client.post(reverse("citizen:sign_up_verify"), {"code": last_code("an@example.vn")}).status_code
        == 302
    )


def test_log_in_by_phone_or_email_and_log_out(client, office):
    citizen("0912345678", phone="0912345678", email="mai@example.vn")
    for typed in ("+84 912 345 678", "mai@example.vn"):
        response = client.post(reverse("citizen:login"), {"username": typed, "password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == reverse("citizen:dossiers")
        client.post(reverse("accounts:logout"))
    # Officers may use the same page with their user name and land on their worklist
    response = client.post(
        reverse("citizen:login"), {"username": "motcua", "password": "matkhau-Thu-nghiem-1"}
    )
    assert response["Location"] == reverse("dossiers:worklist")
    logout = client.post(reverse("accounts:logout"))
    assert logout.status_code == 302 and client.get(reverse("citizen:dossiers")).status_code == 302


def test_wrong_password_says_so_without_telling_which(client):
    citizen("mai@example.vn")
    response = client.post(reverse("citizen:login"), {"username": "mai@example.vn", "password": "sai"})
    assert response.status_code == 200
    assert "Thư điện tử, số điện thoại hoặc mật khẩu không đúng" in body(response)


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=2)
def test_log_in_is_throttled_by_axes_whatever_the_spelling(client):
    # GIVEN two failures typed two ways for the same phone number
    citizen("0912345678", phone="0912345678")
    for typed in ("0912 345 678", "+84912345678"):
        client.post(reverse("citizen:login"), {"username": typed, "password": "sai"})
    # WHEN the right password comes, typed a third way
    response = client.post(reverse("citizen:login"), {"username": "0912.345.678", "password": PASSWORD})
    # THEN the account is locked out, in Vietnamese, and not signed in
    assert response.status_code == 429
    assert "Tài khoản tạm bị khóa do đăng nhập sai quá 2 lần" in body(response)
    assert client.get(reverse("citizen:dossiers")).status_code == 302


def test_password_reset_through_the_pages(client):
    citizen("mai@example.vn")
    start = client.post(reverse("citizen:password_reset"), {"identifier": "MAI@example.vn"})
    assert start.status_code == 302 and start["Location"] == reverse("citizen:password_reset_confirm")
    page = client.get(start["Location"])
    assert "ma***@example.vn" in body(page)
    done = client.post(
        reverse("citizen:password_reset_confirm"),
        {
            "code": last_code("mai@example.vn"),
            "password1": "Mat-khau-moi-2026",
            "password2": "Mat-khau-moi-2026",
        },
    )
    assert done.status_code == 302 and done["Location"] == reverse("citizen:login")
    login = client.post(
        reverse("citizen:login"), {"username": "mai@example.vn", "password": "Mat-khau-moi-2026"}
    )
    assert login.status_code == 302


def test_password_reset_for_an_unknown_address_looks_the_same(client):
    response = client.post(
        reverse("citizen:password_reset"), {"identifier": "khong-co@example.vn"}, follow=True
    )
    assert "Nếu thông tin trên đúng với một tài khoản" in body(response)
    assert not OutboundEmail.objects.exists()


# ---- registry link and business profile ---------------------------------------------------------------------


def test_link_page_refuses_without_saying_which_answer_was_wrong_then_links(client):
    an = family()
    client.force_login(citizen())
    wrong_dob = client.post(
        reverse("citizen:link"),
        {"id_number": an.id_number, "date_of_birth": "1992-11-21", "parent_name": "Trần Thị Hoa"},
    )
    wrong_parent = client.post(
        reverse("citizen:link"),
        {"id_number": an.id_number, "date_of_birth": "20/11/1992", "parent_name": "Trần Thị Lan"},
    )
    for response in (wrong_dob, wrong_parent):
        assert response.status_code == 400
        text = body(response)
        assert "Thông tin không khớp với Cơ sở dữ liệu quốc gia về dân cư." in text
        assert 'class="field__error"' not in text  # no field is singled out
    assert "Còn 4 lần thử" in body(wrong_dob) and "Còn 3 lần thử" in body(wrong_parent)
    ok = client.post(
        reverse("citizen:link"),
        {"id_number": an.id_number, "date_of_birth": "1992-11-20", "parent_name": "nguyen van hung"},
    )
    assert ok.status_code == 302
    account = client.get(reverse("citizen:account"))
    assert 'data-linked="1"' in body(account) and an.id_number in body(account)
    assert CitizenLink.objects.filter(person=an, verified_at__isnull=False).count() == 1
    assert CitizenLinkAttempt.objects.count() == 3


def test_link_page_locks_after_five_failures(client):
    an = family()
    client.force_login(citizen())
    wrong = {"id_number": an.id_number, "date_of_birth": "1990-01-01", "parent_name": "Ai Đó"}
    for _ in range(5):
        client.post(reverse("citizen:link"), wrong)
    right = {"id_number": an.id_number, "date_of_birth": "1992-11-20", "parent_name": "Trần Thị Hoa"}
    locked = client.post(reverse("citizen:link"), right)
    assert locked.status_code == 429 and "thử lại sau 15 phút" in body(locked)
    assert not CitizenLink.objects.exists()


def test_business_profile_page(client):
    client.force_login(citizen("ketoan@congty.vn"))
    bad = client.post(
        reverse("citizen:business"),
        {
            "tax_code": "0100233480",
            "name": "Công ty A",
            "address": "Việt Trì",
            "legal_representative": "Lê Văn A",
        },
    )
    assert bad.status_code == 400 and "chữ số kiểm tra không khớp" in body(bad)
    ok = client.post(
        reverse("citizen:business"),
        {
            "tax_code": "0100 233 488",
            "name": "Công ty A",
            "address": "Việt Trì",
            "legal_representative": "Lê Văn A",
        },
    )
    assert ok.status_code == 302
    assert BusinessProfile.objects.get().tax_code == "0100233488"
    assert 'data-testid="tax-code">0100233488<' in body(client.get(reverse("citizen:account")))


# ---- Hồ sơ của tôi ------------------------------------------------------------------------------------------


def test_my_dossiers_shows_only_my_own_and_another_citizen_gets_404(client, office):
    mine_user, other_user = citizen("an@example.vn"), citizen("binh@example.vn")
    mine, theirs = submit(office, mine_user), submit(office, other_user)
    client.force_login(mine_user)
    listing = client.get(reverse("citizen:dossiers"))
    assert listing.status_code == 200
    assert mine.code in body(listing) and theirs.code not in body(listing)
    assert 'data-testid="citizen-nav-notifications"' in body(listing)
    detail = client.get(reverse("citizen:dossier", kwargs={"code": mine.code}))
    assert detail.status_code == 200 and 'data-action="submit"' in body(detail)
    for name in ("citizen:dossier", "citizen:supplement"):
        assert client.get(reverse(name, kwargs={"code": theirs.code})).status_code == 404
    assert (
        client.post(reverse("citizen:withdraw", kwargs={"code": theirs.code}), {"reason": "x"}).status_code
        == 404
    )
    doc = theirs.documents.first()
    assert (
        client.get(reverse("citizen:result", kwargs={"code": theirs.code, "pk": doc.pk})).status_code == 404
    )
    theirs.refresh_from_db()
    assert theirs.status == DossierStatus.SUBMITTED


def test_anonymous_visitors_are_sent_to_the_citizen_login(client):
    response = client.get(reverse("citizen:dossiers"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("citizen:login"))


def test_timeline_shows_the_reasons_given_to_the_applicant_but_not_officers_notes(client, office):
    user = citizen()
    dossier = submit(office, user)
    svc.dossier_receive(dossier=dossier, actor=office.reception, next_assignee=office.specialist)
    svc.dossier_complete_step(
        dossier=dossier, actor=office.specialist, note="Ghi chú nội bộ", next_assignee=office.leader
    )
    svc.dossier_deny(dossier=dossier, actor=office.leader, reason="Không đủ điều kiện theo quy định")
    client.force_login(user)
    text = body(client.get(reverse("citizen:dossier", kwargs={"code": dossier.code})))
    assert "Không đủ điều kiện theo quy định" in text
    assert "Ghi chú nội bộ" not in text
    assert text.count('data-testid="timeline-step"') == 4


def test_unpaid_fee_links_to_the_payment_page(client, office):
    office.offering.fee_online = 10000
    office.offering.save(update_fields=["fee_online"])
    user = citizen()
    dossier = submit(office, user)
    client.force_login(user)
    pay_url = reverse("payments:dossier", kwargs={"code": dossier.code})
    assert f'href="{pay_url}" data-testid="todo-pay"' in body(client.get(reverse("citizen:dossiers")))
    detail = body(client.get(reverse("citizen:dossier", kwargs={"code": dossier.code})))
    assert 'data-testid="fee-due"' in detail and pay_url in detail
    assert client.get(pay_url).status_code == 200


def test_supplement_online_one_file_per_item(client, office):
    # GIVEN an online dossier the one-stop shop asks to complete
    user = citizen()
    dossier = submit(office, user)
    required = office.offering.procedure.required_documents.get(position=1)
    svc.dossier_request_supplement(
        dossier=dossier,
        actor=office.reception,
        items=[required.name, "Bản sao sổ hộ khẩu"],
        reason="Bản quét mờ",
    )
    client.force_login(user)
    url = reverse("citizen:supplement", kwargs={"code": dossier.code})
    detail = body(client.get(reverse("citizen:dossier", kwargs={"code": dossier.code})))
    assert 'data-testid="supplement-request"' in detail and "Bản quét mờ" in detail
    page = client.get(url)
    assert page.status_code == 200 and body(page).count('data-testid="supplement-item"') == 2
    # WHEN a file that is not a PDF is sent for the first item
    bad = client.post(url, {"item_0_file": SimpleUploadedFile("quet.pdf", b"MZ" + b"\x00" * 64)})
    # THEN it is refused with the reason and nothing is stored
    assert bad.status_code == 400 and "chỉ nhận PDF, JPEG hoặc PNG" in body(bad)
    assert dossier.documents.count() == 2
    # WHEN proper files are sent
    ok = client.post(
        url,
        {
            "item_0_file": SimpleUploadedFile("quet-lai.pdf", pdf_bytes("lai")),
            "item_1_file": SimpleUploadedFile("ho-khau.pdf", pdf_bytes("ho khau")),
            "note": "Đã quét lại rõ hơn",
        },
    )
    # THEN the dossier goes back to the one-stop shop with the papers, the first tied to its requirement
    assert ok.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUBMITTED
    added = list(dossier.documents.order_by("-id")[:2])
    assert {d.name for d in added} == {required.name, "Bản sao sổ hộ khẩu"}
    assert any(d.required_document_id == required.pk for d in added)
    assert client.get(url).status_code == 302  # nothing more to supplement


def test_withdraw_online(client, office):
    user = citizen()
    dossier = submit(office, user)
    client.force_login(user)
    url = reverse("citizen:withdraw", kwargs={"code": dossier.code})
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 400 and "vui lòng nêu lý do" in body(empty)
    done = client.post(url, {"reason": "Nộp nhầm thủ tục"})
    assert done.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.WITHDRAWN
    assert 'data-testid="withdraw-form"' not in body(
        client.get(reverse("citizen:dossier", kwargs={"code": dossier.code}))
    )


def test_result_is_downloaded_only_by_the_applicant_once_issued(client, office):
    user, stranger = citizen(), citizen("la@example.vn")
    dossier = submit(office, user)
    client.force_login(user)
    assert 'data-testid="results"' not in body(
        client.get(reverse("citizen:dossier", kwargs={"code": dossier.code}))
    )
    result = pdf_bytes("giay xac nhan")
    to_result(office, dossier, result)
    document = DossierDocument.objects.get(dossier=dossier, origin=DocumentOrigin.RESULT)
    url = reverse("citizen:result", kwargs={"code": dossier.code, "pk": document.pk})
    detail = body(client.get(reverse("citizen:dossier", kwargs={"code": dossier.code})))
    assert url in detail
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == result
    assert download["Cache-Control"] == "private, no-store"
    # A paper of the dossier is not served as a result
    paper = dossier.documents.exclude(origin=DocumentOrigin.RESULT).first()
    assert (
        client.get(reverse("citizen:result", kwargs={"code": dossier.code, "pk": paper.pk})).status_code
        == 404
    )
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(office.reception)  # officers use the back office, not the applicant's page
    assert client.get(url).status_code == 404


# ---- the vault ----------------------------------------------------------------------------------------------


def test_vault_page_lists_my_results_and_serves_them_only_to_me(client, office):
    user, stranger = citizen(), citizen("la@example.vn")
    dossier = submit(office, user)
    result = pdf_bytes("giay xac nhan")
    to_result(office, dossier, result)
    item = VaultItem.objects.get(owner=user)
    client.force_login(user)
    page = client.get(reverse("citizen:vault"))
    assert page.status_code == 200 and body(page).count('data-testid="vault-item"') == 1
    assert dossier.code in body(page)
    download = client.get(reverse("citizen:vault_item", kwargs={"pk": item.pk}))
    assert b"".join(download.streaming_content) == result
    client.force_login(stranger)
    assert 'data-testid="vault-empty"' in body(client.get(reverse("citizen:vault")))
    assert client.get(reverse("citizen:vault_item", kwargs={"pk": item.pk})).status_code == 404


def test_a_vault_item_answers_a_supplement_request(client, office):
    user = citizen()
    first = submit(office, user)
    to_result(office, first, pdf_bytes("giay xac nhan"))
    item = VaultItem.objects.get(owner=user)
    second = submit(office, user)
    svc.dossier_request_supplement(
        dossier=second, actor=office.reception, items=["Giấy xác nhận"], reason="Thiếu"
    )
    client.force_login(user)
    url = reverse("citizen:supplement", kwargs={"code": second.code})
    assert f'value="{item.pk}"' in body(client.get(url))
    assert client.post(url, {"item_0_vault": str(item.pk)}).status_code == 302
    stored = second.documents.get(origin=DocumentOrigin.VAULT)
    assert stored.checksum == item.checksum and stored.name == "Giấy xác nhận"


# ---- counter-assisted submission ----------------------------------------------------------------------------


@pytest.fixture
def linked_citizen(db):
    an = family()
    user = citizen(phone="0987654321")
    CitizenLink.objects.create(user=user, person=an, verified_at=timezone.now())
    return an, user


def assisted_post(office, an, **extra) -> dict:
    data = {
        "offering": office.offering.pk,
        "applicant_id_number": an.id_number,
        "applicant_name": an.full_name,
        "applicant_phone": "0987 654 321",
        "applicant_address": an.permanent_residence_address,
        "return_method": "counter",
        "consent_given": "on",
        "consent_method": "signed_paper",
        "action": "submit",
    }
    for req in office.offering.procedure.required_documents.filter(mandatory=True):
        data[f"doc_{req.pk}_file"] = SimpleUploadedFile(f"{req.pk}.pdf", pdf_bytes(f"quet {req.pk}"))
        data[f"doc_{req.pk}_quantity"] = "1"
    data.update(extra)
    return data


def test_assisted_submission_fills_from_the_registry_and_records_the_consent(client, office, linked_citizen):
    an, user = linked_citizen
    client.force_login(office.reception)
    url = reverse("citizen:assisted")
    # GIVEN the procedure chooser limited to the officer's agency
    chooser = client.get(url)
    assert chooser.status_code == 200 and office.offering.procedure.name in body(chooser)
    form_url = f"{url}?offering={office.offering.pk}"
    assert 'data-testid="assisted-form"' in body(client.get(form_url))
    # WHEN the officer fills the applicant from the registry
    lookup = client.post(
        form_url, {"offering": office.offering.pk, "applicant_id_number": an.id_number, "action": "lookup"}
    )
    # THEN the form is filled, the citizen's account is recognised, and the read is on the access log
    assert lookup.status_code == 200
    text = body(lookup)
    assert 'data-testid="lookup-found"' in text and f'value="{an.full_name}"' in text
    assert "Công dân đã có tài khoản" in text
    log = PersonAccessLog.objects.get(person=an)
    assert log.user_id == office.reception.pk and log.purpose.startswith("Hỗ trợ nộp hồ sơ")
    assert log.channel == "assisted"
    # WHEN the papers are attached, the consent ticked (signed paper) and the dossier submitted
    response = client.post(form_url, assisted_post(office, an))
    # THEN the dossier is an assisted online one, applied for by the citizen's account
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("citizen:assisted_consent", kwargs={"code": dossier.code})
    assert dossier.channel == Channel.ASSISTED and dossier.status == DossierStatus.SUBMITTED
    assert dossier.applicant_user_id == user.pk and dossier.applicant_id_number == an.id_number
    assert dossier.events.get().actor_id == office.reception.pk
    consent = AssistedConsent.objects.get(dossier=dossier)
    assert consent.officer_id == office.reception.pk and consent.method == "signed_paper"
    assert consent.citizen_id_number == an.id_number and consent.text_version
    # AND the consent is printable for the officer and the citizen, not for anyone else
    printed = client.get(response["Location"])
    assert printed.status_code == 200 and an.full_name in body(printed)
    assert f'data-version="{consent.text_version}"' in body(printed)
    client.force_login(user)
    assert dossier.code in body(client.get(reverse("citizen:dossiers")))
    assert client.get(response["Location"]).status_code == 200
    client.force_login(citizen("la@example.vn"))
    assert client.get(response["Location"]).status_code == 404


def test_assisted_submission_needs_the_consent(client, office, linked_citizen):
    an, _user = linked_citizen
    client.force_login(office.reception)
    form_url = f"{reverse('citizen:assisted')}?offering={office.offering.pk}"
    no_tick = client.post(form_url, assisted_post(office, an, consent_given=""))
    assert no_tick.status_code == 400 and "đồng ý với nội dung ủy quyền" in body(no_tick)
    no_witness = client.post(form_url, assisted_post(office, an, consent_method="verbal_witnessed"))
    assert no_witness.status_code == 400 and "người làm chứng" in body(no_witness)
    assert not Dossier.objects.exists() and not AssistedConsent.objects.exists()
    witnessed = client.post(
        form_url, assisted_post(office, an, consent_method="verbal_witnessed", witness_name="Hà Văn Chứng")
    )
    assert witnessed.status_code == 302
    assert AssistedConsent.objects.get().witness_name == "Hà Văn Chứng"


def test_assisted_submission_with_an_otp_read_back_by_the_citizen(client, office, linked_citizen):
    an, _user = linked_citizen
    client.force_login(office.reception)
    form_url = f"{reverse('citizen:assisted')}?offering={office.offering.pk}"
    sent = client.post(form_url, assisted_post(office, an, action="send_otp"))
    assert sent.status_code == 200 and "Đã gửi mã OTP" in body(sent)
    sms = OutboundSms.objects.get(to="0987654321")
    assert "dong y" in sms.body
    code = last_code("0987654321")
    wrong = client.post(
        form_url,
        assisted_post(office, an, consent_method="otp", otp_code="000000" if code != "000000" else "111111"),
    )
    assert wrong.status_code == 400 and "Mã xác thực không đúng" in body(wrong)
    ok = client.post(form_url, assisted_post(office, an, consent_method="otp", otp_code=code))
    assert ok.status_code == 302
    consent = AssistedConsent.objects.get()
    assert consent.method == "otp" and consent.phone == "0987654321" and consent.otp_code is not None


def test_assisted_page_is_for_reception_officers_only(client, office, linked_citizen):
    url = reverse("citizen:assisted")
    assert client.get(url).status_code == 302  # anonymous: to the log-in
    client.force_login(linked_citizen[1])
    assert client.get(url).status_code == 403
    client.force_login(office.specialist)
    assert client.get(url).status_code == 403
    # A reception officer of another agency cannot pick this agency's procedure
    client.force_login(officer(office.other_agency, Role.RECEPTION, username="motcua2"))
    response = client.post(f"{url}?offering={office.offering.pk}", assisted_post(office, linked_citizen[0]))
    assert response.status_code == 400 and not Dossier.objects.exists()
