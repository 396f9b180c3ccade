"""The API's error shape (DESIGN.md): ``{"error": {"code": ..., "message": ...}}`` with a 4xx status."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja.security import HttpBearer


def error_response(status: int, code: str, message: str, *, details: Any = None) -> JsonResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = json.loads(json.dumps(details, default=str))
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>`` from ``manage.py issue_api_token``."""

    def __call__(self, request: HttpRequest):
        # ninja's rule (scheme case-insensitive, the rest is the token), read from META: ``request.headers``
        # would first build a dict of every header of the request, on every call.
        value = request.META.get("HTTP_AUTHORIZATION")
        if not value:
            return None
        scheme, _space, token = value.partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str):
        from egov.accounts.selectors import user_for_token

        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user


bearer = BearerToken()
