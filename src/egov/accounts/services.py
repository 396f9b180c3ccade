"""Writes for accounts: tokens and role grants."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from .models import ApiToken, RoleAssignment, User


@transaction.atomic
def api_token_issue(*, user: User, name: str = "") -> str:
    """Create a bearer token for ``user`` and return it in clear (the only time it is visible)."""
    key = "egov_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, prefix=key[:12], key_hash=ApiToken.hash_key(key))
    return key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])


@transaction.atomic
def role_grant(*, user: User, agency, role: str, department=None) -> RoleAssignment:
    assignment, _created = RoleAssignment.objects.update_or_create(
        user=user, agency=agency, role=role, defaults={"department": department, "is_active": True}
    )
    return assignment
