"""Reads for accounts: who may act where."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from egov.core.models import Agency

from .choices import Role
from .models import ApiToken, RoleAssignment, User


def user_agency_ids(user: User, roles: Iterable[str] | None = None) -> set[int]:
    """Agencies where ``user`` holds an active role (any of ``roles`` if given). Cached on the user object."""
    if not user.is_authenticated:
        return set()
    cache = getattr(user, "_egov_roles", None)
    if cache is None:
        cache = list(
            RoleAssignment.objects.filter(user=user, is_active=True).values_list("agency_id", "role")
        )
        user._egov_roles = cache  # type: ignore[attr-defined]
    wanted = set(roles) if roles is not None else None
    return {agency_id for agency_id, role in cache if wanted is None or role in wanted}


def user_roles_in(user: User, agency_id: int) -> set[str]:
    user_agency_ids(user)
    return {role for held_agency_id, role in user._egov_roles if held_agency_id == agency_id}  # type: ignore[attr-defined]


def user_has_role(user: User, agency_id: int, *roles: str) -> bool:
    return bool(user_agency_ids(user, roles or None) & {agency_id})


def user_is_officer(user: User) -> bool:
    return bool(user_agency_ids(user))


def user_agencies(user: User) -> QuerySet[Agency]:
    return Agency.objects.filter(pk__in=user_agency_ids(user)).order_by("name")


def officers_with_role(agency_id: int, role: str) -> QuerySet[User]:
    return User.objects.filter(
        roles__agency_id=agency_id, roles__role=role, roles__is_active=True, is_active=True
    ).order_by("full_name", "username")


def leaders_of(agency_id: int) -> QuerySet[User]:
    return officers_with_role(agency_id, Role.LEADER)


def user_for_token(key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return token.user if token else None
