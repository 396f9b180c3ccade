"""egov's task backend writes the very row django-tasks' own database backend writes."""

from __future__ import annotations

import pytest
from django_tasks import task_backends
from django_tasks_db import DatabaseBackend as StockBackend
from django_tasks_db.models import DBTaskResult

from egov.core.task_backend import DatabaseBackend
from egov.notifications.tasks import deliver_messages

pytestmark = pytest.mark.django_db


def test_enqueued_row_is_the_stock_backends_row():
    backend = task_backends["default"]
    assert isinstance(backend, DatabaseBackend)
    stock = StockBackend("default", backend.options | {"QUEUES": list(backend.queues)})

    ours = deliver_messages.enqueue(email_ids=[3, 1], sms_ids=[2])
    theirs = stock._task_to_db_task(deliver_messages, (), {"email_ids": [3, 1], "sms_ids": [2]})

    assert DBTaskResult.objects.count() == 2
    mine = DBTaskResult.objects.exclude(pk=theirs.pk).get()
    assert str(mine.pk) == str(ours.id)
    fields = [f.attname for f in DBTaskResult._meta.concrete_fields if f.attname not in {"id", "enqueued_at"}]
    assert {f: getattr(mine, f) for f in fields} == {f: getattr(theirs, f) for f in fields}
    assert mine.enqueued_at is not None and mine.status == "READY"
