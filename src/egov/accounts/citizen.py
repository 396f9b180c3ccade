"""Citizen and business accounts: sign-up with a verified e-mail address or mobile number, sign-in with
either, password reset by code, linking the account to the population registry, business profiles.

Why it is built this way (seed 003: citizens stayed away from online services that were hard to use and
asked again for what the state already held):

* one identifier people already have (e-mail or mobile number), proved by a 6-digit code before the
  account works; the code is stored only as a keyed hash, lives 10 minutes, allows 5 tries, and is
  bound to the browser session that asked for it, so a code that lands in someone's inbox is useless
  to whoever triggered it elsewhere (no account takeover by pre-registration);
* sending is throttled per destination (no SMS bombing of a stranger's phone);
* linking to the registry asks for what only the person knows as recorded there (full date of birth
  and a parent's full name), compares them in a normalized way, locks after 5 failures for 15 minutes,
  logs every attempt and never says which answer was wrong.

The services here raise ``DomainError`` with a Vietnamese message; a failed attempt is committed
before the error is raised (a rolled-back attempt counter would be no counter at all).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from egov.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from egov.notifications.services import email_queue, sms_queue

from .choices import UserKind
from .models import (
    BusinessProfile,
    CitizenLinkAttempt,
    User,
    VerificationChannel,
    VerificationCode,
    VerificationPurpose,
)

CODE_DIGITS = 6
CODE_LIFETIME = dt.timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
RESEND_INTERVAL = dt.timedelta(seconds=60)
SENDS_PER_HOUR = 5
LINK_MAX_FAILURES = 5
LINK_LOCK = dt.timedelta(minutes=15)
# Failures older than this no longer count towards a lock.
LINK_FAILURE_WINDOW = dt.timedelta(hours=1)
# Failures against one ID number from any accounts: beyond this, the number is held for the lock time
# too (many accounts guessing one person's answers).
LINK_MAX_FAILURES_PER_PERSON = 20
# A confirmed OTP stays usable for the assisted submission it was asked for during this time.
CONSENT_CODE_USABLE_FOR = dt.timedelta(minutes=30)

# Vietnamese mobile numbers since the 2018 renumbering: 10 digits, 03x, 05x, 07x, 08x, 09x [S].
_MOBILE_RE = re.compile(r"^0[35789]\d{8}$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_CODE_KEY_SALT = "egov.accounts.citizen.code"


class LinkRefused(DomainError):
    """Linking the account to the registry was refused (mismatch, lock, or already linked)."""

    status = 400
    code = "link_refused"


# ---- identifiers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identifier:
    channel: str  # VerificationChannel
    value: str  # e-mail lower-cased, or mobile number as 0xxxxxxxxx

    @property
    def masked(self) -> str:
        if self.channel == VerificationChannel.EMAIL:
            local, _at, domain = self.value.partition("@")
            return f"{local[:2]}***@{domain}"
        return f"{self.value[:3]}****{self.value[-3:]}"


def normalize_phone(raw: str) -> str | None:
    """``+84 912.345.678``, ``84912345678`` and ``0912 345 678`` -> ``0912345678``; None if not a mobile."""
    digits = _PHONE_SEPARATORS.sub("", raw or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if _MOBILE_RE.match(digits) else None


def parse_identifier(raw: str) -> Identifier:
    """An e-mail address or a Vietnamese mobile number, normalized; anything else is refused."""
    value = (raw or "").strip()
    if "@" in value:
        value = value.lower()
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                _("Địa chỉ thư điện tử không hợp lệ, ví dụ ten@example.vn."), field="identifier"
            ) from exc
        return Identifier(VerificationChannel.EMAIL, value)
    phone = normalize_phone(value)
    if phone is None:
        raise ValidationFailed(
            _("Hãy nhập địa chỉ thư điện tử hoặc số điện thoại di động (10 chữ số, ví dụ 0912 345 678)."),
            field="identifier",
        )
    return Identifier(VerificationChannel.SMS, phone)


def _users_with(identifier: Identifier):
    if identifier.channel == VerificationChannel.EMAIL:
        return User.objects.filter(Q(email__iexact=identifier.value) | Q(username__iexact=identifier.value))
    return User.objects.filter(Q(phone=identifier.value) | Q(username=identifier.value))


class CitizenBackend(ModelBackend):
    """Sign-in with the e-mail address or mobile number of a citizen account, in any usual spelling
    (``+84 912 345 678`` finds ``0912345678``). Listed after django-axes' backend, which must stay first
    so that failed sign-ins are counted and locked out whatever backend answers."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        try:
            identifier = parse_identifier(username)
        except ValidationFailed:
            return None
        users = list(_users_with(identifier).filter(kind=UserKind.CITIZEN)[:2])
        if len(users) != 1:
            # Same work as a real check, so the answer time does not tell whether the account exists.
            User().set_password(password)
            return None
        user = users[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


# ---- one-time codes ------------------------------------------------------------------------------------


def _hash_code(code: str, salt: str) -> str:
    return f"{salt}${salted_hmac(_CODE_KEY_SALT, f'{salt}:{code}', algorithm='sha256').hexdigest()}"


def _code_matches(row: VerificationCode, code: str) -> bool:
    salt, _sep, _digest = row.code_hash.partition("$")
    return hmac.compare_digest(row.code_hash, _hash_code(code, salt))


def _hash_session(nonce: str) -> str:
    return hashlib.sha256(f"egov-code-session:{nonce}".encode()).hexdigest()


def _render_message(purpose: str, code: str) -> tuple[str, str, str]:
    context = {
        "code": code,
        "purpose": VerificationPurpose(purpose).label,
        "minutes": int(CODE_LIFETIME.total_seconds() // 60),
        "purpose_key": purpose,
    }
    subject = render_to_string("accounts/citizen/code_subject.txt", context).strip()
    body = render_to_string("accounts/citizen/code_body.txt", context).strip()
    sms = render_to_string("accounts/citizen/code_sms.txt", context).strip()
    return subject, body, sms


def _send_code(*, user: User | None, purpose: str, identifier: Identifier) -> str:
    """Queue a new code to ``identifier`` and return the session nonce it is bound to.

    Throttled per destination (one code a minute, five an hour), whoever asks: the limit protects the
    owner of the address or phone, not the account.
    """
    now = timezone.now()
    recent = VerificationCode.objects.filter(
        destination=identifier.value, created_at__gte=now - dt.timedelta(hours=1)
    ).order_by("-created_at")
    last = recent.first()
    if last is not None and now - last.created_at < RESEND_INTERVAL:
        wait = int((RESEND_INTERVAL - (now - last.created_at)).total_seconds()) + 1
        raise ValidationFailed(
            _("Mã vừa được gửi. Vui lòng đợi %(seconds)s giây rồi yêu cầu gửi lại.") % {"seconds": wait},
            code="code_throttled",
        )
    if recent.count() >= SENDS_PER_HOUR:
        raise ValidationFailed(
            _("Đã gửi quá %(n)s mã tới %(to)s trong một giờ. Vui lòng thử lại sau.")
            % {"n": SENDS_PER_HOUR, "to": identifier.masked},
            code="code_throttled",
        )
    # A new code replaces every open one for the same purpose and account (or destination).
    open_codes = VerificationCode.objects.filter(
        purpose=purpose, consumed_at__isnull=True, revoked_at__isnull=True
    )
    open_codes = (
        open_codes.filter(user=user) if user is not None else open_codes.filter(destination=identifier.value)
    )
    open_codes.update(revoked_at=now)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    nonce = secrets.token_urlsafe(24)
    row = VerificationCode.objects.create(
        user=user,
        purpose=purpose,
        channel=identifier.channel,
        destination=identifier.value,
        code_hash=_hash_code(code, secrets.token_hex(8)),
        session_hash=_hash_session(nonce),
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    subject, body, sms = _render_message(purpose, code)
    if identifier.channel == VerificationChannel.EMAIL:
        email_queue(to=identifier.value, subject=subject, body=body, key=f"verification:{row.pk}")
    else:
        sms_queue(to=identifier.value, body=sms, key=f"verification:{row.pk}")
    return nonce


def _open_code(purpose: str, nonce: str) -> VerificationCode | None:
    if not nonce:
        return None
    return (
        # ``of``: PostgreSQL cannot lock the nullable side of the join to the account.
        VerificationCode.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(purpose=purpose, session_hash=_hash_session(nonce))
        .order_by("-created_at")
        .first()
    )


def _check_code(purpose: str, nonce: str, code: str) -> VerificationCode:
    """Consume the code bound to ``nonce`` if ``code`` is right. A wrong try is counted and committed
    before the refusal is raised."""
    code = (code or "").strip().replace(" ", "")
    problem: ValidationFailed | None = None
    with transaction.atomic():
        row = _open_code(purpose, nonce)
        now = timezone.now()
        if row is None or row.consumed_at is not None or row.revoked_at is not None:
            problem = ValidationFailed(
                _("Mã xác thực không còn hiệu lực. Hãy yêu cầu gửi mã mới."),
                code="code_invalid",
                field="code",
            )
        elif row.expires_at <= now:
            problem = ValidationFailed(
                _("Mã xác thực đã hết hạn (mã chỉ dùng được trong %(m)s phút). Hãy yêu cầu gửi mã mới.")
                % {"m": int(CODE_LIFETIME.total_seconds() // 60)},
                code="code_expired",
                field="code",
            )
        elif row.attempts >= CODE_MAX_ATTEMPTS:
            problem = ValidationFailed(
                _("Đã nhập sai mã quá %(n)s lần. Hãy yêu cầu gửi mã mới.") % {"n": CODE_MAX_ATTEMPTS},
                code="code_exhausted",
                field="code",
            )
        elif not (len(code) == CODE_DIGITS and code.isdigit() and _code_matches(row, code)):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            left = CODE_MAX_ATTEMPTS - row.attempts
            problem = ValidationFailed(
                _("Mã xác thực không đúng. Còn %(n)s lần thử.") % {"n": left}
                if left
                else _("Mã xác thực không đúng. Đã hết số lần thử; hãy yêu cầu gửi mã mới."),
                code="code_wrong",
                field="code",
            )
        else:
            row.consumed_at = now
            row.save(update_fields=["consumed_at"])
    if problem is not None:
        raise problem
    return row


def code_destination(*, purpose: str, nonce: str) -> str:
    """Where the code bound to ``nonce`` went, masked, for the page that asks for it ("" if none)."""
    row = (
        VerificationCode.objects.filter(purpose=purpose, session_hash=_hash_session(nonce or "-"))
        .order_by("-created_at")
        .first()
    )
    if row is None:
        return ""
    return Identifier(row.channel, row.destination).masked


# ---- sign-up, sign-in, password reset --------------------------------------------------------------------


def _password_problems(password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), code="weak_password", field="password") from exc


def _is_verified(user: User) -> bool:
    return VerificationCode.objects.filter(
        user=user, purpose=VerificationPurpose.SIGN_UP, consumed_at__isnull=False
    ).exists()


@transaction.atomic
def citizen_sign_up(*, identifier: str, full_name: str, password: str) -> tuple[User, str]:
    """Create a citizen account, inactive until the code sent to ``identifier`` is entered; return the
    account and the session nonce the code is bound to.

    An unverified account with the same identifier is taken over (its password replaced, its codes
    revoked): nobody proved they own the address yet, and the new code goes to the address itself.
    """
    from egov.population.names import clean_name, name_problem

    ident = parse_identifier(identifier)
    name = clean_name(full_name or "")
    problem = name_problem(name)
    if problem:
        raise ValidationFailed(problem, field="full_name")
    existing = _users_with(ident).select_for_update().first()
    if existing is not None and (
        existing.is_active or existing.kind != UserKind.CITIZEN or _is_verified(existing)
    ):
        raise ValidationFailed(
            _("%(who)s đã được dùng cho một tài khoản. Hãy đăng nhập, hoặc dùng chức năng quên mật khẩu.")
            % {"who": ident.value},
            code="identifier_taken",
            field="identifier",
        )
    user = existing or User(
        username=ident.value,
        kind=UserKind.CITIZEN,
        is_active=False,
        email=ident.value if ident.channel == VerificationChannel.EMAIL else "",
        phone=ident.value if ident.channel == VerificationChannel.SMS else "",
    )
    user.full_name = name
    _password_problems(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent sign-up with the same identifier won
        raise ValidationFailed(
            _("%(who)s đã được dùng cho một tài khoản.") % {"who": ident.value},
            code="identifier_taken",
            field="identifier",
        ) from exc
    nonce = _send_code(user=user, purpose=VerificationPurpose.SIGN_UP, identifier=ident)
    return user, nonce


def citizen_confirm_sign_up(*, nonce: str, code: str) -> User:
    """The code from the message: the account becomes active."""
    row = _check_code(VerificationPurpose.SIGN_UP, nonce, code)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=row.user_id)
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


def citizen_resend_code(*, purpose: str, nonce: str) -> str:
    """A new code to the same destination as the one bound to ``nonce``; returns the new nonce."""
    if purpose not in (VerificationPurpose.SIGN_UP, VerificationPurpose.PASSWORD_RESET):
        raise ValidationFailed(_("Yêu cầu không hợp lệ."))
    with transaction.atomic():
        row = _open_code(purpose, nonce)
        if row is None or row.user is None:
            raise ValidationFailed(
                _("Phiên làm việc đã hết hạn. Vui lòng bắt đầu lại."), code="session_expired"
            )
        if purpose == VerificationPurpose.SIGN_UP and row.user.is_active:
            raise ValidationFailed(_("Tài khoản đã được xác thực. Hãy đăng nhập."), code="already_verified")
        return _send_code(user=row.user, purpose=purpose, identifier=Identifier(row.channel, row.destination))


@transaction.atomic
def citizen_password_reset_request(*, identifier: str) -> str:
    """Send a reset code if a citizen account has this identifier; the nonce comes back either way, so
    the page does not tell whether the account exists."""
    ident = parse_identifier(identifier)
    user = _users_with(ident).filter(kind=UserKind.CITIZEN, is_active=True).first()
    if user is None:
        return secrets.token_urlsafe(24)
    return _send_code(user=user, purpose=VerificationPurpose.PASSWORD_RESET, identifier=ident)


def citizen_password_reset(*, nonce: str, code: str, new_password: str) -> User:
    """Set a new password with the reset code (the password is checked before the code is spent)."""
    row = (
        VerificationCode.objects.select_related("user")
        .filter(purpose=VerificationPurpose.PASSWORD_RESET, session_hash=_hash_session(nonce or "-"))
        .order_by("-created_at")
        .first()
    )
    if row is not None and row.user is not None:
        _password_problems(new_password, row.user)
    row = _check_code(VerificationPurpose.PASSWORD_RESET, nonce, code)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=row.user_id)
        user.set_password(new_password)
        user.save(update_fields=["password"])
    return user


# ---- OTP for the counter-assisted consent ------------------------------------------------------------------


@transaction.atomic
def consent_code_send(*, officer: User, phone: str) -> str:
    """Send an OTP to the citizen's phone so they can confirm, by reading it out, that they agree to the
    officer submitting for them. Bound to the officer's session."""
    normalized = normalize_phone(phone)
    if normalized is None:
        raise ValidationFailed(
            _("Số điện thoại di động của công dân không hợp lệ (10 chữ số, ví dụ 0912 345 678)."),
            field="applicant_phone",
        )
    return _send_code(
        user=officer,
        purpose=VerificationPurpose.ASSISTED_CONSENT,
        identifier=Identifier(VerificationChannel.SMS, normalized),
    )


def consent_code_confirm(*, officer: User, nonce: str, code: str, phone: str) -> VerificationCode:
    """Check the OTP the citizen read out; it must have gone to ``phone`` at this officer's request."""
    normalized = normalize_phone(phone)
    row = (
        VerificationCode.objects.filter(
            purpose=VerificationPurpose.ASSISTED_CONSENT, session_hash=_hash_session(nonce or "-")
        )
        .order_by("-created_at")
        .first()
    )
    if row is None or row.user_id != officer.pk or row.destination != normalized:
        raise ValidationFailed(
            _("Chưa gửi mã OTP tới số điện thoại này. Hãy bấm “Gửi mã OTP” rồi nhập mã công dân nhận được."),
            code="code_invalid",
            field="otp_code",
        )
    try:
        return _check_code(VerificationPurpose.ASSISTED_CONSENT, nonce, code)
    except ValidationFailed as exc:
        exc.field = "otp_code"
        raise


def consent_code_usable(*, officer: User, code_id: int | None, phone: str) -> VerificationCode | None:
    """A confirmed OTP of this officer for ``phone``, recent and not yet attached to a consent."""
    if not code_id:
        return None
    return VerificationCode.objects.filter(
        pk=code_id,
        user=officer,
        purpose=VerificationPurpose.ASSISTED_CONSENT,
        destination=normalize_phone(phone) or "-",
        consumed_at__gte=timezone.now() - CONSENT_CODE_USABLE_FOR,
        assisted_consent__isnull=True,
    ).first()


# ---- linking the account to the population registry ----------------------------------------------------


def _name_key(name: str) -> str:
    """Case, Unicode form, spacing and diacritics do not matter: "NGUYỄN  thị hoa" = "Nguyen Thi Hoa"."""
    from egov.population.names import clean_name, search_key

    return search_key(clean_name(name or ""))


def link_locked_until(*, user: User, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the account may try linking again, if it is locked now."""
    now = now or timezone.now()
    lock = (
        CitizenLinkAttempt.objects.filter(user=user, locked_until__gt=now).order_by("-locked_until").first()
    )
    return lock.locked_until if lock else None


def _failures_since(user: User, now: dt.datetime) -> int:
    """Failed tries in the window, counted from the end of the last lock (a lock is served once)."""
    since = now - LINK_FAILURE_WINDOW
    last_lock = (
        CitizenLinkAttempt.objects.filter(user=user, locked_until__isnull=False)
        .order_by("-locked_until")
        .first()
    )
    if last_lock is not None and last_lock.locked_until > since:
        since = last_lock.locked_until
    return CitizenLinkAttempt.objects.filter(
        user=user, outcome=CitizenLinkAttempt.Outcome.MISMATCH, at__gt=since
    ).count()


def _minutes(delta: dt.timedelta) -> int:
    return max(1, int((delta.total_seconds() + 59) // 60))


def citizen_link_person(
    *, user: User, id_number: str, date_of_birth: dt.date, parent_name: str, ip_address: str | None = None
):
    """Link ``user`` to the registry person with ``id_number`` once they show what only that person
    knows as recorded: the full date of birth and the full name of their mother or father.

    5 failed tries lock the account for 15 minutes; every try is logged (``CitizenLinkAttempt``) and,
    when the number exists, on the person's access log (Decree 13/2023/NĐ-CP: the person can see who
    processed their data and why). The refusal never says which answer was wrong.
    """
    from egov.population.models import CitizenLink, Person, PersonAccessLog

    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Hãy đăng nhập để liên kết tài khoản."))
    id_number = (id_number or "").strip().replace(" ", "")
    if len(id_number) != 12 or not id_number.isdigit():
        raise ValidationFailed(_("Số định danh cá nhân gồm đúng 12 chữ số."), field="id_number")
    refusal: LinkRefused | None = None
    link = None
    with transaction.atomic():
        # One try at a time per account: the failure count below must see the previous try.
        User.objects.select_for_update().filter(pk=user.pk).first()
        current = (
            CitizenLink.objects.filter(user=user, verified_at__isnull=False).select_related("person").first()
        )
        if current is not None:
            raise ValidationFailed(
                _("Tài khoản đã được liên kết với công dân có số định danh %(id)s.")
                % {"id": current.person.id_number},
                code="already_linked",
            )
        now = timezone.now()
        attempt = CitizenLinkAttempt(user=user, id_number=id_number, ip_address=ip_address or None, at=now)
        locked = link_locked_until(user=user, now=now)
        person_failures = CitizenLinkAttempt.objects.filter(
            id_number=id_number, outcome=CitizenLinkAttempt.Outcome.MISMATCH, at__gt=now - LINK_FAILURE_WINDOW
        ).count()
        if locked is None and person_failures >= LINK_MAX_FAILURES_PER_PERSON:
            locked = now + LINK_LOCK
        if locked is not None:
            attempt.outcome = CitizenLinkAttempt.Outcome.LOCKED
            attempt.save()
            refusal = LinkRefused(
                _(
                    "Bạn đã nhập sai thông tin quá %(n)s lần. Vui lòng thử lại sau %(m)s phút, hoặc đến Bộ phận "
                    "Một cửa gần nhất để được hỗ trợ."
                )
                % {"n": LINK_MAX_FAILURES, "m": _minutes(locked - now)},
                code="link_locked",
            )
        else:
            person = Person.objects.select_related("father", "mother").filter(id_number=id_number).first()
            parents = [p for p in (person.father, person.mother) if p is not None] if person else []
            wanted = _name_key(parent_name)
            matches = (
                person is not None
                and not person.is_deceased
                and person.date_of_birth == date_of_birth
                and bool(wanted)
                # Compared for every parent, so the time taken does not tell which one matched.
                and sum(hmac.compare_digest(_name_key(p.full_name), wanted) for p in parents) > 0
            )
            if person is not None:
                PersonAccessLog.objects.create(
                    user=user,
                    person=person,
                    purpose=_("Đối chiếu thông tin khi công dân liên kết tài khoản"),
                    fields=["date_of_birth", "father", "mother"],
                    channel="citizen",
                )
            taken = (
                matches
                and CitizenLink.objects.filter(person=person, verified_at__isnull=False)
                .exclude(user=user)
                .exists()
            )
            if matches and not taken:
                attempt.outcome = CitizenLinkAttempt.Outcome.LINKED
                attempt.save()
                link, _created = CitizenLink.objects.update_or_create(
                    user=user, defaults={"person": person, "verified_at": now}
                )
                if not user.full_name:
                    user.full_name = person.full_name
                    user.save(update_fields=["full_name"])
            elif taken:
                attempt.outcome = CitizenLinkAttempt.Outcome.TAKEN
                attempt.save()
                refusal = LinkRefused(
                    _(
                        "Số định danh này đã được liên kết với một tài khoản khác. Nếu đó không phải bạn, vui "
                        "lòng đến Bộ phận Một cửa để được hỗ trợ."
                    ),
                    code="link_taken",
                )
            else:
                failures = _failures_since(user, now) + 1
                if failures >= LINK_MAX_FAILURES:
                    attempt.locked_until = now + LINK_LOCK
                attempt.outcome = CitizenLinkAttempt.Outcome.MISMATCH
                attempt.save()
                left = LINK_MAX_FAILURES - failures
                message = _(
                    "Thông tin không khớp với Cơ sở dữ liệu quốc gia về dân cư. Hãy kiểm tra lại số định danh, "
                    "ngày sinh và họ tên cha hoặc mẹ (ghi đầy đủ như trên giấy khai sinh)."
                )
                if left > 0:
                    message += " " + _("Còn %(n)s lần thử.") % {"n": left}
                else:
                    message += " " + _("Đã hết số lần thử; vui lòng thử lại sau %(m)s phút.") % {
                        "m": _minutes(LINK_LOCK)
                    }
                message += " " + _(
                    "Nếu thông tin của bạn trong cơ sở dữ liệu chưa đầy đủ, hãy đến Bộ phận Một cửa để được hỗ trợ."
                )
                refusal = LinkRefused(message, code="link_mismatch")
    if refusal is not None:
        raise refusal
    return link


def citizen_account_for_id_number(id_number: str) -> User | None:
    """The citizen account verified to be the registry person with ``id_number``, if any."""
    from egov.population.models import CitizenLink

    link = (
        CitizenLink.objects.select_related("user")
        .filter(person__id_number=(id_number or "").strip(), verified_at__isnull=False, user__is_active=True)
        .first()
    )
    return link.user if link else None


# ---- businesses ----------------------------------------------------------------------------------------

# Weights of the 10-digit tax code's check digit (python-stdnum ``stdnum.vn.mst``, after the Vietnamese
# Wikipedia article on the tax code) [S]: the legal text (Circular 105/2020/TT-BTC on tax registration)
# was not read, so a failure says "check the number", not "the number does not exist".
_TAX_CODE_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def tax_code_problem(raw: str) -> str | None:
    """What is wrong with a tax code (mã số thuế), or None: 10 digits (the enterprise) or 13 (a branch:
    the parent's 10 digits and 001-999), with the check digit of the first ten."""
    number = re.sub(r"[\s.\-]", "", raw or "")
    if len(number) not in (10, 13) or not number.isdigit():
        return _("Mã số thuế gồm 10 chữ số, hoặc 13 chữ số đối với chi nhánh, đơn vị phụ thuộc.")
    if number[2:9] == "0000000" or (len(number) == 13 and number[10:] == "000"):
        return _("Mã số thuế không hợp lệ. Hãy kiểm tra lại trên Giấy chứng nhận đăng ký doanh nghiệp.")
    check = 10 - sum(w * int(d) for w, d in zip(_TAX_CODE_WEIGHTS, number, strict=False)) % 11
    if check == 10 or int(number[9]) != check:
        return _(
            "Mã số thuế không đúng (chữ số kiểm tra không khớp). Hãy kiểm tra lại trên Giấy chứng nhận đăng ký "
            "doanh nghiệp."
        )
    return None


def normalize_tax_code(raw: str) -> str:
    return re.sub(r"[\s.\-]", "", raw or "")


@transaction.atomic
def business_profile_save(
    *, user: User, tax_code: str, name: str, address: str, legal_representative: str
) -> BusinessProfile:
    """Declare (or update) the organisation this account applies for."""
    if not getattr(user, "is_authenticated", False) or user.kind != UserKind.CITIZEN:
        raise PermissionDenied(
            _("Chỉ tài khoản công dân, doanh nghiệp mới khai báo được thông tin doanh nghiệp.")
        )
    problem = tax_code_problem(tax_code)
    if problem:
        raise ValidationFailed(problem, field="tax_code")
    values = {
        "tax_code": normalize_tax_code(tax_code),
        "name": (name or "").strip(),
        "address": (address or "").strip(),
        "legal_representative": (legal_representative or "").strip(),
    }
    for field, label in (
        ("name", _("Cần nhập tên doanh nghiệp, tổ chức.")),
        ("address", _("Cần nhập địa chỉ trụ sở.")),
        ("legal_representative", _("Cần nhập họ tên người đại diện theo pháp luật.")),
    ):
        if not values[field]:
            raise ValidationFailed(label, field=field)
    profile = BusinessProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        return BusinessProfile.objects.create(user=user, **values)
    changed = [field for field, value in values.items() if getattr(profile, field) != value]
    if profile.tax_code != values["tax_code"]:
        profile.verified_at = None
        changed.append("verified_at")
    for field, value in values.items():
        setattr(profile, field, value)
    if changed:
        profile.save(update_fields=[*changed, "updated_at"])
    return profile


def business_profile_of(user: User) -> BusinessProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return BusinessProfile.objects.filter(user=user).first()


# ---- the applicant, for e-forms ---------------------------------------------------------------------------


def applicant_for(*, user: User, as_business: bool = False):
    """The ``ApplicantInput`` an online form starts from: the registry record the account is linked to
    (name, ID number, permanent address: the citizen types nothing the state holds), or the business
    profile when applying for the organisation. Contact details are the account's."""
    from egov.dossiers.services import ApplicantInput
    from egov.population.selectors import linked_person

    if as_business:
        profile = business_profile_of(user)
        if profile is None:
            raise NotFound(_("Tài khoản chưa khai báo thông tin doanh nghiệp."), code="no_business_profile")
        return ApplicantInput(
            name=profile.name, phone=user.phone, email=user.email, address=profile.address, user=user
        )
    person = linked_person(user=user)
    if person is None:
        return ApplicantInput(name=user.display_name, phone=user.phone, email=user.email, user=user)
    return ApplicantInput(
        name=person.full_name,
        id_number=person.id_number,
        phone=user.phone,
        email=user.email,
        address=person.permanent_residence_address,
        user=user,
    )


def business_form_data(*, user: User) -> dict:
    """What a dossier's ``form_data`` should carry when a business applies (the dossier has no column
    for the tax code): tax code, name and legal representative."""
    profile = business_profile_of(user)
    if profile is None:
        return {}
    return {
        "applicant_kind": "business",
        "tax_code": profile.tax_code,
        "business_name": profile.name,
        "legal_representative": profile.legal_representative,
    }


def login_redirect_for(user: User) -> str:
    """Where a user lands after signing in without a ``next``: officers to their worklist, citizens to
    their dossiers."""
    from django.urls import reverse

    from .selectors import user_is_officer

    if user_is_officer(user):
        return reverse(settings.LOGIN_REDIRECT_URL)
    return reverse("citizen:dossiers")
