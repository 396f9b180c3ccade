"""The public procedure catalog and online submission (thủ tục hành chính, nộp hồ sơ trực tuyến).

* ``/thu-tuc/``: search that forgives missing diacritics (the catalog's substring search) and typos (a
  fallback over the words of the catalog: Damerau-Levenshtein distance of at most 1 or 2 per word, with
  the i/y spelling variants treated as equal), filtered by field and level.
* ``/thu-tuc/<code>/``: what a citizen needs before going (reference §3.1: steps, papers, fees in person
  and online, processing time, result, legal basis, the agencies offering it) and the date the result is
  due if the dossier is submitted now.
* ``/thu-tuc/<code>/nop-ho-so/``: the e-form (``eforms.py``) prefilled from the registry, one file per
  paper, a draft to come back to, and ``dossiers.services.dossier_submit``.

Low online use was blamed on forms that ask again for what the state already holds and on citizens
without help at hand (seed 003); hence the prefill, the draft, and pages that work without JavaScript.
"""

from __future__ import annotations

import difflib
import threading
import time
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.validators import RegexValidator
from django.db import transaction
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from egov.catalog.choices import GovernmentLevel, OnlineLevel
from egov.catalog.search import normalize, query_terms
from egov.catalog.selectors import (
    fields_list,
    offering_for,
    procedure_agencies,
    procedure_default_template,
    procedure_get,
    procedure_search,
)
from egov.catalog.services import format_amount, time_label
from egov.core.calendar import get_calendar
from egov.core.choices import TimeUnit
from egov.core.errors import DomainError, NotFound
from egov.dossiers.choices import Channel, DocumentOrigin, ReturnMethod
from egov.dossiers.services import ApplicantInput, DocumentInput, dossier_get, dossier_submit
from egov.payments.amounts import format_vnd
from egov.payments.selectors import payment_required

from . import eforms

PAGE_SIZE = 20
MAX_QUERY_LENGTH = 200
FUZZY_LIMIT = 20
ONLINE_LEVELS = (OnlineLevel.FULL, OnlineLevel.PARTIAL)


# ==================================================================================================
# Typo-tolerant search
# ==================================================================================================
# "ký" and "kí", "lý" and "lí", "quý" and "quí" are both written: the y/i choice is spelling, not meaning.
_FOLD_Y = str.maketrans({"y": "i"})
_INDEX_SECONDS = 60.0


def _canonical(text: str) -> str:
    return text.translate(_FOLD_Y)


def _distance_within(a: str, b: str, limit: int) -> int | None:
    """Optimal-string-alignment distance of ``a`` and ``b`` (insert, delete, substitute, swap two
    neighbours) if it is at most ``limit``, else None; rows stop early once every cell exceeds it."""
    if abs(len(a) - len(b)) > limit:
        return None
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        best = i
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if before is not None and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, before[j - 2] + 1)
            current[j] = value
            best = min(best, value)
        if best > limit:
            return None
        before, previous = previous, current
    return previous[-1] if previous[-1] <= limit else None


@dataclass(frozen=True)
class _Entry:
    pk: int
    code: str
    name: str  # normalized and canonical, for ranking
    words: frozenset[str]
    field_code: str
    level: str


class _CatalogIndex:
    """The words of every active procedure, per process; rebuilt when the catalog changes (count or last
    update) and at least every minute (a renamed field changes search keys without touching ``updated_at``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._built_at = 0.0
        self.entries: list[_Entry] = []
        self.vocabulary: frozenset[str] = frozenset()

    def get(self) -> _CatalogIndex:
        active = procedure_search(None)
        stamp = tuple(active.aggregate(n=Count("pk"), last=Max("updated_at")).values())
        with self._lock:
            if stamp == self._stamp and time.monotonic() - self._built_at < _INDEX_SECONDS:
                return self
        entries = []
        for pk, code, name, text, field_code, level in active.values_list(
            "pk", "code", "name", "search_text", "field__code", "level"
        ):
            words = frozenset(_canonical(w) for w in text.split() if w)
            entries.append(_Entry(pk, code, _canonical(normalize(name)), words, field_code, level))
        with self._lock:
            self.entries = entries
            self.vocabulary = frozenset().union(*(e.words for e in entries)) if entries else frozenset()
            self._stamp = stamp
            self._built_at = time.monotonic()
        return self


_index = _CatalogIndex()


def _term_costs(term: str, vocabulary: frozenset[str]) -> dict[str, int]:
    """Words of the catalog that ``term`` may stand for, with the number of typos: 0 for a word it begins
    (typed partly) or equals; up to 1 for 3-4 letters, 2 for longer words. One or two letters: exact."""
    limit = 0 if len(term) <= 2 else 1 if len(term) <= 4 else 2
    costs: dict[str, int] = {}
    for word in vocabulary:
        if word.startswith(term):
            costs[word] = 0
        elif limit:
            distance = _distance_within(term, word, limit)
            if distance is None and len(word) > len(term):
                # A typo in a word typed partly: "thuog" for "thuong".
                distance = _distance_within(term, word[: len(term)], limit)
            if distance is not None:
                costs[word] = distance
    return costs


def procedure_fuzzy_search(
    q: str, *, field: str | None = None, level: str | None = None, limit: int = FUZZY_LIMIT
) -> list:
    """Procedures whose every query word is close to a word of their code, name or field, fewest typos
    first, then by similarity of the whole name (``difflib``). When no procedure has every word, the
    names most similar to the query (ratio at least 0.6) are offered instead.
    """
    terms = [_canonical(t) for t in query_terms(q)]
    if not terms:
        return []
    index = _index.get()
    entries = [
        e for e in index.entries if (not field or e.field_code == field) and (not level or e.level == level)
    ]
    costs = [_term_costs(term, index.vocabulary) for term in terms]
    wanted = " ".join(terms)
    scored: list[tuple[float, float, str, int]] = []
    for entry in entries:
        total = 0
        for cost in costs:
            best = min((cost[w] for w in entry.words if w in cost), default=None)
            if best is None:
                break
            total += best
        else:
            ratio = difflib.SequenceMatcher(None, wanted, entry.name).ratio()
            scored.append((total, -ratio, entry.code, entry.pk))
    if not scored:
        for entry in entries:
            matcher = difflib.SequenceMatcher(None, wanted, entry.name)
            if matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6 and matcher.ratio() >= 0.6:
                scored.append((99, -matcher.ratio(), entry.code, entry.pk))
    scored.sort()
    pks = [pk for *_rest, pk in scored[:limit]]
    found = {p.pk: p for p in procedure_search(None).filter(pk__in=pks)}
    return [found[pk] for pk in pks if pk in found]


def rank_by_relevance(procedures, q: str) -> list:
    """Matches of the substring search, best first: the name equal to the query, then beginning with it,
    then by similarity (``difflib``), then by code. "Đăng ký thường trú" comes before "Xóa đăng ký
    thường trú" for the query "dang ky thuong tru"."""
    wanted = _canonical(" ".join(query_terms(q)))

    def key(procedure) -> tuple:
        name = _canonical(normalize(procedure.name))
        closeness = 0 if name == wanted else 1 if name.startswith(wanted) else 2
        return (closeness, -difflib.SequenceMatcher(None, wanted, name).ratio(), procedure.code)

    return sorted(procedures, key=key)


# ==================================================================================================
# Catalog pages
# ==================================================================================================
class ProcedureSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Tên thủ tục hoặc từ khóa"),
        required=False,
        max_length=MAX_QUERY_LENGTH,
        help_text=gettext_lazy("Ví dụ: đăng ký thường trú. Có thể gõ không dấu, gõ sai một vài chữ."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    field = forms.ChoiceField(label=gettext_lazy("Lĩnh vực"), required=False)
    level = forms.ChoiceField(
        label=gettext_lazy("Cấp thực hiện"),
        required=False,
        choices=[("", gettext_lazy("Tất cả các cấp")), *GovernmentLevel.choices],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", _("Tất cả lĩnh vực"))] + [
            (f.code, f.name) for f in fields_list()
        ]


def _step_time(amount, unit: str) -> str:
    """A step's share of the time: hours for "same day" procedures, where the steps share one day."""
    if unit == TimeUnit.SAME_DAY:
        hours = amount * get_calendar().hours_per_day()
        return _("%(n)s giờ làm việc") % {"n": format_amount(hours)}
    return time_label(amount, unit)


@require_GET
def procedure_list(request: HttpRequest) -> HttpResponse:
    form = ProcedureSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    q = (filters.get("q") or "").strip()
    field = filters.get("field") or None
    level = filters.get("level") or None
    matches = procedure_search(q, field=field, level=level)
    if q:
        # Ranked in Python: the substring search has already narrowed the catalog to a few rows.
        matches = rank_by_relevance(matches, q)
    page = Paginator(matches, PAGE_SIZE).get_page(request.GET.get("page"))
    results = list(page.object_list)
    fuzzy = False
    if q and not results:
        results = procedure_fuzzy_search(q, field=field, level=level)
        fuzzy = bool(results)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/procedures/list.html",
        {
            "form": form,
            "q": q,
            "page": page if not fuzzy else None,
            "rows": [(p, time_label(p.processing_amount, p.processing_unit)) for p in results],
            "fuzzy": fuzzy,
            "searched": bool(request.GET),
            "querystring_base": f"{query.urlencode()}&" if query else "",
        },
        status=200 if form.is_valid() or not request.GET else 400,
    )


def _procedure_or_404(code: str):
    procedure = procedure_get(code)
    if procedure is None:
        raise Http404(_("Không tìm thấy thủ tục có mã %(code)s.") % {"code": code})
    return procedure


def _chosen(agencies: list, wanted: Any):
    if wanted:
        for agency in agencies:
            if str(agency.pk) == str(wanted):
                return agency
    return agencies[0] if len(agencies) == 1 else None


def expected_due(procedure, *, at=None):
    """When the result would be due if the dossier were received at ``at`` (now), by the working calendar
    (receipt after 15:00 counts from the next working day; days do not count the day of receipt)."""
    return get_calendar().due(at or timezone.now(), procedure.processing_amount, procedure.processing_unit)


@require_GET
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    procedure = _procedure_or_404(code)
    agencies = list(procedure_agencies(procedure))
    agency = _chosen(agencies, request.GET.get("agency")) or (agencies[0] if agencies else None)
    offering = offering_for(procedure.code, agency.pk) if agency else None
    template = offering.process_template if offering else procedure_default_template(procedure)
    steps = list(template.steps.order_by("position")) if template else []
    fees = (
        {"in_person": offering.fee(online=False), "online": offering.fee(online=True)}
        if offering
        else procedure.fees
    )
    return render(
        request,
        "portal/procedures/detail.html",
        {
            "procedure": procedure,
            "agencies": agencies,
            "agency": agency,
            "offering": offering,
            "steps": [(s, _step_time(s.amount, procedure.processing_unit)) for s in steps],
            "documents": sorted(procedure.required_documents.all(), key=lambda d: d.position),
            "fees": {key: format_vnd(value) if value else "" for key, value in fees.items()},
            "time_label": time_label(procedure.processing_amount, procedure.processing_unit),
            "expected_due": expected_due(procedure),
            "online": procedure.online_level in ONLINE_LEVELS and bool(agencies),
        },
    )


# ==================================================================================================
# Submission
# ==================================================================================================
def _vault():
    """``egov.dossiers.vault`` once the citizen's vault is installed (another change), else None."""
    try:
        from egov.dossiers import vault
    except ImportError:
        return None
    return vault if hasattr(vault, "vault_document_input") else None


def _vault_items(vault, user) -> list[tuple[str, str]]:
    """(id, label) of the citizen's vault items, if the vault module lists them (``vault_items(user=)``)."""
    lister = getattr(vault, "vault_items", None) if vault else None
    if lister is None:
        return []
    return [(str(item.pk), str(getattr(item, "name", "") or item)) for item in lister(user=user)]


_id_number = RegexValidator(r"^\d{12}$", gettext_lazy("Số định danh cá nhân phải gồm đúng 12 chữ số."))


class ApplicantForm(forms.Form):
    """Who submits (người nộp hồ sơ): what goes on the receipt (Mẫu 01) and where notices are sent."""

    name = forms.CharField(
        label=gettext_lazy("Họ, chữ đệm và tên"),
        max_length=150,
        error_messages={"required": gettext_lazy("Vui lòng nhập họ, chữ đệm và tên người nộp hồ sơ.")},
    )
    id_number = forms.CharField(
        label=gettext_lazy("Số định danh cá nhân"),
        max_length=12,
        validators=[_id_number],
        help_text=gettext_lazy("12 chữ số, in trên thẻ căn cước."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": gettext_lazy("Vui lòng nhập số định danh cá nhân của người nộp hồ sơ.")},
    )
    phone = forms.CharField(
        label=gettext_lazy("Số điện thoại"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("Thư điện tử"),
        required=False,
        help_text=gettext_lazy("Để nhận thông báo về hồ sơ."),
        error_messages={"invalid": gettext_lazy("Thư điện tử không đúng định dạng, ví dụ ten@example.vn.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    address = forms.CharField(label=gettext_lazy("Địa chỉ liên hệ"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "applicant")
        super().__init__(*args, **kwargs)

    def link_errors(self) -> None:
        """Tie each input to its help and error texts (``aria-describedby``) once the form is validated."""
        for name, field in self.fields.items():
            bound = self[name]
            ids = [f"{bound.auto_id}_helptext"] if field.help_text else []
            if bound.errors:
                ids.append(f"{bound.auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)


@dataclass
class _Paper:
    """One required document on the submission page."""

    document: Any
    id: str
    name: str
    errors: list[str]
    vault_choices: list[tuple[str, str]]
    vault_value: str = ""

    @property
    def describedby(self) -> str:
        return " ".join([f"{self.id}-help", *([f"{self.id}-error"] if self.errors else [])])


def _papers(procedure, *, vault_choices, errors=None, post=None) -> list[_Paper]:
    errors = errors or {}
    return [
        _Paper(
            document=d,
            id=f"id_doc-{d.pk}",
            name=f"doc-{d.pk}",
            errors=errors.get(d.pk, []),
            vault_choices=vault_choices,
            vault_value=(post or {}).get(f"vault-{d.pk}", ""),
        )
        for d in sorted(procedure.required_documents.all(), key=lambda d: d.position)
    ]


def _applicant_initial(user, person) -> dict[str, str]:
    initial = {
        "name": getattr(user, "display_name", "") or "",
        "email": getattr(user, "email", "") or "",
        "phone": getattr(user, "phone", "") or "",
    }
    if person is not None:
        initial["name"] = person.full_name
        initial["id_number"] = person.id_number
        initial["address"] = eforms.person_value(person, "permanent_address") or ""
    return initial


def _render_submit(request, procedure, agencies, *, status=200, **context) -> HttpResponse:
    schema = eforms.as_schema(procedure.form_schema)
    agency = context.pop("agency", None)
    offering = offering_for(procedure.code, agency.pk) if agency else None
    vault = _vault()
    vault_choices = _vault_items(vault, request.user)
    eform = context.pop("eform", None) or eforms.bind(schema)
    applicant = context.pop("applicant")
    papers = context.pop("papers", None) or _papers(procedure, vault_choices=vault_choices)
    errors: list[tuple[str, str]] = list(context.pop("top_errors", []))
    if context.get("agency_error"):
        errors.append(("id_agency-0", context["agency_error"]))
    for name in applicant.fields:
        for message in applicant[name].errors:
            errors.append((applicant[name].auto_id, message))
    errors.extend(eform.error_list())
    for paper in papers:
        errors.extend((paper.id, message) for message in paper.errors)
    if context.get("return_error"):
        errors.append(("id_return_method-0", context["return_error"]))
    applicant.link_errors()
    return_method = context.pop("return_method", "") or (
        ReturnMethod.ONLINE if procedure.online_level == OnlineLevel.FULL else ReturnMethod.COUNTER
    )
    fee_online = offering.fee(online=True) if offering else procedure.fee_online
    return render(
        request,
        "portal/procedures/submit.html",
        {
            "procedure": procedure,
            "agencies": agencies,
            "agency": agency,
            "offering": offering,
            "fee_online": format_vnd(fee_online) if fee_online else "",
            "eform": eform,
            "applicant": applicant,
            "papers": papers,
            "vault_available": bool(vault and vault_choices),
            "return_methods": [(i, value, label) for i, (value, label) in enumerate(ReturnMethod.choices)],
            "return_method": return_method,
            "errors": errors,
            "expected_due": expected_due(procedure),
            "time_label": time_label(procedure.processing_amount, procedure.processing_unit),
            **context,
        },
        status=status,
    )


def _draft_payload(request, schema) -> dict[str, Any]:
    applicant = {
        key: str(request.POST.get(f"applicant-{key}", ""))[:255]
        for key in ("name", "id_number", "phone", "email", "address")
    }
    return {
        "form": eforms.raw_values(schema, request.POST),
        "applicant": applicant,
        "return_method": str(request.POST.get("return_method", ""))[:20],
    }


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, code: str) -> HttpResponse:
    """Online submission (Decree 61/2018 art. 17.2; Decree 42/2022 art. 11: full or partial online)."""
    procedure = _procedure_or_404(code)
    agencies = list(procedure_agencies(procedure))
    if procedure.online_level not in ONLINE_LEVELS or not agencies:
        return render(
            request,
            "portal/procedures/submit_unavailable.html",
            {"procedure": procedure, "agencies": agencies},
            status=200 if request.method == "GET" else 400,
        )
    schema = eforms.as_schema(procedure.form_schema)
    draft = eforms.form_draft_get(user=request.user, procedure=procedure)

    if request.method == "GET":
        agency = _chosen(agencies, request.GET.get("agency"))
        if draft is not None:
            data = draft.data or {}
            return _render_submit(
                request,
                procedure,
                agencies,
                agency=_chosen(agencies, request.GET.get("agency") or draft.agency_id) or agency,
                eform=eforms.bind(schema, values=data.get("form") or {}),
                applicant=ApplicantForm(initial=data.get("applicant") or {}),
                return_method=data.get("return_method", ""),
                draft=draft,
            )
        filled = eforms.prefill(schema, user=request.user, procedure_code=procedure.code)
        return _render_submit(
            request,
            procedure,
            agencies,
            agency=agency,
            eform=eforms.bind(schema, values=filled.values, prefilled=filled.values),
            applicant=ApplicantForm(initial=_applicant_initial(request.user, filled.person)),
            prefill=filled,
        )

    action = request.POST.get("action", "submit")
    agency = _chosen(agencies, request.POST.get("agency"))
    if action == "discard_draft":
        eforms.form_draft_discard(user=request.user, procedure=procedure)
        messages.success(request, _("Đã xóa bản nháp. Tờ khai được điền lại từ đầu."))
        return redirect("procedures:submit", code=procedure.code)
    if action == "save_draft":
        try:
            saved = eforms.form_draft_save(
                user=request.user, procedure=procedure, agency=agency, data=_draft_payload(request, schema)
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _(
                    "Đã lưu bản nháp lúc %(time)s. Bạn có thể quay lại trang này để nộp tiếp; "
                    "tệp đính kèm không được lưu, cần chọn lại khi nộp."
                )
                % {"time": timezone.localtime(saved.updated_at).strftime("%H:%M %d/%m/%Y")},
            )
        return redirect("procedures:submit", code=procedure.code)

    # ---- submit ----
    raw = eforms.raw_values(schema, request.POST)
    form_data, form_errors = eforms.clean(schema, raw)
    applicant = ApplicantForm(request.POST)
    applicant_ok = applicant.is_valid()
    offering = offering_for(procedure.code, agency.pk) if agency else None
    agency_error = "" if offering else _("Vui lòng chọn cơ quan tiếp nhận hồ sơ.")
    return_method = str(request.POST.get("return_method", ""))
    return_error = "" if return_method in ReturnMethod.values else _("Vui lòng chọn hình thức nhận kết quả.")

    vault = _vault()
    documents: list[DocumentInput] = []
    paper_errors: dict[int, list[str]] = {}
    for document in sorted(procedure.required_documents.all(), key=lambda d: d.position):
        upload = request.FILES.get(f"doc-{document.pk}")
        item_id = str(request.POST.get(f"vault-{document.pk}", "")).strip()
        if upload is not None:
            documents.append(
                DocumentInput(required_document_id=document.pk, file=upload, origin=DocumentOrigin.UPLOAD)
            )
        elif item_id and vault is not None:
            try:
                documents.append(
                    vault.vault_document_input(
                        user=request.user, item_id=int(item_id), required_document_id=document.pk
                    )
                )
            except (DomainError, ValueError) as exc:
                paper_errors[document.pk] = [
                    getattr(exc, "message", "") or _("Không dùng được giấy tờ đã chọn.")
                ]
        elif document.mandatory:
            paper_errors[document.pk] = [_("Vui lòng đính kèm %(name)s.") % {"name": document.name}]

    def again(status: int, top_errors=()) -> HttpResponse:
        return _render_submit(
            request,
            procedure,
            agencies,
            status=status,
            agency=agency,
            agency_error=agency_error,
            eform=eforms.bind(schema, values=raw, errors=form_errors),
            applicant=applicant,
            papers=_papers(
                procedure,
                vault_choices=_vault_items(vault, request.user),
                errors=paper_errors,
                post=request.POST,
            ),
            return_method=return_method,
            return_error=return_error,
            top_errors=top_errors,
            draft=draft,
        )

    if form_errors or not applicant_ok or agency_error or return_error or paper_errors:
        return again(400)
    data = applicant.cleaned_data
    try:
        with transaction.atomic():
            dossier = dossier_submit(
                offering=offering,
                applicant=ApplicantInput(
                    name=data["name"],
                    id_number=data["id_number"],
                    phone=data.get("phone", ""),
                    email=data.get("email", ""),
                    address=data.get("address", ""),
                    user=request.user,
                ),
                documents=documents,
                actor=request.user,
                channel=Channel.ONLINE,
                return_method=return_method,
                form_data=form_data,
            )
            eforms.form_draft_discard(user=request.user, procedure=procedure)
    except DomainError as exc:
        return again(
            exc.status if 400 <= exc.status < 500 else 400, top_errors=[("submit-form", exc.message)]
        )
    return redirect("procedures:submitted", code=procedure.code, dossier_code=dossier.code)


@login_required
@require_GET
def submitted(request: HttpRequest, code: str, dossier_code: str) -> HttpResponse:
    """After submission: the dossier code, the expected return date and, if a fee is due, where to pay."""
    try:
        dossier = dossier_get(code=dossier_code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if dossier.applicant_user_id != request.user.pk or dossier.procedure.code != code:
        raise Http404(_("Không tìm thấy hồ sơ %(code)s.") % {"code": dossier_code})
    due = dossier.effective_due_at or get_calendar().due(
        dossier.submitted_at or timezone.now(), dossier.processing_amount, dossier.processing_unit
    )
    return render(
        request,
        "portal/procedures/submitted.html",
        {
            "dossier": dossier,
            "expected_due": due,
            "received": dossier.due_at is not None,
            "fee_due": payment_required(dossier),
            "fee": format_vnd(dossier.fee),
            "pay_url": reverse("payments:dossier", kwargs={"code": dossier.code}),
        },
    )
