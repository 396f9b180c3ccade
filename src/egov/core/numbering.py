"""Gap-free, never-repeating counters shared by every worker.

One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement both creates and increments the row,
so two receptions at the same instant on PostgreSQL get different numbers (the row lock taken by the
UPDATE serialises them), and a rolled-back transaction gives its number back.
"""

from __future__ import annotations

from django.db import connection

from .models import Sequence

_TABLE = Sequence._meta.db_table


def next_value(scope: str) -> int:
    """Return the next value of ``scope`` (1 for a new scope). Call inside the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (scope, value) VALUES (%s, 1) "  # noqa: S608 - table name is ours
            f"ON CONFLICT (scope) DO UPDATE SET value = {_TABLE}.value + 1 RETURNING value",
            [scope],
        )
        return int(cursor.fetchone()[0])


def next_values(scopes: list[str]) -> dict[str, int]:
    """``next_value`` of several scopes in one statement (one round trip), e.g. a dossier's code and its
    register number. Rows are locked in the order given: callers list scopes in one fixed order."""
    if len(set(scopes)) != len(scopes):
        raise ValueError("next_values: each scope once")
    with connection.cursor() as cursor:
        cursor.execute(draw_statement(len(scopes)), scopes)
        return {scope: int(value) for scope, value in cursor.fetchall()}


def draw_statement(count: int) -> str:
    """The statement of ``next_values`` for ``count`` scopes (its parameters: the scopes; it returns
    ``scope, value`` rows), for a caller that uses the numbers in the same statement (inside a ``WITH``)."""
    rows = ", ".join(["(%s, 1)"] * count)
    return (
        f"INSERT INTO {_TABLE} (scope, value) VALUES {rows} "  # noqa: S608 - table name is ours
        f"ON CONFLICT (scope) DO UPDATE SET value = {_TABLE}.value + 1 RETURNING scope, value"
    )


def current_value(scope: str) -> int:
    return Sequence.objects.filter(scope=scope).values_list("value", flat=True).first() or 0
