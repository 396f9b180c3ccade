"""E-forms (tờ khai điện tử) defined as data, rendered on the server, validated on the server, prefilled
from the population registry, and kept as drafts.

Why data and not code: agency admins change a form when a circular changes a form (Thông tư 04/2020/TT-BTP
for civil status, for example) without a release; the same definition feeds the citizen's page, the admin's
live preview (``catalog/forms_admin.py``) and the API (``/api/v1/procedures/{code}``, ``form_schema``).

The definition is a subset of JSON Schema draft 2020-12 plus layout hints named ``x-*``::

    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "type": "object",
      "x-subject": "child",
      "required": ["child_full_name", "child_birth_date"],
      "properties": {
        "child_full_name": {"type": "string", "maxLength": 100,
                            "x-label": "Họ, chữ đệm và tên của trẻ", "x-group": "Thông tin của trẻ"},
        "child_birth_date": {"type": "string", "format": "date", "x-label": "Ngày, tháng, năm sinh"},
        "child_sex": {"type": "string", "enum": ["Nam", "Nữ"], "x-widget": "radio"},
        "mother_full_name": {"type": "string", "x-prefill": "mother.full_name"},
        "pledge": {"type": "boolean", "x-label": "Tôi cam đoan những nội dung khai trên đây là đúng sự thật"}
      }
    }

* Types: ``string`` (with ``format: date`` for a date), ``integer``, ``boolean``; keywords ``enum``,
  ``minLength``, ``maxLength``, ``pattern`` (strings), ``minimum``, ``maximum`` (integers), ``required``,
  ``title``/``description`` (read as label/help when ``x-label``/``x-help`` are absent), ``default``.
* Hints: ``x-order`` (a number on a property, or a list of keys on the root), ``x-group`` (the legend of
  the fieldset the field sits in), ``x-widget`` (``textarea``, ``radio``, ``select``), ``x-label`` and
  ``x-help`` (Vietnamese), ``x-prefill`` (a registry path, see ``PREFILL_PATHS``) and, on the root,
  ``x-subject``: whose parents ``father.*``/``mother.*`` are. ``applicant`` (default): the applicant's own
  parents; ``child``: a child being registered, whose parents are the applicant and their spouse.
* A required ``boolean`` is a pledge the applicant must tick (cam đoan), the way paper forms use it.
* Give the order explicitly (``x-order``): PostgreSQL's ``jsonb`` does not keep the order of object keys,
  so "as written" holds only until the definition is stored; the editor adds a root ``x-order`` list.

``check_schema`` reports every problem of a definition in Vietnamese; ``legacy_to_schema`` converts the
first format (``{"fields": [{"key", "label", "type", "required", "choices"}]}``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egov.core.errors import NotFound, PermissionDenied, ValidationFailed

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
MAX_PROPERTIES = 200
MAX_TEXT_LENGTH = 5000
# Vietnamese paper forms write dates as dd/mm/yyyy; browsers without a date picker send what was typed.
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^[+-]?\d{1,18}$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TRUE_VALUES = ("on", "true", "1", "yes", "có")

ROOT_KEYWORDS = {
    "$schema", "$id", "$comment", "title", "description", "type", "properties", "required",
    "additionalProperties", "x-order", "x-subject",
}  # fmt: skip
PROPERTY_KEYWORDS = {
    "type", "format", "enum", "minLength", "maxLength", "pattern", "minimum", "maximum", "title",
    "description", "default", "$comment", "x-order", "x-group", "x-widget", "x-label", "x-help", "x-prefill",
}  # fmt: skip
TYPES = ("string", "integer", "boolean")
WIDGETS = ("textarea", "radio", "select")
SUBJECTS = ("applicant", "child")

# ---- registry paths for x-prefill ---------------------------------------------------------------------
PERSON_ATTRIBUTES: dict[str, Any] = {
    "full_name": gettext_lazy("họ, chữ đệm và tên"),
    "id_number": gettext_lazy("số định danh cá nhân"),
    "date_of_birth": gettext_lazy("ngày, tháng, năm sinh"),
    "sex": gettext_lazy("giới tính"),
    "ethnicity": gettext_lazy("dân tộc"),
    "religion": gettext_lazy("tôn giáo"),
    "nationality": gettext_lazy("quốc tịch"),
    "place_of_birth": gettext_lazy("nơi sinh"),
    "hometown": gettext_lazy("quê quán"),
    "permanent_address": gettext_lazy("nơi thường trú"),
    "temporary_address": gettext_lazy("nơi tạm trú"),
}
PERSON_ROOTS: dict[str, Any] = {
    "person": gettext_lazy("Người nộp"),
    "spouse": gettext_lazy("Vợ hoặc chồng người nộp"),
    "father": gettext_lazy("Cha"),
    "mother": gettext_lazy("Mẹ"),
    "household.head": gettext_lazy("Chủ hộ"),
}
HOUSEHOLD_PATHS: dict[str, Any] = {
    "household.code": gettext_lazy("Hộ gia đình: mã hộ"),
    "household.address": gettext_lazy("Hộ gia đình: địa chỉ"),
    "household.relationship": gettext_lazy("Hộ gia đình: quan hệ của người nộp với chủ hộ"),
}


def _prefill_paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for root, root_label in PERSON_ROOTS.items():
        for attribute, label in PERSON_ATTRIBUTES.items():
            paths[f"{root}.{attribute}"] = (root_label, label)
    paths.update(HOUSEHOLD_PATHS)
    return paths


#: Every path ``x-prefill`` may name, with a label for the admin editor.
PREFILL_PATHS = _prefill_paths()


def prefill_path_label(path: str) -> str:
    label = PREFILL_PATHS.get(path)
    if isinstance(label, tuple):
        return f"{label[0]}: {label[1]}"
    return str(label or path)


# ==================================================================================================
# The definition
# ==================================================================================================
@dataclass(frozen=True)
class FieldSpec:
    """One field of an e-form, read from its JSON Schema property."""

    key: str
    kind: str  # "string" | "date" | "integer" | "boolean"
    label: str
    help: str = ""
    required: bool = False
    enum: tuple = ()
    widget: str = "text"  # "text" | "textarea" | "radio" | "select" | "date" | "integer" | "checkbox"
    group: str = ""
    order: float = 0
    min_length: int | None = None
    max_length: int | None = None
    pattern: str = ""
    minimum: int | None = None
    maximum: int | None = None
    prefill: str = ""
    default: Any = None


def legacy_to_schema(legacy: Mapping[str, Any]) -> dict[str, Any]:
    """The first format (``{"fields": [{"key", "label", "type", "required", "choices"}]}``) as JSON Schema.

    Types: ``text`` -> string, ``date`` -> string/date, ``choice`` -> string with ``enum``, ``id_number`` ->
    a 12-digit string (Law on Identification 2023, personal ID number).
    """
    properties: dict[str, Any] = {}
    required: list[str] = []
    for position, raw in enumerate(legacy.get("fields") or [], start=1):
        if not isinstance(raw, Mapping) or not raw.get("key"):
            continue
        key = str(raw["key"])
        kind = raw.get("type", "text")
        prop: dict[str, Any] = {"type": "string"}
        if kind == "date":
            prop["format"] = "date"
        elif kind == "choice":
            prop["enum"] = list(raw.get("choices") or [])
        elif kind == "id_number":
            prop["pattern"] = "^[0-9]{12}$"
            prop["x-help"] = _("Gồm 12 chữ số.")
        elif kind == "integer":
            prop = {"type": "integer"}
        elif kind == "boolean":
            prop = {"type": "boolean"}
        else:
            prop["maxLength"] = 255
        prop["x-label"] = str(raw.get("label") or key)
        prop["x-order"] = position
        properties[key] = prop
        if raw.get("required"):
            required.append(key)
    schema: dict[str, Any] = {"$schema": JSON_SCHEMA_DIALECT, "type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def as_schema(raw: Any) -> dict[str, Any]:
    """The JSON Schema of a procedure's ``form_schema`` (converting the first format), ``{}`` if none."""
    if not isinstance(raw, Mapping) or not raw:
        return {}
    if "properties" not in raw and isinstance(raw.get("fields"), list):
        return legacy_to_schema(raw)
    return dict(raw)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_schema(schema: Any) -> list[str]:
    """Every problem of an e-form definition, as Vietnamese sentences naming the field; empty if usable.

    ``{}`` (no e-form) is valid. The checks are those the renderer and the validator rely on, so a
    definition that passes here renders and validates without surprises.
    """
    if schema in (None, {}):
        return []
    if not isinstance(schema, Mapping):
        return [_("Biểu mẫu phải là một đối tượng JSON ({...}).")]
    problems: list[str] = []
    unknown = sorted(set(schema) - ROOT_KEYWORDS)
    if unknown:
        problems.append(
            _("Từ khóa không được hỗ trợ ở gốc biểu mẫu: %(keys)s.") % {"keys": ", ".join(unknown)}
        )
    if "$schema" in schema and schema["$schema"] != JSON_SCHEMA_DIALECT:
        problems.append(_("“$schema” phải là %(url)s.") % {"url": JSON_SCHEMA_DIALECT})
    if schema.get("type") != "object":
        problems.append(_('Gốc biểu mẫu phải có "type": "object".'))
    if schema.get("x-subject", "applicant") not in SUBJECTS:
        problems.append(_("“x-subject” phải là “applicant” hoặc “child”."))
    if "additionalProperties" in schema and not isinstance(schema["additionalProperties"], bool):
        problems.append(_("“additionalProperties” phải là true hoặc false."))
    properties = schema.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        problems.append(_("Biểu mẫu phải có “properties” với ít nhất một trường."))
        properties = {}
    if len(properties) > MAX_PROPERTIES:
        problems.append(_("Biểu mẫu có quá %(n)d trường.") % {"n": MAX_PROPERTIES})
    for key, prop in properties.items():
        problems.extend(_check_property(str(key), prop))
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(k, str) for k in required):
        problems.append(_("“required” phải là danh sách tên trường."))
    else:
        for key in required:
            if key not in properties:
                problems.append(
                    _("“required” nêu trường “%(key)s” không có trong “properties”.") % {"key": key}
                )
        if len(set(required)) != len(required):
            problems.append(_("“required” có tên trường bị lặp."))
    order = schema.get("x-order")
    if order is not None:
        if not isinstance(order, list) or not all(isinstance(k, str) for k in order):
            problems.append(_("“x-order” ở gốc phải là danh sách tên trường."))
        else:
            for key in order:
                if key not in properties:
                    problems.append(
                        _("“x-order” nêu trường “%(key)s” không có trong “properties”.") % {"key": key}
                    )
    return problems


def _check_property(key: str, prop: Any) -> list[str]:
    where = _("Trường “%(key)s”") % {"key": key}
    if not KEY_RE.match(key):
        return [
            _(
                "%(where)s: tên trường chỉ gồm chữ thường không dấu, chữ số và dấu gạch dưới, bắt đầu bằng chữ."
            )
            % {"where": where}
        ]
    if not isinstance(prop, Mapping):
        return [_("%(where)s: phải là một đối tượng JSON.") % {"where": where}]
    problems: list[str] = []

    def add(message: str) -> None:
        problems.append(f"{where}: {message}")

    unknown = sorted(set(prop) - PROPERTY_KEYWORDS)
    if unknown:
        add(_("từ khóa không được hỗ trợ: %(keys)s.") % {"keys": ", ".join(unknown)})
    kind = prop.get("type")
    if kind not in TYPES:
        add(_("“type” phải là string, integer hoặc boolean (ngày tháng: string với “format”: “date”)."))
        return problems
    fmt = prop.get("format")
    if fmt is not None and (kind != "string" or fmt != "date"):
        add(_("chỉ hỗ trợ “format”: “date” cho trường kiểu string."))
    for text_key in ("title", "description", "x-label", "x-help", "x-group", "$comment"):
        if text_key in prop and not isinstance(prop[text_key], str):
            add(_("“%(kw)s” phải là chuỗi ký tự.") % {"kw": text_key})
    if "x-order" in prop and (
        not isinstance(prop["x-order"], int | float) or isinstance(prop["x-order"], bool)
    ):
        add(_("“x-order” phải là một số."))
    for length_key in ("minLength", "maxLength"):
        if length_key in prop:
            if kind != "string":
                add(_("“%(kw)s” chỉ dùng cho trường kiểu string.") % {"kw": length_key})
            elif not _is_int(prop[length_key]) or prop[length_key] < 0:
                add(_("“%(kw)s” phải là số nguyên không âm.") % {"kw": length_key})
    if (
        _is_int(prop.get("minLength"))
        and _is_int(prop.get("maxLength"))
        and prop["minLength"] > prop["maxLength"]
    ):
        add(_("“minLength” lớn hơn “maxLength”."))
    if "pattern" in prop:
        if kind != "string":
            add(_("“pattern” chỉ dùng cho trường kiểu string."))
        elif not isinstance(prop["pattern"], str):
            add(_("“pattern” phải là chuỗi ký tự."))
        else:
            try:
                re.compile(prop["pattern"])
            except re.error as exc:
                add(_("“pattern” không phải biểu thức chính quy hợp lệ (%(error)s).") % {"error": exc})
    for bound_key in ("minimum", "maximum"):
        if bound_key in prop:
            if kind != "integer":
                add(_("“%(kw)s” chỉ dùng cho trường kiểu integer.") % {"kw": bound_key})
            elif not _is_int(prop[bound_key]):
                add(_("“%(kw)s” phải là số nguyên.") % {"kw": bound_key})
    if _is_int(prop.get("minimum")) and _is_int(prop.get("maximum")) and prop["minimum"] > prop["maximum"]:
        add(_("“minimum” lớn hơn “maximum”."))
    enum = prop.get("enum")
    if enum is not None:
        if kind == "boolean" or fmt == "date":
            add(_("“enum” chỉ dùng cho trường string hoặc integer."))
        elif not isinstance(enum, list) or not enum:
            add(_("“enum” phải là danh sách giá trị, không rỗng."))
        elif not all((_is_int(v) if kind == "integer" else isinstance(v, str)) and v != "" for v in enum):
            add(_("mọi giá trị của “enum” phải cùng kiểu với trường và không rỗng."))
        elif len({str(v) for v in enum}) != len(enum):
            add(_("“enum” có giá trị bị lặp."))
    widget = prop.get("x-widget")
    if widget is not None:
        if widget not in WIDGETS:
            add(_("“x-widget” phải là textarea, radio hoặc select."))
        elif widget in ("radio", "select") and not enum:
            add(_("“x-widget”: “%(widget)s” cần danh sách “enum”.") % {"widget": widget})
        elif widget == "textarea" and (kind != "string" or enum or fmt):
            add(_("“x-widget”: “textarea” chỉ dùng cho trường văn bản."))
    prefill = prop.get("x-prefill")
    if prefill is not None:
        if prefill not in PREFILL_PATHS:
            add(
                _(
                    "“x-prefill” “%(path)s” không có trong danh sách đường dẫn dữ liệu dân cư (ví dụ person.full_name)."
                )
                % {"path": prefill}
            )
        elif kind == "boolean":
            add(_("không điền sẵn được trường kiểu boolean."))
        elif (fmt == "date") != prefill.endswith(".date_of_birth"):
            add(_("ngày sinh chỉ điền sẵn vào trường ngày tháng (“format”: “date”), và ngược lại."))
    if "default" in prop:
        default_problems = _value_problems(_spec(key, prop, required=False), prop["default"])
        if default_problems:
            add(_("giá trị “default” không hợp lệ: %(why)s") % {"why": " ".join(default_problems)})
    return problems


def _spec(key: str, prop: Mapping[str, Any], *, required: bool, position: int = 0) -> FieldSpec:
    kind = prop.get("type", "string")
    if kind == "string" and prop.get("format") == "date":
        kind = "date"
    enum = tuple(prop.get("enum") or ())
    widget = prop.get("x-widget") or ""
    if kind == "boolean":
        widget = "checkbox"
    elif enum:
        widget = widget if widget in ("radio", "select") else ("radio" if len(enum) <= 4 else "select")
    elif kind in ("date", "integer"):
        widget = kind
    elif widget != "textarea":
        widget = "text"
    order = prop.get("x-order")
    return FieldSpec(
        key=key,
        kind=kind,
        label=str(prop.get("x-label") or prop.get("title") or key),
        help=str(prop.get("x-help") or prop.get("description") or ""),
        required=required,
        enum=enum,
        widget=widget,
        group=str(prop.get("x-group") or ""),
        order=order if isinstance(order, int | float) and not isinstance(order, bool) else position,
        min_length=prop.get("minLength") if _is_int(prop.get("minLength")) else None,
        max_length=prop.get("maxLength") if _is_int(prop.get("maxLength")) else None,
        pattern=prop.get("pattern") if isinstance(prop.get("pattern"), str) else "",
        minimum=prop.get("minimum") if _is_int(prop.get("minimum")) else None,
        maximum=prop.get("maximum") if _is_int(prop.get("maximum")) else None,
        prefill=str(prop.get("x-prefill") or ""),
        default=prop.get("default"),
    )


def form_fields(schema: Mapping[str, Any] | None) -> list[FieldSpec]:
    """The fields of a (valid) definition in display order: the root ``x-order`` list first, then each
    property's ``x-order`` number, then the order they are written in."""
    schema = as_schema(schema)
    properties = schema.get("properties") or {}
    if not isinstance(properties, Mapping):
        return []
    required = set(schema.get("required") or []) if isinstance(schema.get("required"), list) else set()
    root_order = schema.get("x-order") if isinstance(schema.get("x-order"), list) else []
    specs = []
    for position, (key, prop) in enumerate(properties.items(), start=1):
        if not isinstance(prop, Mapping):
            continue
        spec = _spec(str(key), prop, required=key in required, position=position)
        rank = root_order.index(key) if key in root_order else len(root_order)
        specs.append((rank, spec.order, position, spec))
    return [spec for *_rank, spec in sorted(specs, key=lambda item: item[:3])]


# ==================================================================================================
# Validation
# ==================================================================================================
def _parse_date(text: str) -> dt.date | None:
    text = text.strip()
    try:
        if _ISO_DATE.match(text):
            return dt.date.fromisoformat(text)
        match = _DMY.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def _value_problems(spec: FieldSpec, value: Any) -> list[str]:
    """What is wrong with a present, typed value (dates as ISO strings)."""
    label = spec.label
    if spec.kind == "boolean":
        return [] if isinstance(value, bool) else [_("%(label)s phải là có hoặc không.") % {"label": label}]
    if spec.kind == "integer":
        if not _is_int(value):
            return [_("%(label)s phải là số nguyên, ví dụ 3.") % {"label": label}]
        problems = []
        if spec.enum and value not in spec.enum:
            problems.append(_("Vui lòng chọn %(label)s trong danh sách.") % {"label": label})
        if spec.minimum is not None and value < spec.minimum:
            problems.append(_("%(label)s phải từ %(n)s trở lên.") % {"label": label, "n": spec.minimum})
        if spec.maximum is not None and value > spec.maximum:
            problems.append(_("%(label)s không được lớn hơn %(n)s.") % {"label": label, "n": spec.maximum})
        return problems
    if not isinstance(value, str):
        return [_("%(label)s phải là chuỗi ký tự.") % {"label": label}]
    if spec.kind == "date":
        if not _ISO_DATE.match(value) or _parse_date(value) is None:
            return [
                _("%(label)s không phải ngày hợp lệ; nhập theo dạng ngày/tháng/năm, ví dụ 17/05/2024.")
                % {"label": label}
            ]
        return []
    if spec.enum:
        if value not in spec.enum:
            return [_("Vui lòng chọn %(label)s trong danh sách.") % {"label": label}]
        return []
    problems = []
    if spec.min_length is not None and len(value) < spec.min_length:
        problems.append(_("%(label)s phải có ít nhất %(n)d ký tự.") % {"label": label, "n": spec.min_length})
    limit = spec.max_length if spec.max_length is not None else MAX_TEXT_LENGTH
    if len(value) > limit:
        problems.append(_("%(label)s không được dài quá %(n)d ký tự.") % {"label": label, "n": limit})
    if spec.pattern and not re.search(spec.pattern, value):
        message = _("%(label)s không đúng định dạng.") % {"label": label}
        if spec.help:
            message = f"{message} {spec.help}"
        problems.append(message)
    return problems


def _missing_message(spec: FieldSpec) -> str:
    if spec.kind == "boolean":
        # A pledge's label is a sentence; its own full stop would double the message's.
        return _("Vui lòng đánh dấu “%(label)s”.") % {"label": spec.label.rstrip(" .")}
    if spec.enum:
        return _("Vui lòng chọn %(label)s.") % {"label": spec.label}
    return _("Vui lòng nhập %(label)s.") % {"label": spec.label}


def validate(schema: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Errors per field key for typed ``data`` (dates as ISO strings); empty when valid.

    Keys the definition does not name are refused when ``additionalProperties`` is false.
    """
    schema = as_schema(schema)
    errors: dict[str, list[str]] = {}
    specs = form_fields(schema)
    for spec in specs:
        value = data.get(spec.key)
        if value is None or value == "" or (spec.kind == "boolean" and spec.required and value is False):
            if spec.required:
                errors[spec.key] = [_missing_message(spec)]
            continue
        problems = _value_problems(spec, value)
        if problems:
            errors[spec.key] = problems
    if schema.get("additionalProperties") is False:
        known = {spec.key for spec in specs}
        for key in data:
            if key not in known:
                errors.setdefault(key, []).append(
                    _("Trường “%(key)s” không có trong biểu mẫu.") % {"key": key}
                )
    return errors


def raw_values(
    schema: Mapping[str, Any] | None, post: Mapping[str, Any], *, prefix: str = "f"
) -> dict[str, Any]:
    """What the applicant typed, by field key: strings (trimmed), booleans for check boxes.

    Drafts keep exactly this, so a half-typed date comes back as typed.
    """
    values: dict[str, Any] = {}
    for spec in form_fields(schema):
        name = f"{prefix}-{spec.key}"
        if spec.kind == "boolean":
            values[spec.key] = str(post.get(name, "")).strip().lower() in TRUE_VALUES
        else:
            values[spec.key] = str(post.get(name, "") or "").strip()[: MAX_TEXT_LENGTH + 1]
    return values


def clean(
    schema: Mapping[str, Any] | None, raw: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Typed data and errors from ``raw_values``: integers parsed, dates to ISO (dd/mm/yyyy accepted),
    empty fields left out. The data is what ``dossier_submit(form_data=...)`` stores."""
    typed: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for spec in form_fields(schema):
        value = raw.get(spec.key)
        if spec.kind == "boolean":
            typed[spec.key] = bool(value)
            continue
        text = "" if value is None else str(value).strip()
        if not text:
            continue
        if spec.kind == "integer":
            if not _INTEGER.match(text.replace(".", "").replace(" ", "")):
                errors[spec.key] = [_("%(label)s phải là số nguyên, ví dụ 3.") % {"label": spec.label}]
                continue
            typed[spec.key] = int(text.replace(".", "").replace(" ", ""))
        elif spec.kind == "date":
            parsed = _parse_date(text)
            if parsed is None:
                errors[spec.key] = _value_problems(spec, "?")
                continue
            typed[spec.key] = parsed.isoformat()
        else:
            typed[spec.key] = text
    for key, problems in validate(schema, typed).items():
        errors.setdefault(key, problems)
    return typed, errors


# ==================================================================================================
# Rendering
# ==================================================================================================
@dataclass
class Choice:
    value: str
    label: str
    id: str
    checked: bool


@dataclass
class BoundField:
    """A field ready for ``portal/procedures/_eform_field.html``: ids, value, errors, ARIA links."""

    spec: FieldSpec
    id: str
    name: str
    value: str = ""
    checked: bool = False
    errors: list[str] = field(default_factory=list)
    prefilled: bool = False
    choices: list[Choice] = field(default_factory=list)

    @property
    def help_id(self) -> str:
        return f"{self.id}-help"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def prefill_id(self) -> str:
        return f"{self.id}-prefill"

    @property
    def anchor(self) -> str:
        """Where the error summary links to: the input, or the first option of a radio group."""
        return self.choices[0].id if self.spec.widget == "radio" and self.choices else self.id

    @property
    def describedby(self) -> str:
        ids = []
        if self.spec.help:
            ids.append(self.help_id)
        if self.prefilled:
            ids.append(self.prefill_id)
        if self.errors:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def maxlength(self) -> int | None:
        return self.spec.max_length if self.spec.kind == "string" and not self.spec.enum else None

    @property
    def inputmode(self) -> str:
        if self.spec.kind == "integer" or self.spec.pattern.startswith(("^[0-9]", "^\\d")):
            return "numeric"
        return ""


@dataclass
class Block:
    legend: str
    fields: list[BoundField]


@dataclass
class BoundForm:
    blocks: list[Block]
    fields: list[BoundField]

    @property
    def has_errors(self) -> bool:
        return any(f.errors for f in self.fields)

    def error_list(self) -> list[tuple[str, str]]:
        """(anchor id, message) of every error, in page order, for the error summary."""
        return [(f.anchor, message) for f in self.fields for message in f.errors]


def _as_text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return str(value)


def bind(
    schema: Mapping[str, Any] | None,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    prefilled: Iterable[str] = (),
    prefix: str = "f",
) -> BoundForm:
    """The form for a template: fields grouped into fieldsets (``x-group``) in display order."""
    values = values or {}
    errors = errors or {}
    prefilled = set(prefilled)
    blocks: list[Block] = []
    by_legend: dict[str, Block] = {}
    bound_fields: list[BoundField] = []
    for spec in form_fields(schema):
        value = values.get(spec.key, spec.default)
        bound = BoundField(
            spec=spec,
            id=f"id_{prefix}-{spec.key}",
            name=f"{prefix}-{spec.key}",
            value=_as_text(value),
            checked=value is True,
            errors=list(errors.get(spec.key, [])),
            prefilled=spec.key in prefilled,
        )
        if spec.enum:
            bound.choices = [
                Choice(value=str(v), label=str(v), id=f"{bound.id}-{i}", checked=str(v) == bound.value)
                for i, v in enumerate(spec.enum)
            ]
        bound_fields.append(bound)
        if spec.group:
            block = by_legend.get(spec.group)
            if block is None:
                block = by_legend[spec.group] = Block(legend=spec.group, fields=[])
                blocks.append(block)
            block.fields.append(bound)
        elif blocks and not blocks[-1].legend:
            blocks[-1].fields.append(bound)
        else:
            blocks.append(Block(legend="", fields=[bound]))
    return BoundForm(blocks=blocks, fields=bound_fields)


# ==================================================================================================
# Prefill from the population registry
# ==================================================================================================
@dataclass
class Prefill:
    """Values read from the registry for a signed-in citizen, by field key, and the person themself."""

    values: dict[str, Any] = field(default_factory=dict)
    person: Any = None
    linked: bool = False
    note: str = ""


def prefill_purpose(procedure_code: str) -> str:
    return _("Điền sẵn tờ khai %(code)s") % {"code": procedure_code}


def _address(address: str, commune) -> str:
    parts = [p for p in (address or "", getattr(commune, "name", "") or "") if p]
    return ", ".join(parts)


def person_value(person, attribute: str) -> Any:
    """One attribute of a registry record as a form shows it (labels for codes, ISO dates, full addresses)."""
    from egov.population.choices import Ethnicity, Sex

    if person is None:
        return None
    if attribute == "date_of_birth":
        return person.date_of_birth.isoformat() if person.date_of_birth else None
    if attribute == "sex":
        return str(Sex(person.sex).label) if person.sex else None
    if attribute == "ethnicity":
        return str(Ethnicity(person.ethnicity).label) if person.ethnicity else None
    if attribute == "nationality":
        return _("Việt Nam") if person.nationality == "VN" else person.nationality
    if attribute == "permanent_address":
        return _address(person.permanent_residence_address, person.permanent_residence_commune)
    if attribute == "temporary_address":
        return _address(person.temporary_residence_address, person.temporary_residence_commune)
    return getattr(person, attribute, None) or None


class _RegistryReader:
    """Reads for one prefill. Every read of a record goes through ``population.services.person_read`` with
    the purpose "Điền sẵn tờ khai <code>", so the citizen sees it in their access log (Decree 13/2023/NĐ-CP
    art. 9); a read the registry refuses leaves the fields empty for the applicant to type."""

    def __init__(self, *, user, purpose: str) -> None:
        self.user = user
        self.purpose = purpose
        self._records: dict[str, Any] = {}

    def read(self, id_number: str | None):
        if not id_number:
            return None
        if id_number not in self._records:
            from egov.population.services import person_read

            try:
                self._records[id_number] = person_read(
                    person_id_number=id_number, actor=self.user, purpose=self.purpose
                )
            except (PermissionDenied, NotFound, ValidationFailed):
                self._records[id_number] = None
        return self._records[id_number]


def prefill(schema: Mapping[str, Any] | None, *, user, procedure_code: str) -> Prefill:
    """Values for the fields that name an ``x-prefill`` path, read from the registry record the citizen's
    account is verified to be (``population.selectors.linked_person``), and that record itself (for the
    applicant's name, ID number and address). Nothing is read when the account is not linked.

    The applicant's own record is read once; a relative's (spouse, parents, household head) only when a
    field needs more than the name and ID number the applicant's record already carries.
    """
    from egov.population.choices import Relationship, Sex
    from egov.population.selectors import linked_person, person_households

    result = Prefill()
    me_link = linked_person(user=user)
    if me_link is None:
        return result
    result.linked = True
    reader = _RegistryReader(user=user, purpose=prefill_purpose(procedure_code))
    me = reader.read(me_link.id_number)
    if me is None:
        result.note = _("Chưa lấy được thông tin từ Cơ sở dữ liệu quốc gia về dân cư; vui lòng tự nhập.")
        return result
    result.person = me
    schema = as_schema(schema)
    subject = schema.get("x-subject", "applicant")

    def relative(root: str):
        """(summary with name and ID number, or None) of the person a path root names."""
        if root == "person":
            return me
        if root == "spouse":
            return me.spouse
        if root in ("father", "mother"):
            if subject == "child":
                wanted = Sex.MALE if root == "father" else Sex.FEMALE
                return me if me.sex == wanted else me.spouse
            return me.father if root == "father" else me.mother
        return None

    household_cache: dict[str, Any] = {}

    def membership():
        if "membership" not in household_cache:
            household_cache["membership"] = person_households(person_id=me.pk).order_by("pk").first()
        return household_cache["membership"]

    def household_head():
        if "head" not in household_cache:
            member = membership()
            head = None
            if member is not None:
                if member.household.head_id == me.pk:
                    head = me
                else:
                    from egov.population.models import Person

                    # Only the ID number is looked up here; the record itself is read through person_read.
                    number = (
                        Person.objects.filter(pk=member.household.head_id)
                        .values_list("id_number", flat=True)
                        .first()
                    )
                    head = reader.read(number)
            household_cache["head"] = head
        return household_cache["head"]

    for spec in form_fields(schema):
        path = spec.prefill
        if not path:
            continue
        value = None
        if path in HOUSEHOLD_PATHS:
            member = membership()
            if member is not None:
                if path == "household.code":
                    value = member.household.code
                elif path == "household.address":
                    value = member.household.address
                else:
                    value = str(Relationship(member.relationship).label)
        else:
            root, _dot, attribute = path.rpartition(".")
            if root == "household.head":
                person = household_head()
            else:
                person = relative(root)
                if person is not None and person is not me and attribute not in ("full_name", "id_number"):
                    # The applicant's record carries only the relative's name and number.
                    person = reader.read(person.id_number)
            value = person_value(person, attribute)
        if value in (None, ""):
            continue
        if spec.enum and value not in spec.enum:
            continue
        result.values[spec.key] = value
    return result


# ==================================================================================================
# Drafts (lưu nháp): long forms must survive a closed tab (peers' complaint, DESIGN.md)
# ==================================================================================================
DRAFT_MAX_BYTES = 256 * 1024


def form_draft_get(*, user, procedure):
    """The applicant's draft for ``procedure``, or None."""
    from .models import FormDraft

    if not getattr(user, "is_authenticated", False):
        return None
    return FormDraft.objects.filter(user=user, procedure=procedure).select_related("agency").first()


@transaction.atomic
def form_draft_save(*, user, procedure, agency=None, data: Mapping[str, Any]):
    """Create or replace the applicant's one draft for ``procedure`` (unique per user and procedure).

    Only what was typed is kept: attached files are not, and the draft is not validated, so a half-filled
    form can be saved. The size is capped so a draft cannot be used to store arbitrary data.
    """
    import json

    from .models import FormDraft

    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Vui lòng đăng nhập để lưu bản nháp."))
    payload = dict(data)
    if len(json.dumps(payload, ensure_ascii=False).encode()) > DRAFT_MAX_BYTES:
        raise ValidationFailed(_("Bản nháp quá lớn để lưu."), code="draft_too_large")
    draft, _created = FormDraft.objects.select_for_update().update_or_create(
        user=user, procedure=procedure, defaults={"agency": agency, "data": payload}
    )
    return draft


@transaction.atomic
def form_draft_discard(*, user, procedure) -> int:
    """Delete the applicant's draft for ``procedure`` (after submission, or on request)."""
    from .models import FormDraft

    deleted, _details = FormDraft.objects.filter(user=user, procedure=procedure).delete()
    return deleted
