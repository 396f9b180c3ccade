"""Writes for the catalog: procedures, required documents, process templates, offerings, YAML import/export.

Rules kept here (reference §3, DESIGN.md "Catalog"):

* A procedure is identified by its code (mã TTHC, e.g. ``1.001193``); imports are idempotent by code.
* The steps of every process template share out the statutory processing time exactly: their budgets,
  in the procedure's unit, add up to the statutory amount ("same day" procedures have amount 1, shared
  out in fractions of the day). Dossier deadlines per step are computed from these budgets, so a template
  that does not add up would make step deadlines disagree with the legal deadline.
* ``Procedure.search_text`` is the normalized code, name and field (see ``search.py``), refreshed by every
  service that changes one of them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

import yaml
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from egov.accounts.choices import Role
from egov.core.choices import TimeUnit
from egov.core.errors import ValidationFailed
from egov.core.models import Agency

from .choices import CodeSource, DocumentForm, GovernmentLevel, OfferingAgencyKind, OnlineLevel
from .models import Field, Procedure, ProcedureOffering, ProcessStep, ProcessTemplate, RequiredDocument
from .search import procedure_search_text
from .selectors import procedures_offered_by

#: Roles that may carry a step of a process (administrators do not process dossiers).
PROCESS_ROLES = (Role.RECEPTION, Role.SPECIALIST, Role.LEADER, Role.CLERK)
CATALOG_FORMAT_VERSION = 1
DEFAULT_CATALOG_PATH = Path(__file__).resolve().parent / "data" / "procedures.yaml"

_CENT = Decimal("0.01")
_MAX_AMOUNT = Decimal("9999.99")
_CODE_RE = re.compile(r"^\d\.\d{6}(\.[0-9A-Z.]+)?$")


# --------------------------------------------------------------------------------------------------
# Inputs and results
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DocumentInput:
    """One paper of a dossier as entered by an admin; ``id`` keeps the identity of an existing row."""

    name: str
    form: str = DocumentForm.ORIGINAL
    quantity: int = 1
    mandatory: bool = True
    template_name: str = ""
    id: int | None = None


@dataclass(frozen=True)
class StepInput:
    """One step of a process template; ``amount`` is in the procedure's time unit."""

    name: str
    role: str
    amount: Decimal | int | float | str
    is_decision: bool = False
    id: int | None = None


@dataclass
class ImportReport:
    """What ``catalog_import`` did, by procedure code."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    fields_created: list[str] = field(default_factory=list)
    fields_updated: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged) + len(self.skipped)

    def summary(self) -> str:
        return _(
            "%(total)d thủ tục: %(created)d thêm mới, %(updated)d cập nhật, %(unchanged)d không đổi, "
            "%(skipped)d bỏ qua; %(fields)d lĩnh vực thêm mới."
        ) % {
            "total": self.total,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "skipped": len(self.skipped),
            "fields": len(self.fields_created),
        }


class CatalogImportError(ValidationFailed):
    """A catalog file that cannot be imported; ``errors`` lists every problem found (nothing was written)."""

    code = "catalog_import_error"

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        head = _("Không nhập được danh mục thủ tục (%(count)d lỗi, không có dữ liệu nào được ghi):") % {
            "count": len(self.errors)
        }
        super().__init__("\n".join([head, *self.errors]))


# --------------------------------------------------------------------------------------------------
# Validation helpers shared by the import and by the admin pages
# --------------------------------------------------------------------------------------------------
class _Errors:
    """Collects problems as (field path, message)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_first(self) -> None:
        if self.items:
            path, message = self.items[0]
            raise ValidationFailed(message, field=path)


def format_amount(amount: Decimal | int | float) -> str:
    """``Decimal("6.50")`` -> ``"6,5"`` (Vietnamese decimal comma)."""
    text = format(Decimal(str(amount)).normalize(), "f")
    return text.replace(".", ",")


def time_label(amount: Decimal | int | float, unit: str) -> str:
    """Human form of a processing time: "7 ngày làm việc", "Trong ngày"."""
    if unit == TimeUnit.SAME_DAY:
        return _("Trong ngày")
    return f"{format_amount(amount)} {TimeUnit(unit).label}"


def _text(
    raw: Mapping, key: str, path: str, errors: _Errors, *, required: bool = False, max_length: int = 0
) -> str:
    value = raw.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            errors.add(path, _("phải là chuỗi ký tự"))
            return ""
        value = str(value)
    value = value.strip()
    if required and not value:
        errors.add(path, _("không được để trống"))
    if max_length and len(value) > max_length:
        errors.add(path, _("dài quá %(max)d ký tự") % {"max": max_length})
    return value


def _choice(value: Any, choices: type, path: str, errors: _Errors, *, default: str | None = None) -> str:
    if value in (None, "") and default is not None:
        return default
    allowed = list(choices.values)
    if value not in allowed:
        errors.add(
            path,
            _("giá trị “%(value)s” không hợp lệ (chọn một trong: %(allowed)s)")
            % {"value": value, "allowed": ", ".join(allowed)},
        )
        return str(value or "")
    return str(value)


def _bool(value: Any, path: str, errors: _Errors, *, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        errors.add(path, _("phải là true hoặc false"))
        return default
    return value


def _whole_vnd(value: Any, path: str, errors: _Errors) -> int:
    """Fees are whole đồng (DESIGN.md "Payments": amounts in whole VND)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        errors.add(path, _("phải là số đồng nguyên, không âm"))
        return 0
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.add(path, _("phải là số đồng nguyên, không âm"))
        return 0
    if number < 0 or number != number.to_integral_value():
        errors.add(path, _("phải là số đồng nguyên, không âm"))
        return 0
    return int(number)


def _positive_int(value: Any, path: str, errors: _Errors, *, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        errors.add(path, _("phải là số nguyên dương"))
        return default
    return value


def _amount(value: Any, path: str, errors: _Errors, *, allow_zero: bool = False) -> Decimal:
    """A time amount with at most two decimals (the column is ``DecimalField(decimal_places=2)``)."""
    if isinstance(value, bool) or value is None or value == "":
        errors.add(path, _("phải là một số"))
        return Decimal(0)
    try:
        number = Decimal(str(value).replace(",", ".")) if isinstance(value, str) else Decimal(str(value))
    except InvalidOperation:
        errors.add(path, _("phải là một số"))
        return Decimal(0)
    if not number.is_finite():
        errors.add(path, _("phải là một số"))
        return Decimal(0)
    if number != number.quantize(_CENT):
        errors.add(path, _("chỉ được có tối đa 2 chữ số thập phân"))
    if number < 0 or (number == 0 and not allow_zero):
        errors.add(path, _("phải lớn hơn 0"))
    if number > _MAX_AMOUNT:
        errors.add(path, _("quá lớn"))
    return number.quantize(_CENT) if number.is_finite() and abs(number) <= _MAX_AMOUNT else Decimal(0)


def _check_processing_time(amount: Decimal, unit: str, path: str, errors: _Errors) -> None:
    """ "Same day" (ngay trong ngày) procedures carry amount 1: their steps share out one day."""
    if unit == TimeUnit.SAME_DAY and amount != 1:
        errors.add(f"{path}.amount", _("thủ tục giải quyết trong ngày phải có thời hạn bằng 1"))


def _parse_steps(raw_steps: Any, path: str, errors: _Errors) -> list[dict[str, Any]]:
    if not isinstance(raw_steps, list) or not raw_steps:
        errors.add(path, _("quy trình phải có ít nhất một bước"))
        return []
    steps = []
    for index, raw in enumerate(raw_steps):
        step_path = f"{path}[{index}]"
        if isinstance(raw, StepInput):
            raw = {
                "name": raw.name,
                "role": raw.role,
                "amount": raw.amount,
                "decision": raw.is_decision,
                "id": raw.id,
            }
        if not isinstance(raw, Mapping):
            errors.add(step_path, _("mỗi bước phải là một bảng khóa: giá trị"))
            continue
        unknown = set(raw) - {"name", "role", "amount", "decision", "is_decision", "id"}
        if unknown:
            errors.add(
                step_path,
                _("khóa không được hỗ trợ: %(keys)s") % {"keys": ", ".join(sorted(map(str, unknown)))},
            )
        decision = raw.get("decision", raw.get("is_decision"))
        steps.append(
            {
                "name": _text(raw, "name", f"{step_path}.name", errors, required=True, max_length=255),
                "role": _choice(raw.get("role"), _ProcessRole, f"{step_path}.role", errors),
                "amount": _amount(raw.get("amount"), f"{step_path}.amount", errors),
                "decision": _bool(decision, f"{step_path}.decision", errors, default=False),
                "id": raw.get("id"),
            }
        )
    for index, step in enumerate(steps):
        if step["decision"] and step["role"] != Role.LEADER:
            errors.add(f"{path}[{index}].role", _("bước phê duyệt phải do lãnh đạo thực hiện"))
    if steps and not any(step["decision"] for step in steps):
        errors.add(path, _("quy trình phải có một bước phê duyệt của lãnh đạo (decision: true)"))
    return steps


def _check_steps_sum(
    steps: Sequence[Mapping[str, Any]], amount: Decimal, unit: str, path: str, errors: _Errors
) -> None:
    """The steps' budgets must add up exactly to the statutory time, so step deadlines end on the legal deadline."""
    if not steps:
        return
    total = sum((Decimal(step["amount"]) for step in steps), Decimal(0))
    if total != amount:
        errors.add(
            path,
            _(
                "tổng thời gian các bước (%(total)s) phải bằng đúng thời hạn giải quyết (%(amount)s %(unit)s), "
                "đang %(diff)s %(delta)s"
            )
            % {
                "total": format_amount(total),
                "amount": format_amount(amount),
                "unit": TimeUnit(unit).label if unit in TimeUnit.values else unit,
                "diff": _("thừa") if total > amount else _("thiếu"),
                "delta": format_amount(abs(total - amount)),
            },
        )


def _parse_documents(raw_documents: Any, path: str, errors: _Errors) -> list[dict[str, Any]]:
    if raw_documents is None:
        return []
    if not isinstance(raw_documents, list):
        errors.add(path, _("phải là một danh sách"))
        return []
    documents = []
    for index, raw in enumerate(raw_documents):
        doc_path = f"{path}[{index}]"
        if isinstance(raw, DocumentInput):
            raw = {
                "name": raw.name,
                "form": raw.form,
                "quantity": raw.quantity,
                "mandatory": raw.mandatory,
                "template": raw.template_name,
                "id": raw.id,
            }
        if not isinstance(raw, Mapping):
            errors.add(doc_path, _("mỗi giấy tờ phải là một bảng khóa: giá trị"))
            continue
        unknown = set(raw) - {"name", "form", "quantity", "mandatory", "template", "template_name", "id"}
        if unknown:
            errors.add(
                doc_path,
                _("khóa không được hỗ trợ: %(keys)s") % {"keys": ", ".join(sorted(map(str, unknown)))},
            )
        template_key = "template" if "template" in raw else "template_name"
        documents.append(
            {
                "name": _text(raw, "name", f"{doc_path}.name", errors, required=True, max_length=500),
                "form": _choice(
                    raw.get("form"), DocumentForm, f"{doc_path}.form", errors, default=DocumentForm.ORIGINAL
                ),
                "quantity": _positive_int(raw.get("quantity"), f"{doc_path}.quantity", errors, default=1),
                "mandatory": _bool(raw.get("mandatory"), f"{doc_path}.mandatory", errors, default=True),
                "template": _text(raw, template_key, f"{doc_path}.template", errors, max_length=200),
                "id": raw.get("id"),
            }
        )
    return documents


class _ProcessRole:
    """The subset of ``Role`` allowed on a process step (for ``_choice``)."""

    values = [str(role) for role in PROCESS_ROLES]


def _offered_by(value: Any, path: str, errors: _Errors) -> list[str]:
    if value in (None, ""):
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        errors.add(path, _("phải là một loại cơ quan hoặc danh sách loại cơ quan"))
        return []
    result: list[str] = []
    for index, item in enumerate(items):
        kind = _choice(item, OfferingAgencyKind, f"{path}[{index}]", errors)
        if kind not in result:
            result.append(kind)
    return result


_SCALAR_KEYS = {
    "code", "name", "field", "level", "implementing_agency", "offered_by", "processing_time", "fees",
    "online_level", "applicants", "conditions", "result", "legal_basis", "code_source", "note", "is_active",
    "form_schema",
}  # fmt: skip
_PROCEDURE_KEYS = _SCALAR_KEYS | {"required_documents", "process", "other_processes"}


def _parse_scalars(raw: Mapping[str, Any], errors: _Errors) -> dict[str, Any]:
    """The procedure's own columns from a YAML-shaped mapping (``field`` is left to the caller)."""
    code = raw.get("code")
    if isinstance(code, float):
        # An unquoted 1.004220 is read by YAML as the number 1.00422 and loses its trailing zero.
        errors.add("code", _('mã thủ tục phải đặt trong dấu nháy, ví dụ "1.001193"'))
        code = str(code)
    elif not isinstance(code, str) or not code.strip():
        errors.add("code", _("không được để trống"))
        code = str(code or "")
    code = code.strip()
    if code and not _CODE_RE.match(code):
        errors.add(
            "code", _("mã thủ tục phải có dạng 1.001193 (có thể thêm hậu tố mã cơ quan, ví dụ 1.012753.H26)")
        )
    if len(code) > 40:
        errors.add("code", _("dài quá %(max)d ký tự") % {"max": 40})

    time = raw.get("processing_time")
    if not isinstance(time, Mapping):
        errors.add("processing_time", _("phải có dạng {amount: số, unit: đơn vị}"))
        time = {}
    elif set(time) - {"amount", "unit"}:
        errors.add("processing_time", _("chỉ có các khóa amount và unit"))
    unit = _choice(time.get("unit"), TimeUnit, "processing_time.unit", errors)
    if unit == TimeUnit.SAME_DAY and time.get("amount") is None:
        amount = Decimal("1.00")
    else:
        amount = _amount(time.get("amount"), "processing_time.amount", errors)
    _check_processing_time(amount, unit, "processing_time", errors)

    fees = raw.get("fees")
    if fees is None:
        fees = {}
    if not isinstance(fees, Mapping):
        errors.add("fees", _("phải có dạng {in_person: số đồng, online: số đồng, note: ghi chú}"))
        fees = {}
    elif set(fees) - {"in_person", "online", "note"}:
        errors.add("fees", _("chỉ có các khóa in_person, online và note"))

    form_schema = raw.get("form_schema")
    if form_schema is None:
        form_schema = {}
    if not isinstance(form_schema, Mapping):
        errors.add("form_schema", _("phải là một bảng khóa: giá trị"))
        form_schema = {}

    return {
        "code": code,
        "name": _text(raw, "name", "name", errors, required=True, max_length=500),
        "level": _choice(raw.get("level"), GovernmentLevel, "level", errors),
        "implementing_agency": _text(
            raw, "implementing_agency", "implementing_agency", errors, required=True, max_length=255
        ),
        "offered_by": _offered_by(raw.get("offered_by"), "offered_by", errors),
        "processing_amount": amount,
        "processing_unit": unit,
        "fee_in_person": _whole_vnd(fees.get("in_person"), "fees.in_person", errors),
        "fee_online": _whole_vnd(fees.get("online"), "fees.online", errors),
        "fee_note": _text(fees, "note", "fees.note", errors, max_length=500),
        "online_level": _choice(raw.get("online_level"), OnlineLevel, "online_level", errors),
        "applicants": _text(raw, "applicants", "applicants", errors, max_length=255),
        "conditions": _text(raw, "conditions", "conditions", errors),
        "result": _text(raw, "result", "result", errors, required=True, max_length=500),
        "legal_basis": _text(raw, "legal_basis", "legal_basis", errors),
        "code_source": _choice(
            raw.get("code_source"), CodeSource, "code_source", errors, default=CodeSource.NATIONAL
        ),
        "data_note": _text(raw, "note", "note", errors),
        "is_active": _bool(raw.get("is_active"), "is_active", errors, default=True),
        "form_schema": dict(form_schema),
    }


def _parse_process(
    raw: Any, path: str, amount: Decimal, unit: str, errors: _Errors, *, default_name: str
) -> dict | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        errors.add(path, _("phải có dạng {name: tên quy trình, steps: [...]}"))
        return None
    if set(raw) - {"name", "steps"}:
        errors.add(path, _("chỉ có các khóa name và steps"))
    name = _text(raw, "name", f"{path}.name", errors, max_length=255) or default_name
    steps = _parse_steps(raw.get("steps"), f"{path}.steps", errors)
    _check_steps_sum(steps, amount, unit, f"{path}.steps", errors)
    return {"name": name, "steps": [{k: v for k, v in s.items() if k != "id"} for s in steps]}


# --------------------------------------------------------------------------------------------------
# Writes on single rows (used by the admin pages and by the import)
# --------------------------------------------------------------------------------------------------
def _full_clean(instance: Any, *, exclude: Iterable[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        field_name, messages = next(iter(exc.message_dict.items()))
        raise ValidationFailed(f"{field_name}: {' '.join(messages)}", field=field_name) from exc


def _refresh_search_text(procedure: Procedure) -> None:
    text = procedure_search_text(procedure)
    if text != procedure.search_text:
        procedure.search_text = text
        if procedure.pk:
            Procedure.objects.filter(pk=procedure.pk).update(search_text=text)


@transaction.atomic
def field_save(*, code: str, name: str, field: Field | None = None) -> Field:
    """Create or rename a field (lĩnh vực, Circular 01/2018 art. 20); refreshes its procedures' search keys.

    Without ``field`` the field is found by ``code`` (created if missing), so the call is idempotent.
    """
    errors = _Errors()
    code = _text({"code": code}, "code", "code", errors, required=True, max_length=30)
    name = _text({"name": name}, "name", "name", errors, required=True, max_length=200)
    errors.raise_first()
    if field is None:
        field, created = Field.objects.select_for_update().get_or_create(code=code, defaults={"name": name})
        if created:
            return field
    else:
        field = Field.objects.select_for_update().get(pk=field.pk)
        if Field.objects.filter(code=code).exclude(pk=field.pk).exists():
            raise ValidationFailed(_("Mã lĩnh vực %(code)s đã tồn tại.") % {"code": code}, field="code")
    if (field.code, field.name) != (code, name):
        field.code, field.name = code, name
        field.save(update_fields=["code", "name"])
        for procedure in Procedure.objects.filter(field=field).select_related("field"):
            _refresh_search_text(procedure)
    return field


def _template_sum_errors(
    procedure: Procedure, amount: Decimal, unit: str, *, exclude_template_id: int | None = None
) -> list[str]:
    problems = []
    for template in procedure.process_templates.exclude(pk=exclude_template_id).prefetch_related("steps"):
        steps = [{"amount": step.amount} for step in template.steps.all()]
        errors = _Errors()
        _check_steps_sum(steps, amount, unit, "steps", errors)
        if errors:
            problems.append(
                _("Quy trình “%(name)s”: %(message)s.")
                % {"name": template.name, "message": errors.items[0][1]}
            )
    return problems


@transaction.atomic
def procedure_save(
    *,
    procedure: Procedure | None = None,
    code: str,
    name: str,
    field: Field,
    level: str,
    implementing_agency: str,
    processing_amount: Decimal | int | float | str,
    processing_unit: str,
    result: str,
    online_level: str,
    fee_in_person: int = 0,
    fee_online: int = 0,
    fee_note: str = "",
    applicants: str = "",
    conditions: str = "",
    legal_basis: str = "",
    offered_by: Sequence[str] = (),
    code_source: str = CodeSource.NATIONAL,
    data_note: str = "",
    form_schema: Mapping[str, Any] | None = None,
    is_active: bool = True,
) -> Procedure:
    """Create (``procedure=None``) or update a procedure's own data.

    The statutory time may change only if every process template of the procedure still adds up to it;
    to change both at once use ``process_template_replace_steps(..., processing_amount=...)``.
    """
    errors = _Errors()
    data = _parse_scalars(
        {
            "code": code,
            "name": name,
            "level": level,
            "implementing_agency": implementing_agency,
            "offered_by": list(offered_by),
            "processing_time": {"amount": processing_amount, "unit": processing_unit},
            "fees": {"in_person": fee_in_person, "online": fee_online, "note": fee_note},
            "online_level": online_level,
            "applicants": applicants,
            "conditions": conditions,
            "result": result,
            "legal_basis": legal_basis,
            "code_source": code_source,
            "note": data_note,
            "is_active": is_active,
            "form_schema": form_schema or {},
        },
        errors,
    )
    errors.raise_first()
    clash = Procedure.objects.filter(code=data["code"])
    if procedure is not None:
        procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
        clash = clash.exclude(pk=procedure.pk)
    if clash.exists():
        raise ValidationFailed(_("Mã thủ tục %(code)s đã tồn tại.") % {"code": data["code"]}, field="code")
    if procedure is not None:
        problems = _template_sum_errors(procedure, data["processing_amount"], data["processing_unit"])
        if problems:
            raise ValidationFailed(
                _(
                    "Không đổi được thời hạn giải quyết vì các bước của quy trình không còn cộng đúng thời hạn mới. "
                    "Hãy sửa thời hạn cùng các bước trên trang Quy trình. %(details)s"
                )
                % {"details": " ".join(problems)},
                field="processing_amount",
            )
    else:
        procedure = Procedure()
    for attr, value in data.items():
        setattr(procedure, attr, value)
    procedure.field = field
    procedure.search_text = procedure_search_text(procedure)
    _full_clean(procedure, exclude=["search_text"])
    procedure.save()
    return procedure


def _sync_positioned(
    *,
    model: type,
    parent: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    by_id: bool,
) -> list[Any]:
    """Make the children of ``parent`` equal ``rows`` (in order), keeping row identity where possible.

    With ``by_id`` rows name the existing row they edit (``id``), so a reordered paper keeps its id and
    the dossiers that point at it; otherwise (imports) the n-th row updates the n-th existing one.
    Positions are unique per parent, so kept rows are first moved out of the way.
    """
    existing = list(model.objects.filter(**parent).order_by("position"))
    by_pk = {obj.pk: obj for obj in existing}
    targets: list[Any] = []
    if by_id:
        for index, row in enumerate(rows):
            pk = row.get("id")
            if pk in (None, ""):
                targets.append(None)
                continue
            obj = by_pk.get(int(pk))
            if obj is None or obj in targets:
                raise ValidationFailed(
                    _("Dòng %(n)d không thuộc thủ tục, quy trình này.") % {"n": index + 1}, field="id"
                )
            targets.append(obj)
    else:
        targets = [existing[i] if i < len(existing) else None for i in range(len(rows))]
    kept = {obj.pk for obj in targets if obj is not None}
    model.objects.filter(**parent).exclude(pk__in=kept).delete()
    if kept:
        model.objects.filter(pk__in=kept).update(position=F("position") + 10000)
    saved = []
    for index, (row, obj) in enumerate(zip(rows, targets, strict=True), start=1):
        values = {column: row[column] for column in columns}
        if obj is None:
            obj = model(**parent, position=index, **values)
            _full_clean(obj, exclude=[*parent.keys()])
            obj.save()
        else:
            for column, value in values.items():
                setattr(obj, column, value)
            obj.position = index
            _full_clean(obj, exclude=[*parent.keys()])
            obj.save(update_fields=["position", *columns])
        saved.append(obj)
    return saved


def _document_rows(documents: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": d["name"],
            "form": d["form"],
            "quantity": d["quantity"],
            "mandatory": d["mandatory"],
            "template_name": d["template"],
            "id": d.get("id"),
        }
        for d in documents
    ]


def _step_rows(steps: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": s["name"],
            "role": s["role"],
            "amount": s["amount"],
            "is_decision": s["decision"],
            "id": s.get("id"),
        }
        for s in steps
    ]


_DOCUMENT_COLUMNS = ("name", "form", "quantity", "mandatory", "template_name")
_STEP_COLUMNS = ("name", "role", "amount", "is_decision")


@transaction.atomic
def required_documents_replace(
    *, procedure: Procedure, documents: Sequence[DocumentInput | Mapping[str, Any]]
) -> list[RequiredDocument]:
    """Set the papers of a procedure (thành phần hồ sơ): add, remove and reorder in one go.

    Rows keep their identity by ``id`` so papers already attached to dossiers stay linked.
    """
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    errors = _Errors()
    parsed = _parse_documents(list(documents), "required_documents", errors)
    if errors:
        path, message = errors.items[0]
        raise ValidationFailed(_describe(path, message, row_label=_("Giấy tờ")), field=path)
    return _sync_positioned(
        model=RequiredDocument,
        parent={"procedure": procedure},
        rows=_document_rows(parsed),
        columns=_DOCUMENT_COLUMNS,
        by_id=True,
    )


_COLUMN_LABELS = {
    "name": _lazy("tên"),
    "role": _lazy("vai trò"),
    "amount": _lazy("thời gian"),
    "decision": _lazy("bước phê duyệt"),
    "form": _lazy("hình thức"),
    "quantity": _lazy("số lượng"),
    "mandatory": _lazy("bắt buộc"),
    "template": _lazy("mẫu đơn, tờ khai"),
}
_ROW_PATH = re.compile(r"^(?P<list>\w+)\[(?P<index>\d+)\](?:\.(?P<column>\w+))?$")


def _describe(path: str, message: str, *, row_label: str) -> str:
    """A page-friendly sentence for an error found by the parsers: "Bước 2, thời gian: phải lớn hơn 0."."""
    match = _ROW_PATH.match(path)
    if match:
        where = f"{row_label} {int(match['index']) + 1}"
        if match["column"]:
            where += f", {_COLUMN_LABELS.get(match['column'], match['column'])}"
        return f"{where}: {message}."
    return f"{message[:1].upper()}{message[1:]}."


def _steps_or_raise(steps: Sequence[StepInput | Mapping[str, Any]], amount: Decimal, unit: str) -> list[dict]:
    errors = _Errors()
    parsed = _parse_steps(list(steps), "steps", errors)
    _check_steps_sum(parsed, amount, unit, "steps", errors)
    if errors:
        path, message = errors.items[0]
        raise ValidationFailed(_describe(path, message, row_label=_("Bước")), field=path)
    return parsed


@transaction.atomic
def process_template_create(
    *, procedure: Procedure, name: str, steps: Sequence[StepInput | Mapping[str, Any]]
) -> ProcessTemplate:
    """Add a process (quy trình nội bộ) to a procedure; its steps must add up to the statutory time."""
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Tên quy trình không được để trống."), field="name")
    parsed = _steps_or_raise(steps, procedure.processing_amount, procedure.processing_unit)
    template = ProcessTemplate.objects.create(procedure=procedure, name=name[:255])
    _sync_positioned(
        model=ProcessStep,
        parent={"template": template},
        rows=_step_rows(parsed),
        columns=_STEP_COLUMNS,
        by_id=False,
    )
    return template


@transaction.atomic
def process_template_replace_steps(
    *,
    template: ProcessTemplate,
    steps: Sequence[StepInput | Mapping[str, Any]],
    name: str | None = None,
    processing_amount: Decimal | int | float | str | None = None,
    processing_unit: str | None = None,
) -> ProcessTemplate:
    """Set the ordered steps of a process; their budgets must add up exactly to the statutory time.

    Passing ``processing_amount``/``processing_unit`` changes the procedure's statutory time in the same
    transaction (only possible when no other process of the procedure would stop adding up).
    """
    template = ProcessTemplate.objects.select_for_update().get(pk=template.pk)
    procedure = Procedure.objects.select_for_update().get(pk=template.procedure_id)
    errors = _Errors()
    unit = procedure.processing_unit
    if processing_unit is not None:
        unit = _choice(processing_unit, TimeUnit, "processing_unit", errors)
    amount = procedure.processing_amount
    if processing_amount is not None:
        amount = _amount(processing_amount, "processing_amount", errors)
    _check_processing_time(amount, unit, "processing_time", errors)
    if errors:
        path, message = errors.items[0]
        raise ValidationFailed(_("Thời hạn giải quyết: %(message)s.") % {"message": message}, field=path)
    parsed = _steps_or_raise(steps, amount, unit)
    if (amount, unit) != (procedure.processing_amount, procedure.processing_unit):
        problems = _template_sum_errors(procedure, amount, unit, exclude_template_id=template.pk)
        if problems:
            raise ValidationFailed(
                _(
                    "Không đổi được thời hạn giải quyết vì quy trình khác của thủ tục không còn cộng đúng. %(details)s"
                )
                % {"details": " ".join(problems)},
                field="processing_amount",
            )
        procedure.processing_amount, procedure.processing_unit = amount, unit
        procedure.save(update_fields=["processing_amount", "processing_unit", "updated_at"])
    if name is not None and name.strip() and name.strip() != template.name:
        template.name = name.strip()[:255]
        template.save(update_fields=["name"])
    _sync_positioned(
        model=ProcessStep,
        parent={"template": template},
        rows=_step_rows(parsed),
        columns=_STEP_COLUMNS,
        by_id=True,
    )
    return template


# --------------------------------------------------------------------------------------------------
# Offerings
# --------------------------------------------------------------------------------------------------
def _default_template(procedure: Procedure) -> ProcessTemplate | None:
    return procedure.process_templates.order_by("pk").first()


@transaction.atomic
def offering_ensure(
    *, procedure: Procedure, agency: Agency, template: ProcessTemplate | None = None
) -> ProcedureOffering:
    """Make ``agency`` offer ``procedure`` (idempotent); with ``template`` it also sets the process used there."""
    if template is not None and template.procedure_id != procedure.pk:
        raise ValidationFailed(
            _("Quy trình được chọn không thuộc thủ tục %(code)s.") % {"code": procedure.code}
        )
    offering = (
        ProcedureOffering.objects.select_for_update().filter(procedure=procedure, agency=agency).first()
    )
    if offering is not None:
        if template is not None and offering.process_template_id != template.pk:
            offering.process_template = template
            offering.save(update_fields=["process_template"])
        return offering
    template = template or _default_template(procedure)
    if template is None:
        raise ValidationFailed(
            _("Thủ tục %(code)s chưa có quy trình nội bộ nên chưa thể áp dụng tại cơ quan.")
            % {"code": procedure.code}
        )
    offering, _created = ProcedureOffering.objects.get_or_create(
        procedure=procedure, agency=agency, defaults={"process_template": template}
    )
    return offering


@transaction.atomic
def offering_set_active(*, offering: ProcedureOffering, is_active: bool) -> ProcedureOffering:
    """Start or stop receiving dossiers for a procedure at an agency (existing dossiers are not affected)."""
    offering = ProcedureOffering.objects.select_for_update().get(pk=offering.pk)
    if offering.is_active != is_active:
        offering.is_active = is_active
        offering.save(update_fields=["is_active"])
    return offering


@transaction.atomic
def offerings_ensure_for_kind(*, agency: Agency, kind: str) -> list[ProcedureOffering]:
    """Offer at ``agency`` every active procedure whose ``offered_by`` names ``kind`` (used by the demo loader)."""
    if kind not in OfferingAgencyKind.values:
        raise ValidationFailed(_("Loại cơ quan “%(kind)s” không hợp lệ.") % {"kind": kind})
    procedures = procedures_offered_by(kind)
    return [
        offering_ensure(procedure=p, agency=agency) for p in procedures if _default_template(p) is not None
    ]


# --------------------------------------------------------------------------------------------------
# YAML import / export
# --------------------------------------------------------------------------------------------------
def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _procedure_record(procedure: Procedure) -> dict[str, Any]:
    """The canonical form of a procedure, the same whether read from the database or from YAML."""
    templates = list(procedure.process_templates.order_by("pk").prefetch_related("steps"))

    def process(template: ProcessTemplate) -> dict[str, Any]:
        return {
            "name": template.name,
            "steps": [
                {
                    "name": s.name,
                    "role": s.role,
                    "amount": s.amount.quantize(_CENT),
                    "decision": s.is_decision,
                }
                for s in template.steps.order_by("position")
            ],
        }

    return {
        "code": procedure.code,
        "name": procedure.name,
        "field": procedure.field.code,
        "level": procedure.level,
        "implementing_agency": procedure.implementing_agency,
        "offered_by": list(procedure.offered_by or []),
        "processing_amount": Decimal(procedure.processing_amount).quantize(_CENT),
        "processing_unit": procedure.processing_unit,
        "fee_in_person": procedure.fee_in_person,
        "fee_online": procedure.fee_online,
        "fee_note": procedure.fee_note,
        "online_level": procedure.online_level,
        "applicants": procedure.applicants,
        "conditions": procedure.conditions,
        "result": procedure.result,
        "legal_basis": procedure.legal_basis,
        "code_source": procedure.code_source,
        "data_note": procedure.data_note,
        "is_active": procedure.is_active,
        "form_schema": procedure.form_schema or {},
        "required_documents": [
            {
                "name": d.name,
                "form": d.form,
                "quantity": d.quantity,
                "mandatory": d.mandatory,
                "template": d.template_name,
            }
            for d in procedure.required_documents.order_by("position")
        ],
        "process": process(templates[0]) if templates else None,
        "other_processes": [process(t) for t in templates[1:]],
    }


def _record_to_yaml(record: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": record["code"],
        "name": record["name"],
        "field": record["field"],
        "level": record["level"],
        "implementing_agency": record["implementing_agency"],
    }
    if record["offered_by"]:
        out["offered_by"] = list(record["offered_by"])
    out["processing_time"] = {
        "amount": _number(record["processing_amount"]),
        "unit": record["processing_unit"],
    }
    out["fees"] = {
        "in_person": record["fee_in_person"],
        "online": record["fee_online"],
        "note": record["fee_note"],
    }
    out["online_level"] = record["online_level"]
    for key in ("applicants", "conditions", "result", "legal_basis"):
        out[key] = record[key]
    if record["code_source"] != CodeSource.NATIONAL:
        out["code_source"] = record["code_source"]
    if record["data_note"]:
        out["note"] = record["data_note"]
    if not record["is_active"]:
        out["is_active"] = False
    out["required_documents"] = [
        {k: v for k, v in d.items() if k != "template" or v} for d in record["required_documents"]
    ]

    def process(p: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": p["name"],
            "steps": [
                {
                    "name": s["name"],
                    "role": s["role"],
                    "amount": _number(s["amount"]),
                    **({"decision": True} if s["decision"] else {}),
                }
                for s in p["steps"]
            ],
        }

    if record["process"]:
        out["process"] = process(record["process"])
    if record["other_processes"]:
        out["other_processes"] = [process(p) for p in record["other_processes"]]
    if record["form_schema"]:
        out["form_schema"] = record["form_schema"]
    return out


def _read_yaml(stream_or_path: str | Path | IO[str] | IO[bytes]) -> Any:
    try:
        if isinstance(stream_or_path, str | Path):
            path = Path(stream_or_path)
            if not path.is_file():
                raise CatalogImportError([_("Không tìm thấy tệp %(path)s.") % {"path": path}])
            with path.open(encoding="utf-8") as handle:
                return yaml.safe_load(handle)
        content = stream_or_path.read()
        if isinstance(content, bytes):
            content = content.decode("utf-8")
        return yaml.safe_load(content)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            _(" (dòng %(line)d, cột %(column)d)") % {"line": mark.line + 1, "column": mark.column + 1}
            if mark
            else ""
        )
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogImportError(
            [_("Tệp YAML không hợp lệ%(where)s: %(problem)s") % {"where": where, "problem": problem}]
        ) from exc
    except UnicodeDecodeError as exc:
        raise CatalogImportError([_("Tệp phải được mã hóa UTF-8.")]) from exc


def _parse_catalog(document: Any) -> tuple[dict[str, str], list[dict[str, Any]], list[str]]:
    """Check the whole file; return (fields declared, canonical records, error lines)."""
    messages: list[str] = []
    if isinstance(document, list):
        document = {"procedures": document}
    if not isinstance(document, Mapping):
        return {}, [], [_("Tệp danh mục phải có khóa “procedures” chứa danh sách thủ tục.")]
    unknown = set(document) - {"version", "fields", "procedures"}
    if unknown:
        messages.append(
            _("Khóa không được hỗ trợ ở đầu tệp: %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown)))}
        )
    version = document.get("version", CATALOG_FORMAT_VERSION)
    if version != CATALOG_FORMAT_VERSION:
        messages.append(_("Phiên bản định dạng %(version)s không được hỗ trợ (cần %(expected)d).") % {
            "version": version, "expected": CATALOG_FORMAT_VERSION})  # fmt: skip

    declared: dict[str, str] = {}
    raw_fields = document.get("fields") or []
    if not isinstance(raw_fields, list):
        messages.append(_("Khóa “fields” phải là danh sách {code, name}."))
        raw_fields = []
    for index, raw in enumerate(raw_fields):
        errors = _Errors()
        if not isinstance(raw, Mapping):
            messages.append(_("Lĩnh vực thứ %(n)d: phải có dạng {code, name}.") % {"n": index + 1})
            continue
        code = _text(raw, "code", "code", errors, required=True, max_length=30)
        name = _text(raw, "name", "name", errors, required=True, max_length=200)
        if code in declared and declared[code] != name:
            errors.add("name", _("khai báo hai lần với tên khác nhau"))
        for path, message in errors.items:
            messages.append(_("Lĩnh vực %(code)s, trường %(path)s: %(message)s.") % {
                "code": code or index + 1, "path": path, "message": message})  # fmt: skip
        if code and name:
            declared[code] = name

    raw_procedures = document.get("procedures")
    if not isinstance(raw_procedures, list) or not raw_procedures:
        messages.append(_("Khóa “procedures” phải là danh sách thủ tục, không rỗng."))
        raw_procedures = []
    known_fields = set(Field.objects.values_list("code", flat=True))
    records: list[dict[str, Any]] = []
    seen_codes: set[str] = set()
    for index, raw in enumerate(raw_procedures):
        errors = _Errors()
        if not isinstance(raw, Mapping):
            messages.append(_("Thủ tục thứ %(n)d: phải là một bảng khóa: giá trị.") % {"n": index + 1})
            continue
        unknown = set(raw) - _PROCEDURE_KEYS
        if unknown:
            errors.add(
                "(khóa)",
                _("khóa không được hỗ trợ: %(keys)s") % {"keys": ", ".join(sorted(map(str, unknown)))},
            )
        record = _parse_scalars(raw, errors)
        field_value = raw.get("field")
        if isinstance(field_value, Mapping):
            field_code = _text(field_value, "code", "field.code", errors, required=True, max_length=30)
            field_name = _text(field_value, "name", "field.name", errors, required=True, max_length=200)
            if field_code in declared and declared[field_code] != field_name:
                errors.add(
                    "field.name", _("khác tên đã khai báo cho lĩnh vực %(code)s") % {"code": field_code}
                )
            elif field_code and field_name:
                declared[field_code] = field_name
        elif isinstance(field_value, str) and field_value.strip():
            field_code = field_value.strip()
            if field_code not in declared and field_code not in known_fields:
                errors.add(
                    "field",
                    _(
                        "lĩnh vực “%(code)s” chưa có trong danh mục (khai báo trong “fields” hoặc dùng {code, name})"
                    )
                    % {"code": field_code},
                )
        else:
            field_code = ""
            errors.add("field", _("không được để trống"))
        record["field"] = field_code
        record["required_documents"] = [
            {k: v for k, v in d.items() if k != "id"}
            for d in _parse_documents(raw.get("required_documents"), "required_documents", errors)
        ]
        amount, unit = record["processing_amount"], record["processing_unit"]
        record["process"] = _parse_process(
            raw.get("process"),
            "process",
            amount,
            unit,
            errors,
            default_name=_("Quy trình %(code)s") % {"code": record["code"]},
        )
        others = raw.get("other_processes") or []
        if not isinstance(others, list):
            errors.add("other_processes", _("phải là một danh sách"))
            others = []
        if others and record["process"] is None:
            errors.add("other_processes", _("cần khai báo “process” trước"))
        record["other_processes"] = []
        names = {record["process"]["name"]} if record["process"] else set()
        for position, other in enumerate(others):
            path = f"other_processes[{position}]"
            parsed = _parse_process(other, path, amount, unit, errors, default_name="")
            if parsed is None:
                continue
            if not parsed["name"] or parsed["name"] in names:
                errors.add(f"{path}.name", _("mỗi quy trình cần một tên riêng"))
            names.add(parsed["name"])
            record["other_processes"].append(parsed)
        if record["code"] in seen_codes:
            errors.add("code", _("mã thủ tục bị lặp trong tệp"))
        seen_codes.add(record["code"])
        label = record["code"] or _("thứ %(n)d") % {"n": index + 1}
        for path, message in errors.items:
            messages.append(_("Thủ tục %(code)s, trường %(path)s: %(message)s.") % {
                "code": label, "path": path, "message": message})  # fmt: skip
        records.append(record)
    return declared, records, messages


def _apply_record(
    procedure: Procedure | None, record: Mapping[str, Any], fields: Mapping[str, Field]
) -> Procedure:
    if procedure is None:
        procedure = Procedure()
    for attr in (
        "code", "name", "level", "implementing_agency", "offered_by", "processing_amount", "processing_unit",
        "fee_in_person", "fee_online", "fee_note", "online_level", "applicants", "conditions", "result",
        "legal_basis", "code_source", "data_note", "is_active", "form_schema",
    ):  # fmt: skip
        setattr(procedure, attr, record[attr])
    procedure.field = fields[record["field"]]
    procedure.search_text = procedure_search_text(procedure)
    try:
        _full_clean(procedure, exclude=["search_text"])
    except ValidationFailed as exc:
        raise CatalogImportError(
            [_("Thủ tục %(code)s, trường %(message)s.") % {"code": record["code"], "message": exc.message}]
        ) from exc
    procedure.save()
    _sync_positioned(
        model=RequiredDocument,
        parent={"procedure": procedure},
        rows=_document_rows(record["required_documents"]),
        columns=_DOCUMENT_COLUMNS,
        by_id=False,
    )
    templates = list(procedure.process_templates.order_by("pk"))
    wanted = [record["process"], *record["other_processes"]] if record["process"] else []
    for position, process in enumerate(wanted):
        if position == 0:
            template = templates[0] if templates else None
        else:
            template = next((t for t in templates[1:] if t.name == process["name"]), None)
        if template is None:
            template = ProcessTemplate.objects.create(procedure=procedure, name=process["name"])
        elif template.name != process["name"]:
            template.name = process["name"]
            template.save(update_fields=["name"])
        _sync_positioned(
            model=ProcessStep,
            parent={"template": template},
            rows=_step_rows(process["steps"]),
            columns=_STEP_COLUMNS,
            by_id=False,
        )
    # Templates the file does not name are kept: offerings may still use them (PROTECT).
    problems = _template_sum_errors(procedure, procedure.processing_amount, procedure.processing_unit)
    if problems:
        raise CatalogImportError(
            [_("Thủ tục %(code)s: %(details)s") % {"code": record["code"], "details": " ".join(problems)}]
        )
    return procedure


def catalog_import(*, stream_or_path: str | Path | IO[str] | IO[bytes], update: bool = True) -> ImportReport:
    """Load procedures from a YAML catalog (format: ``data/procedures.yaml``), idempotently by code.

    The whole file is checked first and every problem is reported with the procedure code and the field;
    if any procedure is invalid nothing is written. The writes happen in one transaction. With
    ``update=False`` existing procedures are left as they are (``skipped``).
    """
    declared, records, messages = _parse_catalog(_read_yaml(stream_or_path))
    if messages:
        raise CatalogImportError(messages)
    report = ImportReport()
    with transaction.atomic():
        fields: dict[str, Field] = {f.code: f for f in Field.objects.select_for_update().filter(
            code__in={*declared, *(r["field"] for r in records)})}  # fmt: skip
        renamed: list[Field] = []
        for code, name in declared.items():
            current = fields.get(code)
            if current is None:
                fields[code] = Field.objects.create(code=code, name=name)
                report.fields_created.append(code)
            elif current.name != name:
                current.name = name
                current.save(update_fields=["name"])
                report.fields_updated.append(code)
                renamed.append(current)
        existing = {
            p.code: p
            for p in Procedure.objects.select_for_update().filter(code__in=[r["code"] for r in records])
        }
        for record in records:
            procedure = existing.get(record["code"])
            if procedure is None:
                _apply_record(None, record, fields)
                report.created.append(record["code"])
            elif not update:
                report.skipped.append(record["code"])
            elif _procedure_record(procedure) == record:
                report.unchanged.append(record["code"])
            else:
                _apply_record(procedure, record, fields)
                report.updated.append(record["code"])
        for renamed_field in renamed:
            for procedure in Procedure.objects.filter(field=renamed_field).select_related("field"):
                _refresh_search_text(procedure)
    return report


class _CatalogDumper(yaml.SafeDumper):
    """Block style for multi-line text (legal bases), so the export stays readable and diffable."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_CatalogDumper.add_representer(str, _represent_str)


def catalog_export() -> str:
    """The whole catalog as YAML in the import format; importing it back changes no row."""
    procedures = Procedure.objects.select_related("field").order_by("code")
    used = sorted({p.field_id for p in procedures})
    document = {
        "version": CATALOG_FORMAT_VERSION,
        "fields": [
            {"code": f.code, "name": f.name} for f in Field.objects.filter(pk__in=used).order_by("code")
        ],
        "procedures": [_record_to_yaml(_procedure_record(p)) for p in procedures],
    }
    header = (
        "# "
        + _("Danh mục thủ tục hành chính xuất từ egov (định dạng nhập: manage.py catalog_import).")
        + "\n"
    )
    buffer = io.StringIO()
    buffer.write(header)
    yaml.dump(document, buffer, Dumper=_CatalogDumper, allow_unicode=True, sort_keys=False, width=120)
    return buffer.getvalue()
