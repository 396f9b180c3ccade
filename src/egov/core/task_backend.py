"""django-tasks' database backend, its task rows written through ``core.compiled.insert``.

The row is the one ``django_tasks_db.DatabaseBackend`` writes (same fields, same values, in the caller's
transaction: the outbox of ``docs/architecture.md``), without building the INSERT on every enqueue. A
counter reception enqueues the delivery of its notices while the day's code counter is locked, so the
time spent there is time every other reception of the agency waits.
"""

from __future__ import annotations

from django.db import router
from django_tasks_db import DatabaseBackend as _DatabaseBackend
from django_tasks_db.compat import normalize_json

from egov.core.compiled import insert


class DatabaseBackend(_DatabaseBackend):
    def _task_to_db_task(self, task, args, kwargs):
        from django_tasks_db.models import DBTaskResult

        row = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )
        insert([row], using=router.db_for_write(DBTaskResult))
        return row
