"""ORM queries and inserts compiled once per process, for the hot paths (the registry look-up, the API's bearer
authentication, counter reception).

Compiling a Django query set into SQL costs far more than running a point query on PostgreSQL (about a
millisecond for the person's query with its joins, against ~0.1 ms of database time), and the look-up API
and counter reception have throughput goals (performance goals R1 and D1). ``CompiledQuery`` compiles a
query set built with placeholder values once per database connection alias, then re-runs the very same
SQL with the real values and turns rows into values or model instances the way the ORM does (the
backend's and the fields' converters, ``select_related`` included). The SQL is the ORM's own, so the
EXPLAIN test (``tests/test_explain.py``) checks exactly what is sent.

Only for simple look-ups whose placeholders reach the SQL unchanged (equality on a text or integer
column), each exactly once; ``CompiledQuery`` refuses to build otherwise. Placeholders must be values no
real look-up uses (a long improbable string, a negative id).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import NOT_PROVIDED, Model, QuerySet
from django.db.models.constants import OnConflict
from django.db.models.query import get_related_populators
from django.db.models.signals import post_save, pre_save


class CompiledQuery:
    """``build(*placeholders) -> QuerySet`` compiled per alias; ``rows(*values)`` / ``objects(*values)``."""

    def __init__(self, build: Callable[..., QuerySet], *placeholders: Any) -> None:
        if not placeholders:
            raise ValueError("a compiled query needs at least one placeholder")
        self.build = build
        self.placeholders = placeholders
        self._compiled: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple:
        compiled = self._compiled.get(alias)
        if compiled is not None:
            return compiled
        with self._lock:
            queryset = self.build(*self.placeholders).using(alias)
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            params = list(params)
            slots = []
            for placeholder in self.placeholders:
                found = [i for i, p in enumerate(params) if p == placeholder]
                if len(found) != 1:
                    raise ValueError(
                        f"placeholder {placeholder!r} must appear exactly once in the parameters: {params!r}"
                    )
                slots.append(found[0])
            fields = [column[0] for column in compiler.select[: compiler.col_count]]
            converters = compiler.get_converters(fields)
            attnames = [getattr(getattr(f, "target", None), "attname", None) for f in fields]
            compiled = (sql, params, tuple(slots), compiler, converters, attnames, queryset.model)
            self._compiled[alias] = compiled
            return compiled

    def column_count(self, alias: str = "default") -> int:
        """How many columns the query returns."""
        return len(self._compile(alias)[5])

    def sql(self, alias: str = "default") -> str:
        return self._compile(alias)[0]

    def params(self, *values: Any, alias: str = "default") -> list:
        """The parameters of ``sql()`` with ``values`` in the placeholders' places."""
        _sql, params, slots, *_rest = self._compile(alias)
        if len(values) != len(slots):
            raise TypeError(f"expected {len(slots)} values, got {len(values)}")
        params = params.copy()
        for slot, value in zip(slots, values, strict=True):
            params[slot] = value
        return params

    def rows(self, *values: Any, alias: str = "default") -> list[list]:
        """All rows for ``values``, converted as the ORM would (``values_list`` semantics)."""
        return self.run(self.sql(alias), self.params(*values, alias=alias), alias=alias)

    def run(self, sql: str, params: list | tuple, *, alias: str = "default") -> list[list]:
        """Rows of ``sql``, a statement that returns the same columns as this query (e.g. the query
        wrapped in a ``WITH``), converted as the ORM would."""
        _sql, _params, _slots, compiler, converters, _attnames, _model = self._compile(alias)
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            raw = cursor.fetchall()
        if converters:
            return list(compiler.apply_converters(raw, converters))
        return [list(row) for row in raw]

    def to_object(self, row: list, *, alias: str = "default") -> Model:
        """A model instance from a row (plain model query sets only)."""
        _sql, _params, _slots, _compiler, _converters, attnames, model = self._compile(alias)
        return model.from_db(alias, attnames, row)

    def first_object(self, *values: Any, alias: str = "default") -> Model | None:
        """The model instance of the first row (plain model query sets only), or ``None``."""
        rows = self.rows(*values, alias=alias)
        return self.to_object(rows[0], alias=alias) if rows else None

    def objects(self, *values: Any, alias: str = "default") -> list[Model]:
        """Model instances, as iterating the query set would give them, ``select_related`` objects
        attached (the steps of Django's ``ModelIterable``, without annotations or deferred fields)."""
        compiler = self._compile(alias)[3]
        rows = self.rows(*values, alias=alias)
        if not rows:
            return []
        klass_info, select = compiler.klass_info, compiler.select
        model = klass_info["model"]
        start = klass_info["select_fields"][0]
        end = klass_info["select_fields"][-1] + 1
        init_list = [f[0].target.attname for f in select[start:end]]
        populators = get_related_populators(klass_info, select, alias)
        out = []
        for row in rows:
            obj = model.from_db(alias, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            out.append(obj)
        return out


class CompiledInsert:
    """``INSERT`` of new rows of ``model``, the SQL built once per alias and row count.

    What ``Model.save()`` does for a new row, without building the query each time: each field's
    ``pre_save`` (``auto_now_add`` and the like) and ``get_db_prep_save``, then one statement for all the
    rows with ``RETURNING`` of the generated keys, set on the instances as ``save()`` would. With
    ``ignore_conflicts``, rows that would break a unique constraint are skipped (keys are not returned),
    like ``bulk_create(ignore_conflicts=True)``.

    Refused at construction for models whose fields need more than a plain ``%s`` (database defaults,
    fields with their own placeholder SQL); a model with ``pre_save``/``post_save`` receivers is saved
    through ``save()`` instead, so no receiver is ever skipped.
    """

    def __init__(self, model: type[Model], *, ignore_conflicts: bool = False) -> None:
        meta = model._meta
        for f in meta.local_concrete_fields:
            if f.db_default is not NOT_PROVIDED or hasattr(f, "get_placeholder"):
                raise ValueError(f"{model.__name__}.{f.name} needs the ORM's own INSERT")
        self.model = model
        self.ignore_conflicts = ignore_conflicts
        self._sql: dict[tuple[str, bool, int], str] = {}

    def _fields(self, generated_pk: bool) -> list:
        meta = self.model._meta
        return [f for f in meta.local_concrete_fields if not (generated_pk and f is meta.auto_field)]

    def _statement(self, alias: str, generated_pk: bool, count: int) -> str:
        key = (alias, generated_pk, count)
        sql = self._sql.get(key)
        if sql is None:
            connection = connections[alias]
            qn = connection.ops.quote_name
            fields = self._fields(generated_pk)
            on_conflict = OnConflict.IGNORE if self.ignore_conflicts else None
            row = "(" + ", ".join(["%s"] * len(fields)) + ")"
            sql = (
                f"{connection.ops.insert_statement(on_conflict=on_conflict)} {qn(self.model._meta.db_table)} "
                f"({', '.join(qn(f.column) for f in fields)}) VALUES {', '.join([row] * count)}"
            )
            suffix = connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None)
            if suffix:
                sql += " " + suffix
            if generated_pk and not self.ignore_conflicts:
                sql += f" RETURNING {qn(self.model._meta.pk.column)}"
            self._sql[key] = sql
        return sql

    def __call__(self, objs: list[Model], *, using: str = DEFAULT_DB_ALIAS) -> list[Model]:
        if not objs:
            return objs
        model = self.model
        if pre_save.has_listeners(model) or post_save.has_listeners(model):
            for obj in objs:
                obj.save(force_insert=True, using=using)
            return objs
        meta = model._meta
        generated_pk = meta.auto_field is not None and objs[0].pk is None
        if any((obj.pk is None) != generated_pk for obj in objs) or any(type(o) is not model for o in objs):
            raise ValueError(f"insert: all new {model.__name__} rows, keys all generated or all given")
        connection = connections[using]
        fields = self._fields(generated_pk)
        params: list = []
        for obj in objs:
            # As save() and bulk_create() do: a related object saved after it was assigned gives its key
            # now, and an unsaved one is refused.
            obj._prepare_related_fields_for_save(operation_name="insert")
            for f in fields:
                value = f.pre_save(obj, True)
                if hasattr(value, "resolve_expression"):
                    raise ValueError(f"insert: {model.__name__}.{f.name} is an expression; use save()")
                params.append(f.get_db_prep_save(value, connection))
        with connection.cursor() as cursor:
            cursor.execute(self._statement(using, generated_pk, len(objs)), params)
            keys = cursor.fetchall() if generated_pk and not self.ignore_conflicts else None
        for i, obj in enumerate(objs):
            if keys is not None:
                setattr(obj, meta.pk.attname, keys[i][0])
            obj._state.adding = False
            obj._state.db = using
        return objs


_INSERTS: dict[tuple[type[Model], bool], CompiledInsert] = {}


def insert(
    objs: list[Model], *, ignore_conflicts: bool = False, using: str = DEFAULT_DB_ALIAS
) -> list[Model]:
    """Insert new instances of one model in one statement (``CompiledInsert``); returns ``objs``."""
    if not objs:
        return objs
    key = (type(objs[0]), ignore_conflicts)
    compiled = _INSERTS.get(key)
    if compiled is None:
        compiled = _INSERTS.setdefault(key, CompiledInsert(key[0], ignore_conflicts=ignore_conflicts))
    return compiled(objs, using=using)
