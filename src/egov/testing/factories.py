"""Test data builders shared by every app's tests (factory_boy)."""

from __future__ import annotations

from decimal import Decimal

import factory

from egov.accounts.choices import Role, UserKind
from egov.accounts.models import RoleAssignment, User
from egov.catalog.models import (
    Field,
    Procedure,
    ProcedureOffering,
    ProcessStep,
    ProcessTemplate,
    RequiredDocument,
)
from egov.core.choices import AgencyKind, AgencyLevel, TimeUnit, UnitLevel
from egov.core.models import AdministrativeUnit, Agency


class AdministrativeUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdministrativeUnit
        django_get_or_create = ("level", "code")

    code = factory.Sequence(lambda n: f"{90000 + n:05d}")
    name = factory.Sequence(lambda n: f"Xã Thử Nghiệm {n}")
    level = UnitLevel.COMMUNE


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{n % 1000:03d}.{(n // 1000) % 100:02d}.25.H26")
    name = factory.Sequence(lambda n: f"Ủy ban nhân dân xã Thử Nghiệm {n}")
    abbreviation = "UBND"
    level = AgencyLevel.COMMUNE
    kind = AgencyKind.PEOPLES_COMMITTEE
    administrative_unit = factory.SubFactory(AdministrativeUnitFactory)
    address = "Số 1 đường Hùng Vương"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.vn")
    kind = UserKind.OFFICER
    password = factory.django.Password("matkhau-Thu-nghiem-1")


def officer(agency: Agency, *roles: str, username: str | None = None) -> User:
    """An officer holding ``roles`` in ``agency``."""
    user = UserFactory(username=username) if username else UserFactory()
    for role in roles or (Role.SPECIALIST,):
        RoleAssignment.objects.get_or_create(user=user, agency=agency, role=role)
    return user


class FieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Field
        django_get_or_create = ("code",)

    code = "HT"
    name = "Hộ tịch"


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"1.{900000 + n:06d}")
    name = factory.Sequence(lambda n: f"Thủ tục thử nghiệm {n}")
    field = factory.SubFactory(FieldFactory)
    level = "commune"
    implementing_agency = "Ủy ban nhân dân cấp xã"
    processing_amount = Decimal("5")
    processing_unit = TimeUnit.WORKING_DAYS
    fee_in_person = 20000
    fee_online = 10000
    result = "Giấy xác nhận"
    online_level = "full"


def procedure_with_process(
    *, agency: Agency, amount: str = "5", unit: str = TimeUnit.WORKING_DAYS, documents: int = 2, **kwargs
) -> ProcedureOffering:
    """A procedure offered by ``agency`` with ``documents`` mandatory papers and a 4-step process
    (reception, specialist, leader decision, reception) whose budgets add up to ``amount``."""
    procedure = ProcedureFactory(processing_amount=Decimal(amount), processing_unit=unit, **kwargs)
    for position in range(1, documents + 1):
        RequiredDocument.objects.get_or_create(
            procedure=procedure,
            position=position,
            defaults={"name": f"Giấy tờ số {position}", "mandatory": True},
        )
    RequiredDocument.objects.get_or_create(
        procedure=procedure,
        position=documents + 1,
        defaults={"name": "Giấy tờ không bắt buộc", "mandatory": False},
    )
    total = Decimal(amount)
    template = ProcessTemplate.objects.create(procedure=procedure, name=f"Quy trình {procedure.code}")
    quarter = (total / 4).quantize(Decimal("0.01"))
    budgets = [quarter, total - 3 * quarter, quarter, quarter]
    steps = [
        ("Tiếp nhận, chuyển hồ sơ", Role.RECEPTION, False),
        ("Thẩm định hồ sơ", Role.SPECIALIST, False),
        ("Phê duyệt", Role.LEADER, True),
        ("Trả kết quả", Role.RECEPTION, False),
    ]
    for position, ((name, role, decision), budget) in enumerate(zip(steps, budgets, strict=True), start=1):
        ProcessStep.objects.create(
            template=template, position=position, name=name, role=role, amount=budget, is_decision=decision
        )
    return ProcedureOffering.objects.create(procedure=procedure, agency=agency, process_template=template)
