"""The public, versioned API (``/api/v1/``). Each app contributes a router from its ``api.py``."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from egov.core.api_support import error_response
from egov.core.errors import DomainError

api = NinjaAPI(
    title="egov API",
    version="1",
    description="Nền tảng chính quyền điện tử: API ổn định phiên bản 1.",
    urls_namespace="api-v1",
)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError):
    return error_response(exc.status, exc.code, exc.message)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    where = ".".join(
        str(p) for p in first.get("loc", []) if p not in ("body", "query", "path", "form", "payload")
    )
    message = f"Dữ liệu không hợp lệ ({where}): {first.get('msg', '')}" if where else "Dữ liệu không hợp lệ."
    return error_response(400, "validation_error", message, details=exc.errors)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError):
    return error_response(401, "unauthorized", "Cần mã truy cập hợp lệ (Authorization: Bearer <token>).")


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig):
    return error_response(413, "request_too_large", "Dữ liệu gửi lên quá lớn.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError):
    return error_response(exc.status_code, "error", str(exc))


def _register_routers() -> None:
    from egov.catalog.api import router as catalog_router
    from egov.core.api import router as core_router
    from egov.dashboards.api import router as stats_router
    from egov.documents.api import router as documents_router
    from egov.dossiers.api import router as dossier_router
    from egov.exchange.api import router as exchange_router
    from egov.payments.api import router as payments_router
    from egov.population.api import router as population_router
    from egov.signing.api import router as signing_router

    api.add_router("/calendar", core_router)
    api.add_router("/procedures", catalog_router)
    api.add_router("/dossiers", dossier_router)
    api.add_router("/stats", stats_router)
    api.add_router("/population", population_router)
    api.add_router("/verify", signing_router)
    api.add_router("/documents", documents_router)
    api.add_router("/payments", payments_router)
    api.add_router("/exchange", exchange_router)


_register_routers()
