"""Citizen accounts (egov.accounts.citizen): sign-up with a code, sign-in by e-mail or phone, password
reset, linking to the registry, business profiles. Real database; messages are read from the outbox
rows, since only a hash of each code is stored."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from django.contrib.auth import authenticate
from django.utils import timezone

from egov.accounts import citizen as svc
from egov.accounts.choices import UserKind
from egov.accounts.models import BusinessProfile, CitizenLinkAttempt, User, VerificationCode
from egov.core.errors import NotFound, ValidationFailed
from egov.notifications.models import OutboundEmail, OutboundSms
from egov.population.choices import Ethnicity, Sex
from egov.population.ids import century_digit
from egov.population.models import CitizenLink, Person, PersonAccessLog
from egov.population.names import search_key

pytestmark = pytest.mark.django_db

PASSWORD = "Hoa-sen-nở-2026"
# The settings diff this work asks for (AUTHENTICATION_BACKENDS): axes first, then the citizen backend.
CITIZEN_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "egov.accounts.citizen.CitizenBackend",
    "django.contrib.auth.backends.ModelBackend",
]


@pytest.fixture(autouse=True)
def citizen_backends(settings):
    settings.AUTHENTICATION_BACKENDS = CITIZEN_BACKENDS


def last_code(to: str) -> str:
    """The 6-digit code of the latest message to ``to`` (e-mail or SMS), as the person would read it."""
    email = OutboundEmail.objects.filter(to=to).order_by("-id").first()
    sms = OutboundSms.objects.filter(to=to).order_by("-id").first()
    body = email.body if email is not None else sms.body
    return re.search(r"\b(\d{6})\b", body).group(1)


def later(minutes: float):
    return mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + dt.timedelta(minutes=minutes)
    )


_serial = iter(range(1, 10**6))


def person(full_name: str, dob: dt.date, sex: str = Sex.MALE, **fields) -> Person:
    id_number = fields.pop("id_number", None) or (
        f"025{century_digit(year=dob.year, sex=sex)}{dob.year % 100:02d}{next(_serial):06d}"
    )
    return Person.objects.create(
        id_number=id_number,
        full_name=full_name,
        full_name_search=search_key(full_name),
        date_of_birth=dob,
        sex=sex,
        ethnicity=Ethnicity.KINH,
        permanent_residence_address="Số 5 đường Hùng Vương",
        **fields,
    )


def family() -> Person:
    """A registered citizen with both parents on record."""
    father = person("Nguyễn Văn Hùng", dt.date(1965, 3, 2))
    mother = person("Trần Thị Hoa", dt.date(1968, 7, 9), Sex.FEMALE)
    return person("Nguyễn Minh An", dt.date(1992, 11, 20), father=father, mother=mother)


def active_citizen(identifier: str = "an@example.vn", name: str = "Nguyễn Minh An") -> User:
    user, nonce = svc.citizen_sign_up(identifier=identifier, full_name=name, password=PASSWORD)
    ident = svc.parse_identifier(identifier)
    return svc.citizen_confirm_sign_up(nonce=nonce, code=last_code(ident.value))


# ---- sign-up --------------------------------------------------------------------------------------------


def test_sign_up_by_email_sends_a_code_stored_only_as_a_hash_and_activates_on_confirm():
    # GIVEN a person signing up with their e-mail address
    user, nonce = svc.citizen_sign_up(
        identifier=" An@Example.VN ", full_name="nguyễn  minh an", password=PASSWORD
    )
    # THEN the account exists, inactive, under the normalized address; the code went by e-mail
    assert user.username == "an@example.vn" and user.email == "an@example.vn"
    assert user.kind == UserKind.CITIZEN and not user.is_active
    assert user.full_name == "nguyễn minh an"
    code = last_code("an@example.vn")
    row = VerificationCode.objects.get(user=user)
    assert code not in row.code_hash and len(row.code_hash) > 40
    assert row.expires_at - row.created_at == dt.timedelta(minutes=10)
    # AND a password sign-in does not work before the code is entered
    assert authenticate(username="an@example.vn", password=PASSWORD) is None
    # WHEN the code is entered
    confirmed = svc.citizen_confirm_sign_up(nonce=nonce, code=code)
    # THEN the account works, signed in with the address in any case
    assert confirmed.pk == user.pk and confirmed.is_active
    assert authenticate(username="AN@example.vn", password=PASSWORD).pk == user.pk
    # AND the code cannot be used twice
    with pytest.raises(ValidationFailed) as again:
        svc.citizen_confirm_sign_up(nonce=nonce, code=code)
    assert again.value.code == "code_invalid"


@pytest.mark.parametrize("typed", ["0912 345 678", "+84 912.345.678", "84912345678", "(091) 234-5678"])
def test_sign_up_by_phone_sends_an_sms_and_sign_in_accepts_any_spelling(typed):
    user, nonce = svc.citizen_sign_up(identifier=typed, full_name="Lê Thị Mai", password=PASSWORD)
    assert user.phone == "0912345678" and user.username == "0912345678" and user.email == ""
    sms = OutboundSms.objects.get(to="0912345678")
    assert "Ma xac thuc" in sms.body
    svc.citizen_confirm_sign_up(nonce=nonce, code=last_code("0912345678"))
    for spelling in ("0912345678", "+84912345678", "0912.345.678"):
        assert authenticate(username=spelling, password=PASSWORD).pk == user.pk
    assert authenticate(username="0912345678", password="sai-mat-khau") is None


@pytest.mark.parametrize("typed", ["abc", "0212345678", "091234567", "an@", "12345678901234"])
def test_identifier_must_be_an_email_or_a_mobile_number(typed):
    with pytest.raises(ValidationFailed) as err:
        svc.citizen_sign_up(identifier=typed, full_name="Lê Thị Mai", password=PASSWORD)
    assert err.value.field == "identifier"
    assert not User.objects.exists()


def test_weak_password_is_refused_by_the_django_validators():
    with pytest.raises(ValidationFailed) as err:
        svc.citizen_sign_up(identifier="mai@example.vn", full_name="Lê Thị Mai", password="12345678")
    assert err.value.field == "password" and err.value.code == "weak_password"
    assert not User.objects.exists() and not OutboundEmail.objects.exists()


def test_an_identifier_in_use_is_refused():
    active_citizen("an@example.vn")
    with pytest.raises(ValidationFailed) as err:
        svc.citizen_sign_up(identifier="AN@example.vn", full_name="Kẻ Khác", password=PASSWORD)
    assert err.value.code == "identifier_taken"


def test_wrong_code_is_counted_and_after_five_tries_even_the_right_code_is_refused():
    user, nonce = svc.citizen_sign_up(
        identifier="an@example.vn", full_name="Nguyễn Minh An", password=PASSWORD
    )
    code = last_code("an@example.vn")
    wrong = "000000" if code != "000000" else "111111"
    messages = []
    for _ in range(5):
        with pytest.raises(ValidationFailed) as err:
            svc.citizen_confirm_sign_up(nonce=nonce, code=wrong)
        messages.append(err.value.message)
    # Every wrong try was committed, and the person was told how many were left.
    assert VerificationCode.objects.get(user=user).attempts == 5
    assert "Còn 4 lần thử" in messages[0] and "hết số lần thử" in messages[-1]
    with pytest.raises(ValidationFailed) as err:
        svc.citizen_confirm_sign_up(nonce=nonce, code=code)
    assert err.value.code == "code_exhausted"
    user.refresh_from_db()
    assert not user.is_active


def test_code_expires_after_ten_minutes():
    user, nonce = svc.citizen_sign_up(
        identifier="an@example.vn", full_name="Nguyễn Minh An", password=PASSWORD
    )
    code = last_code("an@example.vn")
    with later(10.5), pytest.raises(ValidationFailed) as err:
        svc.citizen_confirm_sign_up(nonce=nonce, code=code)
    assert err.value.code == "code_expired" and "10 phút" in err.value.message


def test_resend_is_throttled_per_destination_and_the_new_code_replaces_the_old():
    _user, nonce = svc.citizen_sign_up(
        identifier="an@example.vn", full_name="Nguyễn Minh An", password=PASSWORD
    )
    first = last_code("an@example.vn")
    # WHEN a new code is asked at once THEN the person is asked to wait
    with pytest.raises(ValidationFailed) as err:
        svc.citizen_resend_code(purpose="sign_up", nonce=nonce)
    assert err.value.code == "code_throttled" and "giây" in err.value.message
    # WHEN a minute has passed THEN a new code is sent and only it works
    with later(1.1):
        new_nonce = svc.citizen_resend_code(purpose="sign_up", nonce=nonce)
    second = last_code("an@example.vn")
    assert OutboundEmail.objects.filter(to="an@example.vn").count() == 2
    if first != second:
        with pytest.raises(ValidationFailed):
            svc.citizen_confirm_sign_up(nonce=nonce, code=first)
    assert svc.citizen_confirm_sign_up(nonce=new_nonce, code=second).is_active
    # AND at most five codes an hour go to one address, whoever asks
    for minute in (3, 5, 7):
        with later(minute):
            svc.citizen_password_reset_request(identifier="an@example.vn")
    with later(9), pytest.raises(ValidationFailed) as err:
        svc.citizen_password_reset_request(identifier="an@example.vn")
    assert err.value.code == "code_throttled" and "một giờ" in err.value.message


def test_a_code_triggered_from_another_browser_is_useless_there():
    """No account takeover by pre-registration: someone signs up with another person's address; the
    owner signs up too; the first sign-up's session can do nothing with the code the owner receives."""
    _squatter, squatter_nonce = svc.citizen_sign_up(
        identifier="an@example.vn", full_name="Kẻ Mạo Danh", password="Mat-khau-cua-ke-gian-9"
    )
    with later(2):
        owner, owner_nonce = svc.citizen_sign_up(
            identifier="an@example.vn", full_name="Nguyễn Minh An", password=PASSWORD
        )
    code = last_code("an@example.vn")
    with pytest.raises(ValidationFailed):
        svc.citizen_confirm_sign_up(nonce=squatter_nonce, code=code)
    assert svc.citizen_confirm_sign_up(nonce=owner_nonce, code=code).pk == owner.pk
    assert User.objects.count() == 1
    assert authenticate(username="an@example.vn", password="Mat-khau-cua-ke-gian-9") is None
    assert authenticate(username="an@example.vn", password=PASSWORD) is not None


# ---- password reset ---------------------------------------------------------------------------------------


def test_password_reset_by_code():
    user = active_citizen("0912345678")
    with later(2):
        nonce = svc.citizen_password_reset_request(identifier="+84 912 345 678")
        code = last_code("0912345678")
        # A weak password is refused before the code is spent
        with pytest.raises(ValidationFailed) as weak:
            svc.citizen_password_reset(nonce=nonce, code=code, new_password="abc")
        assert weak.value.field == "password"
        svc.citizen_password_reset(nonce=nonce, code=code, new_password="Mat-khau-moi-2026")
    assert authenticate(username="0912345678", password="Mat-khau-moi-2026").pk == user.pk
    assert authenticate(username="0912345678", password=PASSWORD) is None


def test_password_reset_for_an_unknown_account_sends_nothing_and_says_nothing():
    nonce = svc.citizen_password_reset_request(identifier="khong-co@example.vn")
    assert nonce and not OutboundEmail.objects.exists()
    with pytest.raises(ValidationFailed) as err:
        svc.citizen_password_reset(nonce=nonce, code="123456", new_password="Mat-khau-moi-2026")
    assert err.value.code == "code_invalid"


# ---- linking to the registry ------------------------------------------------------------------------------


def test_link_with_the_right_answers_creates_the_verified_link_and_logs_the_read():
    an = family()
    user = active_citizen()
    link = svc.citizen_link_person(
        user=user,
        id_number=an.id_number,
        date_of_birth=dt.date(1992, 11, 20),
        parent_name="  tran THI   hoa ",  # mother, typed without diacritics and in other case
        ip_address="10.0.0.7",
    )
    assert link.person_id == an.pk and link.verified_at is not None
    assert CitizenLink.objects.get(user=user).person == an
    attempt = CitizenLinkAttempt.objects.get(user=user)
    assert attempt.outcome == "linked" and attempt.ip_address == "10.0.0.7"
    log = PersonAccessLog.objects.get(person=an)
    assert log.user_id == user.pk and "liên kết" in log.purpose
    assert svc.applicant_for(user=user).id_number == an.id_number


@pytest.mark.parametrize(
    "change",
    [
        {"date_of_birth": dt.date(1992, 11, 21)},
        {"parent_name": "Trần Thị Hương"},
        {"id_number": "025092999999"},
        {"parent_name": ""},
    ],
)
def test_a_wrong_answer_is_refused_without_saying_which(change):
    an = family()
    user = active_citizen()
    answers = {
        "id_number": an.id_number,
        "date_of_birth": dt.date(1992, 11, 20),
        "parent_name": "Nguyễn Văn Hùng",
    }
    answers.update(change)
    with pytest.raises(svc.LinkRefused) as err:
        svc.citizen_link_person(user=user, **answers)
    message = err.value.message
    # One text whatever was wrong: it names every field, blames none.
    assert message.startswith("Thông tin không khớp với Cơ sở dữ liệu quốc gia về dân cư.")
    assert "Còn 4 lần thử" in message
    assert err.value.field is None
    assert not CitizenLink.objects.exists()
    assert CitizenLinkAttempt.objects.get(user=user).outcome == "mismatch"


def test_five_failures_lock_linking_for_fifteen_minutes():
    an = family()
    user = active_citizen()
    for _ in range(5):
        with pytest.raises(svc.LinkRefused):
            svc.citizen_link_person(
                user=user, id_number=an.id_number, date_of_birth=dt.date(2000, 1, 1), parent_name="Ai Đó"
            )
    # WHEN the right answers come while locked THEN they are refused, and the try is logged
    with pytest.raises(svc.LinkRefused) as err:
        svc.citizen_link_person(
            user=user,
            id_number=an.id_number,
            date_of_birth=dt.date(1992, 11, 20),
            parent_name="Nguyễn Văn Hùng",
        )
    assert err.value.code == "link_locked" and "15 phút" in err.value.message
    assert list(CitizenLinkAttempt.objects.filter(user=user).values_list("outcome", flat=True)) == [
        "mismatch"
    ] * 5 + ["locked"]
    assert svc.link_locked_until(user=user) is not None
    # WHEN 15 minutes have passed THEN the right answers link the account
    with later(15.5):
        link = svc.citizen_link_person(
            user=user,
            id_number=an.id_number,
            date_of_birth=dt.date(1992, 11, 20),
            parent_name="Nguyễn Văn Hùng",
        )
    assert link.person_id == an.pk


def test_a_person_linked_to_another_account_is_not_linked_twice():
    an = family()
    first, second = active_citizen("an@example.vn"), active_citizen("an2@example.vn")
    answers = {
        "id_number": an.id_number,
        "date_of_birth": dt.date(1992, 11, 20),
        "parent_name": "Trần Thị Hoa",
    }
    svc.citizen_link_person(user=first, **answers)
    with pytest.raises(svc.LinkRefused) as err:
        svc.citizen_link_person(user=second, **answers)
    assert err.value.code == "link_taken"
    assert svc.citizen_account_for_id_number(an.id_number).pk == first.pk


def test_a_person_without_parents_on_record_cannot_be_linked_online():
    lone = person("Phạm Văn Bình", dt.date(1980, 1, 1))
    user = active_citizen()
    with pytest.raises(svc.LinkRefused) as err:
        svc.citizen_link_person(
            user=user, id_number=lone.id_number, date_of_birth=dt.date(1980, 1, 1), parent_name="Phạm Văn Cha"
        )
    assert "Bộ phận Một cửa" in err.value.message


# ---- businesses -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["0100233488", "0314409058-002", "01.00.233.488", "0314409058002"])
def test_valid_tax_codes(code):
    assert svc.tax_code_problem(code) is None


@pytest.mark.parametrize(
    "code",
    ["0100233480", "12345", "010023348", "0100000008", "0314409058000", "01002334AB", "03144090580021"],
)
def test_invalid_tax_codes(code):
    assert svc.tax_code_problem(code)


def test_business_profile_and_applicant():
    user = active_citizen("ketoan@congty.vn", "Lê Văn Kế")
    with pytest.raises(ValidationFailed) as err:
        svc.business_profile_save(
            user=user,
            tax_code="0100233480",
            name="Công ty A",
            address="Việt Trì",
            legal_representative="Lê Văn A",
        )
    assert err.value.field == "tax_code"
    with pytest.raises(NotFound):
        svc.applicant_for(user=user, as_business=True)
    profile = svc.business_profile_save(
        user=user,
        tax_code="0100233488",
        name="Công ty TNHH Hùng Vương",
        address="Số 1 Hùng Vương, Việt Trì",
        legal_representative="Lê Văn Kế",
    )
    assert BusinessProfile.objects.get(user=user) == profile
    applicant = svc.applicant_for(user=user, as_business=True)
    assert applicant.name == "Công ty TNHH Hùng Vương" and applicant.user == user
    assert svc.business_form_data(user=user)["tax_code"] == "0100233488"
