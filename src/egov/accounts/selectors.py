"""Reads for accounts: who may act where."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet

from egov.core.compiled import CompiledQuery
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


OFFICERS_WITH_ROLE = CompiledQuery(officers_with_role, -1_000_000_007, "egov-role-placeholder")


def officers_holding(agency_id: int, role: str) -> list[User]:
    """``officers_with_role`` as a list, through SQL compiled once (counter reception reads it each time)."""
    return OFFICERS_WITH_ROLE.objects(agency_id, str(role))


def leaders_of(agency_id: int) -> QuerySet[User]:
    return officers_with_role(agency_id, Role.LEADER)


USER_ATTNAMES = [f.attname for f in User._meta.concrete_fields]


def _token_user_roles(key_hash: str):
    return User.objects.filter(
        api_tokens__key_hash=key_hash, api_tokens__revoked_at__isnull=True, is_active=True
    ).values_list(*USER_ATTNAMES, "roles__agency_id", "roles__role", "roles__is_active")


TOKEN_USER_ROLES = CompiledQuery(_token_user_roles, "egov-accounts-token-hash-placeholder")
"""The account of a token and its roles in one query (one row per role), compiled once: every API call
authenticates through it."""


def token_account(key_hash: str) -> tuple[tuple, list[tuple[int, str]]] | None:
    """The user row (``USER_ATTNAMES``) and active (agency id, role) pairs of the account holding the
    token hashed to ``key_hash``: recorded, not revoked, the account active. ``None`` otherwise."""
    rows = TOKEN_USER_ROLES.rows(key_hash, alias=DEFAULT_DB_ALIAS)
    if not rows:
        return None
    width = len(USER_ATTNAMES)
    roles = [
        (agency_id, role) for agency_id, role, active in (row[width:] for row in rows) if agency_id and active
    ]
    return tuple(rows[0][:width]), roles


def user_from_account(user_row: tuple, roles: list[tuple[int, str]]) -> User:
    """A fresh user instance from ``token_account``'s answer, its roles already known (the cache that
    ``user_agency_ids`` keeps on the object), so role checks cost no query."""
    user = User.from_db(DEFAULT_DB_ALIAS, USER_ATTNAMES, user_row)
    user._egov_roles = list(roles)  # type: ignore[attr-defined]
    return user


def user_for_token(key: str) -> User | None:
    """The active account holding the API token ``key`` (not revoked), with its roles loaded."""
    found = token_account(ApiToken.hash_key(key))
    return user_from_account(*found) if found is not None else None
