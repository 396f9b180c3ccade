"""Dossier codes never repeat under parallel receptions (PostgreSQL: real row locks, real threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from egov.dossiers.models import Dossier

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_receptions_get_distinct_consecutive_codes(office):
    # GIVEN 8 reception desks receiving 5 dossiers each at the same moment
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def desk() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                office.counter_dossier()
        except BaseException as exc:  # reported below; a thread's exception would be lost otherwise
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=desk) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN every reception succeeded with its own code, numbered 1..40 without gaps
    assert not errors, errors
    codes = list(Dossier.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 40
    assert sorted(int(c.rsplit("-", 1)[1]) for c in codes) == list(range(1, 41))
    assert sorted(Dossier.objects.values_list("register_number", flat=True)) == list(range(1, 41))
