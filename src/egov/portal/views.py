"""The citizen-facing pages: home (procedure search, status look-up) and the public dossier status.

The status page answers anyone who holds a dossier code, so it shows only what Circular 22/2019
art. 4 asks the portal to publish (the processing status at every step) and no personal data.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from egov.dossiers import selectors as dossier_selectors

# Circular 01/2018/TT-VPCP art. 19: <agency code (QCVN 102:2016)>-<YYMMDD>-<daily number>.
DOSSIER_CODE_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4,6}$")
MAX_CODE_LENGTH = 40
MAX_QUERY_LENGTH = 200
MAX_RESULTS = 20


def _procedure_search(q: str) -> list | None:
    """Catalog search results rendered on the page; ``None`` while the catalog search is not installed."""
    try:
        from egov.catalog.selectors import procedure_search
    except ImportError:
        return None
    return list(procedure_search(q)[:MAX_RESULTS])


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    results = _procedure_search(q) if q else None
    return render(request, "portal/home.html", {"q": q, "results": results})


@require_GET
def status(request: HttpRequest) -> HttpResponse:
    """Tra cứu tình trạng hồ sơ by code (Decree 61/2018 art. 17.3)."""
    raw = request.GET.get("code", "")
    code = raw.strip().upper()
    context: dict = {"code": raw.strip()[:MAX_CODE_LENGTH], "result": None, "error": ""}
    if not code:
        return render(request, "portal/status.html", context)
    if len(code) > MAX_CODE_LENGTH or not DOSSIER_CODE_RE.match(code):
        context["error"] = _(
            "Mã hồ sơ không đúng định dạng. Mã hồ sơ in trên Giấy tiếp nhận, ví dụ 000.00.15.H29-250714-0007."
        )
        return render(request, "portal/status.html", context, status=400)
    result = dossier_selectors.public_status(code)
    if result is None:
        context["error"] = _(
            "Không tìm thấy hồ sơ có mã %(code)s. Vui lòng kiểm tra lại mã trên Giấy tiếp nhận, "
            "hoặc liên hệ Bộ phận Một cửa nơi nộp hồ sơ."
        ) % {"code": code}
        return render(request, "portal/status.html", context, status=404)
    context["result"] = result
    context["code"] = code
    return render(request, "portal/status.html", context)
