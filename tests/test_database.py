"""The suite runs on the database CI asks for, and the counters hold under concurrent workers."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import close_old_connections, connection, transaction

from egov.core.numbering import current_value, next_value


def test_suite_runs_on_the_database_that_database_url_names():
    # GIVEN the environment the suite was started with
    url = os.environ.get("DATABASE_URL", "")

    # WHEN Django resolves its default database
    vendor = connection.vendor

    # THEN a PostgreSQL run really is on PostgreSQL (a CI job must not pass on SQLite by accident)
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert vendor == expected


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_statements_are_bound_on_the_server_and_prepared_when_repeated():
    # GIVEN the default settings (Django alone would leave psycopg's prepare threshold at None: never)
    connection.ensure_connection()
    psycopg_connection = connection.connection
    assert psycopg_connection.prepare_threshold == 5
    # WHEN one statement runs more often than the threshold on the connection
    sql = "SELECT count(*) FROM django_migrations WHERE app = %s"
    with connection.cursor() as cursor:
        for _ in range(7):
            cursor.execute(sql, ["population"])
        # THEN the server holds it as a prepared statement, planned once
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%django_migrations%"]
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_counter_never_repeats_when_many_workers_draw_at_once():
    """Dossier codes must never repeat under concurrent receptions (Circular 01/2018 art. 19)."""
    # GIVEN eight workers, each with its own connection, released at the same instant
    workers, draws = 8, 25
    scope = "test:concurrent-draws"
    start = threading.Barrier(workers)
    drawn: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            start.wait()
            for _ in range(draws):
                with transaction.atomic():
                    value = next_value(scope)
                with lock:
                    drawn.append(value)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    # WHEN they all draw from the same counter
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # THEN every number was handed out exactly once, with no gap
    assert not errors, errors
    assert sorted(drawn) == list(range(1, workers * draws + 1))
    assert current_value(scope) == workers * draws


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rolled_back_draw_is_not_lost_on_postgresql():
    # GIVEN a counter at 1
    scope = "test:rollback"
    with transaction.atomic():
        assert next_value(scope) == 1

    # WHEN a draw happens in a transaction that is rolled back
    with pytest.raises(RuntimeError), transaction.atomic():
        next_value(scope)
        raise RuntimeError("reception failed after numbering")

    # THEN the next reception gets the number the failed one would have used
    with transaction.atomic():
        assert next_value(scope) == 2
