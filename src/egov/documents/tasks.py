"""Background jobs of official documents."""

from django_tasks import task

from .services import documents_scan_deadlines


@task()
def scan_document_deadlines() -> dict[str, int]:
    """Same as ``manage.py scan_document_deadlines``, for deployments that schedule tasks instead of cron."""
    return documents_scan_deadlines()
