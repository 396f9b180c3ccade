"""The demo province: Phú Thọ (code 25) with its agencies, staff accounts and offered procedures.

DEMO DATA. The agencies and communes are real; their electronic identifier codes, addresses, phone
numbers, e-mail addresses and the people are illustrative. Every account shares one published
password. Never load this into a production database (``load_demo`` refuses unless told otherwise).

Agency codes follow the QCVN 102:2016 layout ``V1V2V3.Z1Z2.Y1Y2.MX1X2`` (Circular 01/2018 art. 19),
read right to left: level 1 ``MX1X2`` is the province, level 2 ``Y1Y2`` a unit of the province (a
department, a commune People's Committee, the provincial police), level 3 ``Z1Z2`` a unit under it
(a commune police station). The official level-1 code of the post-2025 Phú Thọ is not in our sources
and H-codes must not be derived from the alphabet (reference §4.6). The demo therefore uses **H26 as a
placeholder**, the same one the test factories and the provincial procedure codes of the bundled
catalog (``1.012753.H26``) use, so one search-and-replace swaps in the real code. H26 is NOT Phú Thọ's
official code (it may even be another former province's): never exchange documents with real agencies
under it. Pass the official code with ``load_demo --level1-code`` once the province publishes it
(on a fresh database: agencies are keyed by code, so another code creates another set).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _

from egov.accounts.choices import Role, UserKind
from egov.accounts.models import User
from egov.accounts.services import role_grant

from .choices import AgencyKind, AgencyLevel, UnitLevel
from .errors import ValidationFailed
from .models import AdministrativeUnit, Agency, Department
from .services import administrative_units_load, calendar_ensure_default

DEMO_PROVINCE_CODE = "25"
DEMO_LEVEL1_CODE = "H26"  # placeholder, see the module docstring
LEVEL1_CODE = re.compile(r"[A-Z]\d{2}")
DEMO_PASSWORD_ENV = "EGOV_DEMO_PASSWORD"
DEMO_PASSWORD_DEFAULT = "egov-demo-2026"
DEMO_EMAIL_DOMAIN = "phutho.example"  # RFC 2606 reserved: demo mail can never reach a real inbox
DEFAULT_CATALOG = Path(__file__).resolve().parent.parent / "catalog" / "data" / "procedures.yaml"


def demo_password() -> str:
    return os.environ.get(DEMO_PASSWORD_ENV) or DEMO_PASSWORD_DEFAULT


# ---- the province, as data -----------------------------------------------------------------------
@dataclass(frozen=True)
class AgencySpec:
    """One demo agency. ``slug`` names its accounts (``motcua.<slug>``); ``unit`` is the code of the
    administrative unit it serves; ``level2``/``level3`` are its groups in the QCVN 102 code."""

    slug: str
    name: str
    abbreviation: str
    level: str
    kind: str
    unit: str
    level2: int
    level3: int = 0
    parent: str | None = None
    address: str = ""
    phone: str = ""
    departments: tuple[str, ...] = ()
    offered_by: str | None = None
    roles: tuple[str, ...] = ()
    leader_title: str = ""
    specialist_department: str | None = None


ONE_STOP = "Bộ phận Một cửa"
BASIC_ROLES = (Role.RECEPTION, Role.SPECIALIST, Role.LEADER)
ALL_AGENCY_ROLES = (Role.RECEPTION, Role.SPECIALIST, Role.LEADER, Role.CLERK, Role.AGENCY_ADMIN)

PROVINCE_AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec(
        slug="tinh",
        name="Ủy ban nhân dân tỉnh Phú Thọ",
        abbreviation="UBND tỉnh",
        level=AgencyLevel.PROVINCE,
        kind=AgencyKind.PEOPLES_COMMITTEE,
        unit=DEMO_PROVINCE_CODE,
        level2=0,
        address="Đường Trần Phú, phường Việt Trì, tỉnh Phú Thọ",
        phone="0210 3846 001",
        departments=("Văn phòng Ủy ban nhân dân tỉnh",),
        roles=(Role.PROVINCE_ADMIN, Role.LEADER, Role.CLERK),
        leader_title="Phó Chủ tịch Ủy ban nhân dân tỉnh",
    ),
    AgencySpec(
        slug="ttphvcc",
        name="Trung tâm Phục vụ hành chính công tỉnh Phú Thọ",
        abbreviation="TTPVHCC",
        level=AgencyLevel.PROVINCE,
        kind=AgencyKind.SERVICE_CENTRE,
        unit=DEMO_PROVINCE_CODE,
        level2=1,
        parent="tinh",
        address="Đường Hùng Vương, phường Việt Trì, tỉnh Phú Thọ",
        phone="0210 3846 002",
        departments=("Bộ phận tiếp nhận và trả kết quả", "Phòng Hành chính - Tổng hợp"),
        offered_by="service_centre",
        roles=BASIC_ROLES,
        leader_title="Giám đốc Trung tâm",
        specialist_department="Phòng Hành chính - Tổng hợp",
    ),
    AgencySpec(
        slug="sotuphap",
        name="Sở Tư pháp tỉnh Phú Thọ",
        abbreviation="STP",
        level=AgencyLevel.PROVINCE,
        kind=AgencyKind.DEPARTMENT,
        unit=DEMO_PROVINCE_CODE,
        level2=2,
        parent="tinh",
        address="Đường Hùng Vương, phường Nông Trang, tỉnh Phú Thọ",
        phone="0210 3846 003",
        departments=("Văn phòng Sở", ONE_STOP, "Phòng Hành chính tư pháp"),
        offered_by="province_justice",
        roles=ALL_AGENCY_ROLES,
        leader_title="Phó Giám đốc Sở",
        specialist_department="Phòng Hành chính tư pháp",
    ),
    AgencySpec(
        slug="soxaydung",
        name="Sở Xây dựng tỉnh Phú Thọ",
        abbreviation="SXD",
        level=AgencyLevel.PROVINCE,
        kind=AgencyKind.DEPARTMENT,
        unit=DEMO_PROVINCE_CODE,
        level2=3,
        parent="tinh",
        address="Đường Trần Phú, phường Việt Trì, tỉnh Phú Thọ",
        phone="0210 3846 004",
        departments=("Văn phòng Sở", ONE_STOP, "Phòng Quản lý hoạt động xây dựng"),
        offered_by="province_construction",
        roles=BASIC_ROLES,
        leader_title="Phó Giám đốc Sở",
        specialist_department="Phòng Quản lý hoạt động xây dựng",
    ),
    AgencySpec(
        # Natural resources and environment merged into agriculture in 2025 (the ministries first,
        # then the provincial departments), so land and environment procedures are offered here.
        slug="sonnmt",
        name="Sở Nông nghiệp và Môi trường tỉnh Phú Thọ",
        abbreviation="SNNMT",
        level=AgencyLevel.PROVINCE,
        kind=AgencyKind.DEPARTMENT,
        unit=DEMO_PROVINCE_CODE,
        level2=4,
        parent="tinh",
        address="Đường Nguyễn Tất Thành, phường Việt Trì, tỉnh Phú Thọ",
        phone="0210 3846 005",
        departments=("Văn phòng Sở", ONE_STOP, "Phòng Quản lý đất đai"),
        offered_by="province_natural_resources",
        roles=BASIC_ROLES,
        leader_title="Phó Giám đốc Sở",
        specialist_department="Phòng Quản lý đất đai",
    ),
    AgencySpec(
        # Vertically managed by the Ministry of Public Security, not by the provincial People's
        # Committee: a root of the tree here, since the ministry is not loaded.
        slug="congantinh",
        name="Công an tỉnh Phú Thọ",
        abbreviation="CAT",
        level=AgencyLevel.PROVINCE,
        kind=AgencyKind.POLICE,
        unit=DEMO_PROVINCE_CODE,
        level2=5,
        address="Đường Hùng Vương, phường Việt Trì, tỉnh Phú Thọ",
        phone="0210 3846 006",
        departments=(ONE_STOP, "Phòng Cảnh sát quản lý hành chính về trật tự xã hội"),
        offered_by="province_police",
        roles=BASIC_ROLES,
        leader_title="Phó Giám đốc Công an tỉnh",
        specialist_department="Phòng Cảnh sát quản lý hành chính về trật tự xã hội",
    ),
    AgencySpec(
        # Vertically managed by Vietnam Social Security, hence a root as well.
        slug="bhxh",
        name="Bảo hiểm xã hội tỉnh Phú Thọ",
        abbreviation="BHXH",
        level=AgencyLevel.PROVINCE,
        kind=AgencyKind.SOCIAL_INSURANCE,
        unit=DEMO_PROVINCE_CODE,
        level2=6,
        address="Đường Trần Phú, phường Việt Trì, tỉnh Phú Thọ",
        phone="0210 3846 007",
        departments=(ONE_STOP, "Phòng Thu - Sổ, Thẻ"),
    ),
)

# (unit code, slug, street) of the demo communes: the former provincial capitals of Phú Thọ and
# Vĩnh Phúc and a rural commune, checked against vietnam-provinces 2025.10.1 by ``demo_province_load``.
DEMO_COMMUNES: tuple[tuple[str, str, str], ...] = (
    ("07900", "vietri", "Đường Hùng Vương"),
    ("07894", "nongtrang", "Đường Nguyễn Tất Thành"),
    ("08515", "hycuong", "Đường Hy Cương"),
    ("08707", "vinhyen", "Đường Mê Linh"),
)
COMMUNE_DEPARTMENTS = (
    "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân",
    ONE_STOP,
    "Tư pháp - Hộ tịch",
    "Phòng Kinh tế",
)
COMMUNE_LEVEL2_START = 50

# ``offered_by`` kinds of the catalog (egov.catalog.choices.OfferingAgencyKind) held by demo agencies.
COMMUNE_COMMITTEE = "commune_committee"
COMMUNE_POLICE = "commune_police"

ROLE_PREFIX = {
    Role.RECEPTION: "motcua",
    Role.SPECIALIST: "chuyenvien",
    Role.LEADER: "lanhdao",
    Role.CLERK: "vanthu",
    Role.AGENCY_ADMIN: "quantri",
    Role.PROVINCE_ADMIN: "quantri",
}

# Illustrative people; assigned in order, so a given account keeps its name across runs.
DEMO_NAMES = (
    "Nguyễn Thị Hương",
    "Trần Văn Minh",
    "Lê Thị Thu Hà",
    "Phạm Quốc Tuấn",
    "Hoàng Thị Mai",
    "Đỗ Văn Hùng",
    "Bùi Thị Ngọc Anh",
    "Vũ Đức Thắng",
    "Đặng Thị Lan",
    "Ngô Văn Long",
    "Dương Thị Thanh Huyền",
    "Đinh Công Sơn",
    "Hà Thị Phương",
    "Lương Văn Dũng",
    "Trịnh Thị Hạnh",
    "Phan Văn Khánh",
    "Cao Thị Yến",
    "Tạ Quang Huy",
    "Kiều Thị Nga",
    "Nguyễn Hữu Thành",
    "Trần Thị Bích Ngọc",
    "Lê Minh Đức",
    "Phùng Thị Hoa",
    "Hoàng Văn Nam",
    "Nguyễn Thị Thủy",
    "Đào Văn Tiến",
    "Lê Thị Hồng Nhung",
    "Vũ Văn Quân",
    "Nguyễn Thị Kim Oanh",
    "Trần Đức Anh",
    "Hán Thị Loan",
    "Nguyễn Văn Bình",
    "Đỗ Thị Thảo",
    "Phạm Văn Cường",
    "Bùi Thị Vân",
    "Lê Văn Hải",
    "Nguyễn Thị Linh",
    "Trần Quang Vinh",
    "Hoàng Thị Hà",
    "Ngô Thị Trang",
    "Đinh Văn Toàn",
    "Vương Thị Hằng",
    "Nguyễn Mạnh Hùng",
    "Lại Thị Hòa",
    "Triệu Văn Phúc",
    "Chu Thị Mến",
    "Mai Văn Tâm",
    "Kim Thị Duyên",
    "Tống Văn Lực",
    "Quách Thị Xuân",
)


def _commune_specs(communes: dict[str, AdministrativeUnit]) -> list[AgencySpec]:
    specs: list[AgencySpec] = []
    for index, (code, slug, street) in enumerate(DEMO_COMMUNES):
        unit = communes[code]
        # "Phường Việt Trì" -> "phường Việt Trì" inside an agency name.
        place = unit.name[0].lower() + unit.name[1:]
        full_set = index == 0
        specs.append(
            AgencySpec(
                slug=slug,
                name=f"Ủy ban nhân dân {place}",
                abbreviation="UBND",
                level=AgencyLevel.COMMUNE,
                kind=AgencyKind.PEOPLES_COMMITTEE,
                unit=code,
                level2=COMMUNE_LEVEL2_START + index,
                parent="tinh",
                address=f"{street}, {place}, tỉnh Phú Thọ",
                phone=f"0210 3850 {100 + index:03d}",
                departments=COMMUNE_DEPARTMENTS,
                offered_by=COMMUNE_COMMITTEE,
                roles=ALL_AGENCY_ROLES if full_set else BASIC_ROLES,
                leader_title=f"Phó Chủ tịch Ủy ban nhân dân {unit.division_type}",
                specialist_department="Tư pháp - Hộ tịch",
            )
        )
        # Since 2025 the commune police is a unit of the provincial police serving one commune.
        specs.append(
            AgencySpec(
                slug=f"ca{slug}",
                name=f"Công an {place}",
                abbreviation="CA",
                level=AgencyLevel.COMMUNE,
                kind=AgencyKind.POLICE,
                unit=code,
                level2=5,
                level3=index + 1,
                parent="congantinh",
                address=f"{street}, {place}, tỉnh Phú Thọ",
                phone=f"0210 3860 {100 + index:03d}",
                departments=(ONE_STOP, "Tổ Quản lý hành chính về trật tự xã hội"),
                offered_by=COMMUNE_POLICE,
                roles=BASIC_ROLES,
                leader_title=f"Trưởng Công an {unit.division_type}",
                specialist_department="Tổ Quản lý hành chính về trật tự xã hội",
            )
        )
    return specs


# ---- loading -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    agency: str


@dataclass
class DemoResult:
    units_created: int = 0
    calendar_created: bool = False
    agencies: list[Agency] = field(default_factory=list)
    accounts: list[DemoAccount] = field(default_factory=list)
    procedures: int = 0
    offerings: int = 0
    catalog_summary: str = ""
    warnings: list[str] = field(default_factory=list)


def agency_code(spec: AgencySpec, level1: str) -> str:
    return f"000.{spec.level3:02d}.{spec.level2:02d}.{level1}"


def _position(spec: AgencySpec, role: str) -> str:
    if role == Role.LEADER:
        return spec.leader_title
    if role == Role.RECEPTION:
        return "Cán bộ tiếp nhận hồ sơ" if spec.kind == AgencyKind.POLICE else "Công chức Bộ phận Một cửa"
    if role == Role.SPECIALIST:
        return "Công chức Tư pháp - Hộ tịch" if spec.offered_by == COMMUNE_COMMITTEE else "Chuyên viên"
    if role == Role.CLERK:
        return "Văn thư"
    if role == Role.PROVINCE_ADMIN:
        return "Quản trị hệ thống cấp tỉnh"
    return "Quản trị hệ thống của cơ quan"


def _department_for(spec: AgencySpec, role: str) -> str | None:
    if role == Role.RECEPTION:
        return ONE_STOP if ONE_STOP in spec.departments else spec.departments[0]
    if role == Role.SPECIALIST:
        return spec.specialist_department
    if role == Role.CLERK:
        return spec.departments[0]
    return None


@transaction.atomic
def demo_province_load(
    *, password: str, level1_code: str = DEMO_LEVEL1_CODE, catalog_path: Path | None = DEFAULT_CATALOG
) -> DemoResult:
    """Build (or bring up to date) the demo province. Idempotent: agencies are keyed by code,
    departments by name, accounts by username, roles by (user, agency, role), offerings by
    (procedure, agency); a re-run resets the demo accounts' password to ``password``."""
    if not LEVEL1_CODE.fullmatch(level1_code):
        raise ValidationFailed(
            _("Mã cấp 1 phải có dạng MX1X2 (một chữ cái in hoa và hai chữ số), ví dụ H26."),
            field="level1_code",
        )
    result = DemoResult()
    result.units_created = administrative_units_load().created
    _calendar, result.calendar_created = calendar_ensure_default()

    province = AdministrativeUnit.objects.get(
        level=UnitLevel.PROVINCE, code=DEMO_PROVINCE_CODE, valid_to__isnull=True
    )
    wanted = [code for code, _slug, _street in DEMO_COMMUNES]
    communes = {
        unit.code: unit
        for unit in AdministrativeUnit.objects.filter(
            level=UnitLevel.COMMUNE, code__in=wanted, parent=province, valid_to__isnull=True
        )
    }
    missing = sorted(set(wanted) - set(communes))
    if missing:
        raise ValidationFailed(
            _("Không tìm thấy xã, phường mã %(codes)s thuộc tỉnh Phú Thọ trong dữ liệu đơn vị hành chính.")
            % {"codes": ", ".join(missing)}
        )
    units = {province.code: province, **communes}
    specs = [*PROVINCE_AGENCIES, *_commune_specs(communes)]

    agencies: dict[str, Agency] = {}
    departments: dict[tuple[str, str], Department] = {}
    for spec in specs:  # parents come before their children in ``specs``
        agency, _created = Agency.objects.update_or_create(
            code=agency_code(spec, level1_code),
            defaults={
                "name": spec.name,
                "abbreviation": spec.abbreviation,
                "level": spec.level,
                "kind": spec.kind,
                "parent": agencies[spec.parent] if spec.parent else None,
                "administrative_unit": units[spec.unit],
                "address": spec.address,
                "phone": spec.phone,
                "email": f"{spec.slug}@{DEMO_EMAIL_DOMAIN}",
                "is_active": True,
            },
        )
        agencies[spec.slug] = agency
        for name in spec.departments:
            departments[(spec.slug, name)] = Department.objects.get_or_create(agency=agency, name=name)[0]
    result.agencies = [agencies[spec.slug] for spec in specs]

    # One hash for every demo account: they share a published password anyway, and hashing ~45
    # times with Django's PBKDF2 would take tens of seconds.
    password_hash = make_password(password)
    for spec in specs:
        for role in spec.roles:
            username = f"{ROLE_PREFIX[role]}.{spec.slug}"
            full_name = DEMO_NAMES[len(result.accounts) % len(DEMO_NAMES)]
            user, _created = User.objects.update_or_create(
                username=username,
                defaults={
                    "full_name": full_name,
                    "kind": UserKind.OFFICER,
                    "position": _position(spec, role),
                    "email": f"{username}@{DEMO_EMAIL_DOMAIN}",
                    "password": password_hash,
                    "is_active": True,
                    # The province admin may open the Django admin of the demo.
                    "is_staff": role == Role.PROVINCE_ADMIN,
                    "is_superuser": role == Role.PROVINCE_ADMIN,
                },
            )
            department_name = _department_for(spec, role)
            role_grant(
                user=user,
                agency=agencies[spec.slug],
                role=role,
                department=departments.get((spec.slug, department_name)) if department_name else None,
            )
            result.accounts.append(
                DemoAccount(
                    username=username, full_name=full_name, role=str(Role(role).label), agency=spec.name
                )
            )

    if catalog_path is not None:
        _load_catalog(result, catalog_path=catalog_path, specs=specs, agencies=agencies)
    return result


def _load_catalog(
    result: DemoResult, *, catalog_path: Path, specs: Iterable[AgencySpec], agencies: dict[str, Agency]
) -> None:
    """Import the catalog file, then offer at every demo agency the procedures whose ``offered_by``
    names the agency's kind (``catalog.choices.OfferingAgencyKind``)."""
    from egov.catalog.selectors import offerings_for_agency, procedures_offered_by
    from egov.catalog.services import catalog_import, offerings_ensure_for_kind

    report = catalog_import(stream_or_path=catalog_path)
    result.catalog_summary = report.summary()
    result.procedures = report.total
    demo_agencies = []
    for spec in specs:
        if not spec.offered_by:
            continue
        agency = agencies[spec.slug]
        demo_agencies.append(agency)
        offerings_ensure_for_kind(agency=agency, kind=spec.offered_by)
        # The catalog skips procedures without a process template; say so rather than hide it.
        expected = len(procedures_offered_by(spec.offered_by))
        offered = offerings_for_agency(agency.pk).count()
        if offered < expected:
            result.warnings.append(
                _(
                    "%(agency)s: %(offered)s/%(expected)s thủ tục được áp dụng (thủ tục chưa có quy trình bị bỏ qua)."
                )
                % {"agency": agency.name, "offered": offered, "expected": expected}
            )
    result.offerings = sum(offerings_for_agency(agency.pk).count() for agency in demo_agencies)
