"""ORM queries compiled once per process, for the registry's hot look-up path.

Compiling a Django query set into SQL costs far more than running a point query on PostgreSQL (about a
millisecond for the person's query with its joins, against ~0.1 ms of database time), and the look-up API
must stay within 0.35x of a bare view (performance goal R1). ``CompiledQuery`` compiles a query set built
with a placeholder value once per database connection alias, then re-runs the very same SQL with the real
value and turns rows into values the way the ORM does (the backend's and the fields' converters). The SQL
is the ORM's own, so the EXPLAIN test (``tests/test_explain.py``) checks exactly what is sent.

Only for simple look-ups whose placeholder reaches the SQL unchanged (equality on a text or integer
column); ``CompiledQuery`` refuses to build otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet


class CompiledQuery:
    """``build(placeholder) -> QuerySet`` compiled per alias; ``rows(value)`` / ``first_object(value)``."""

    def __init__(self, build: Callable[[Any], QuerySet], placeholder: Any) -> None:
        self.build = build
        self.placeholder = placeholder
        self._compiled: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple:
        compiled = self._compiled.get(alias)
        if compiled is not None:
            return compiled
        with self._lock:
            queryset = self.build(self.placeholder).using(alias)
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            params = list(params)
            slots = [i for i, p in enumerate(params) if p == self.placeholder]
            if len(slots) != 1:
                raise ValueError(f"placeholder must appear exactly once in the parameters: {params!r}")
            fields = [column[0] for column in compiler.select[: compiler.col_count]]
            converters = compiler.get_converters(fields)
            attnames = [getattr(getattr(f, "target", None), "attname", None) for f in fields]
            compiled = (sql, params, slots[0], compiler, converters, attnames, queryset.model)
            self._compiled[alias] = compiled
            return compiled

    def column_count(self, alias: str = "default") -> int:
        """How many columns the query returns."""
        return len(self._compile(alias)[5])

    def sql(self, alias: str = "default") -> str:
        return self._compile(alias)[0]

    def params(self, value: Any, *, alias: str = "default") -> list:
        """The parameters of ``sql()`` with ``value`` in the placeholder's place."""
        _sql, params, slot, *_rest = self._compile(alias)
        params = params.copy()
        params[slot] = value
        return params

    def rows(self, value: Any, *, alias: str = "default") -> list[list]:
        """All rows for ``value``, converted as the ORM would (``values_list`` semantics)."""
        return self.run(self.sql(alias), self.params(value, alias=alias), alias=alias)

    def run(self, sql: str, params: list | tuple, *, alias: str = "default") -> list[list]:
        """Rows of ``sql``, a statement that returns the same columns as this query (e.g. the query
        wrapped in a ``WITH``), converted as the ORM would."""
        _sql, _params, _slot, compiler, converters, _attnames, _model = self._compile(alias)
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            raw = cursor.fetchall()
        if converters:
            return list(compiler.apply_converters(raw, converters))
        return [list(row) for row in raw]

    def to_object(self, row: list, *, alias: str = "default") -> Model:
        """A model instance from a row (plain model query sets only)."""
        _sql, _params, _slot, _compiler, _converters, attnames, model = self._compile(alias)
        return model.from_db(alias, attnames, row)

    def first_object(self, value: Any, *, alias: str = "default") -> Model | None:
        """The model instance of the first row (plain model query sets only), or ``None``."""
        rows = self.rows(value, alias=alias)
        return self.to_object(rows[0], alias=alias) if rows else None
