"""Bearer authentication for the registry API, in one query, remembered for a few seconds.

Same rule as ``egov.core.api_support.bearer`` (``accounts.selectors.user_for_token``): a token whose
SHA-256 hash is on record, not revoked, of an active account. The account's active roles come back in the
same query (one row per role) and fill the cache that ``accounts.selectors.user_agency_ids`` keeps on the
user object, so the officer check that follows costs no query.

Systems that call the look-up (police, social insurance, the one-stop software) send thousands of requests
with one token, so each worker process remembers a token's account and roles for
``EGOV_REGISTRY_AUTH_CACHE_SECONDS`` (default 10; 0 turns it off): a revoked token, a deactivated account or
a withdrawn role stops working within that time instead of at once. That saves a database round trip per
look-up (performance goal R1); every read is still logged with the account that made it.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest

from egov.accounts.models import ApiToken
from egov.accounts.selectors import token_account, user_from_account
from egov.core.api_support import BearerToken

CACHE_MAX_TOKENS = 1024


class RegistryBearer(BearerToken):
    """``Authorization: Bearer <token>``: the user, with their roles loaded in the same query."""

    def __init__(self) -> None:
        super().__init__()
        self._cache: dict[str, tuple[float, tuple, list]] = {}

    def clear(self) -> None:
        self._cache.clear()

    def _lookup(self, key_hash: str) -> tuple[tuple, list] | None:
        ttl = float(getattr(settings, "EGOV_REGISTRY_AUTH_CACHE_SECONDS", 10))
        now = time.monotonic()
        cached = self._cache.get(key_hash)
        if cached is not None and now - cached[0] < ttl:
            return cached[1], cached[2]
        found = token_account(key_hash)
        if found is None:
            self._cache.pop(key_hash, None)
            return None
        user_row, roles = found
        if ttl > 0:
            if len(self._cache) >= CACHE_MAX_TOKENS:
                self._cache.clear()
            self._cache[key_hash] = (now, user_row, roles)
        return user_row, roles

    def authenticate(self, request: HttpRequest, token: str):
        found = self._lookup(ApiToken.hash_key(token))
        if found is None:
            return None
        user_row, roles = found
        # A fresh instance per request: nothing a view does to it leaks into the next request.
        user = user_from_account(user_row, roles)
        request.user = user
        return user


registry_bearer = RegistryBearer()
