"""Personal identification numbers (số định danh cá nhân): structure, consistency, issuance.

Structure (Decree 137/2015/NĐ-CP art. 7, Circular 07/2016/TT-BCA arts. 4-7 and Appendix I; reference
``vn-standards.md`` §6), 12 digits ``PPP G YY RRRRRR``:

* ``PPP``: code of the province where the birth was registered (Appendix I: the former two-digit
  province code with a leading 0). All 63 pre-2025 codes stay valid for life: cards and numbers are not
  re-issued because of the 2025 merger. The 34 post-2025 province codes of Decision 19/2025/QĐ-TTg are
  accepted too, written with a leading 0 (``025`` Phú Thọ), in case births after 01/07/2025 are numbered
  with them; every one of them is also a former code, so the accepted set is still the 63 codes.
  Circular 07/2016 also foresees a code of the *country* for births registered abroad, but its list was
  not found in our sources, so no such prefix is accepted (an honest rejection beats a silent guess).
* ``G``: century and sex: 1900s male 0 / female 1, 2000s 2 / 3, 2100s 4 / 5, 2200s 6 / 7, 2300s 8 / 9.
* ``YY``: the last two digits of the year of birth.
* ``RRRRRR``: six random digits. There is no check digit.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.utils.translation import gettext as _

from egov.core.errors import ValidationFailed

from .choices import Sex

ID_NUMBER_LENGTH = 12

# Appendix I of Circular 07/2016/TT-BCA: the 63 provinces before 01/07/2025.
PRE_2025_PROVINCE_PREFIXES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu",
    "079": "TP. Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}

# Decision 19/2025/QĐ-TTg: the 34 provinces from 01/07/2025, with a leading 0 (reference §10).
POST_2025_PROVINCE_PREFIXES: dict[str, str] = {
    "001": "Hà Nội",
    "004": "Cao Bằng",
    "008": "Tuyên Quang",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Lào Cai",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Ninh",
    "025": "Phú Thọ",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Trị",
    "046": "Huế",
    "048": "Đà Nẵng",
    "051": "Quảng Ngãi",
    "052": "Gia Lai",
    "056": "Khánh Hòa",
    "066": "Đắk Lắk",
    "068": "Lâm Đồng",
    "075": "Đồng Nai",
    "079": "TP. Hồ Chí Minh",
    "080": "Tây Ninh",
    "082": "Đồng Tháp",
    "086": "Vĩnh Long",
    "091": "An Giang",
    "092": "Cần Thơ",
    "096": "Cà Mau",
}

PROVINCE_PREFIXES: frozenset[str] = frozenset(PRE_2025_PROVINCE_PREFIXES) | frozenset(
    POST_2025_PROVINCE_PREFIXES
)
FIRST_CENTURY = 1900
LAST_YEAR = 2399
_DIGITS = frozenset("0123456789")
ISSUE_ATTEMPTS = 20


def century_digit(*, year: int, sex: str) -> str:
    """The ``G`` digit for a person born in ``year`` of ``sex``: even for men, odd for women."""
    return str((year // 100 - 19) * 2 + (1 if sex == Sex.FEMALE else 0))


def province_prefix(province_code: str) -> str:
    """``"25"`` or ``"025"`` -> ``"025"``; raises if it is not an accepted province code."""
    code = (province_code or "").strip()
    prefix = code.zfill(3) if code.isdigit() and len(code) <= 3 else code
    if prefix not in PROVINCE_PREFIXES:
        raise ValidationFailed(
            _("Mã tỉnh “%(code)s” không có trong danh mục mã tỉnh, thành phố nơi đăng ký khai sinh.")
            % {"code": province_code},
            field="province_code",
        )
    return prefix


def id_number_problem(
    id_number: object, *, date_of_birth: dt.date | None = None, sex: str | None = None
) -> str | None:
    """The first thing wrong with ``id_number`` as a Vietnamese message, or ``None`` if it is valid.

    The bulk importer calls this for every row, so the valid path does no translation and no allocation
    beyond slicing; ``validate_id_number`` is the raising form for services and forms.
    """
    if not isinstance(id_number, str) or len(id_number) != ID_NUMBER_LENGTH:
        length = len(id_number) if isinstance(id_number, str) else 0
        return _("Số định danh cá nhân phải gồm đúng 12 chữ số (nhận được %(n)d ký tự).") % {"n": length}
    if not _DIGITS.issuperset(id_number):
        return _("Số định danh cá nhân chỉ được gồm các chữ số 0-9.")
    prefix = id_number[:3]
    if prefix not in PROVINCE_PREFIXES:
        return _(
            "Ba chữ số đầu “%(prefix)s” không phải mã tỉnh, thành phố nơi đăng ký khai sinh "
            "(Thông tư 07/2016/TT-BCA, Phụ lục I)."
        ) % {"prefix": prefix}
    g = id_number[3]
    if date_of_birth is not None:
        year = date_of_birth.year
        if not FIRST_CENTURY <= year <= LAST_YEAR:
            return _("Năm sinh %(year)d nằm ngoài phạm vi của mã thế kỷ (1900-2399).") % {"year": year}
        century = str((year // 100 - 19) * 2)
        if g not in (century, str(int(century) + 1)):
            return _(
                "Chữ số thứ 4 (mã thế kỷ và giới tính) là %(g)s, ứng với người sinh trong các năm "
                "%(start)d-%(end)d, nhưng năm sinh là %(year)d."
            ) % {"g": g, "start": 1900 + int(g) // 2 * 100, "end": 1999 + int(g) // 2 * 100, "year": year}
        if id_number[4:6] != f"{year % 100:02d}":
            return _("Chữ số thứ 5-6 (%(yy)s) phải là hai số cuối của năm sinh %(year)d.") % {
                "yy": id_number[4:6],
                "year": year,
            }
    if sex is not None:
        if sex not in (Sex.MALE, Sex.FEMALE):
            return _("Giới tính “%(sex)s” không hợp lệ.") % {"sex": sex}
        expected_odd = sex == Sex.FEMALE
        if (int(g) % 2 == 1) != expected_odd:
            return _(
                "Chữ số thứ 4 (%(g)s) ứng với giới tính %(encoded)s, nhưng giới tính ghi nhận là %(recorded)s."
            ) % {
                "g": g,
                "encoded": Sex.FEMALE.label if int(g) % 2 else Sex.MALE.label,
                "recorded": Sex(sex).label,
            }
    return None


def validate_id_number(
    id_number: str, *, date_of_birth: dt.date | None = None, sex: str | None = None
) -> None:
    """Raise ``ValidationFailed`` (field ``id_number``) unless ``id_number`` is well formed and, when
    given, consistent with the date of birth and the sex (Circular 07/2016/TT-BCA arts. 4-7)."""
    problem = id_number_problem(id_number, date_of_birth=date_of_birth, sex=sex)
    if problem is not None:
        raise ValidationFailed(problem, field="id_number")


def id_number_candidate(*, prefix: str, date_of_birth: dt.date, sex: str) -> str:
    """A well-formed number with six random digits; uniqueness is the caller's concern."""
    year = date_of_birth.year
    if not FIRST_CENTURY <= year <= LAST_YEAR:
        raise ValidationFailed(
            _("Năm sinh %(year)d nằm ngoài phạm vi của mã thế kỷ (1900-2399).") % {"year": year},
            field="date_of_birth",
        )
    return f"{prefix}{century_digit(year=year, sex=sex)}{year % 100:02d}{secrets.randbelow(1_000_000):06d}"


def issue_id_number(*, province_code: str, date_of_birth: dt.date, sex: str) -> str:
    """A new, unused personal ID number for a birth registered in ``province_code``.

    The six random digits are drawn and checked against the registry, inside the caller's transaction,
    up to ``ISSUE_ATTEMPTS`` times. Two concurrent issuances can still draw the same number; the unique
    constraint on ``Person.id_number`` is the final guard, and ``person_register_birth`` retries on it.
    """
    from .models import Person

    if sex not in (Sex.MALE, Sex.FEMALE):
        raise ValidationFailed(_("Giới tính “%(sex)s” không hợp lệ.") % {"sex": sex}, field="sex")
    prefix = province_prefix(province_code)
    for _attempt in range(ISSUE_ATTEMPTS):
        candidate = id_number_candidate(prefix=prefix, date_of_birth=date_of_birth, sex=sex)
        if not Person.objects.filter(id_number=candidate).exists():
            return candidate
    raise ValidationFailed(
        _("Không cấp được số định danh mới sau %(n)d lần thử; vui lòng thử lại.") % {"n": ISSUE_ATTEMPTS},
        code="id_number_exhausted",
    )
