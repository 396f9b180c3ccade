"""Background jobs of the one-stop shop."""

from django_tasks import task

from .services import dossier_scan_deadlines


@task()
def scan_deadlines() -> dict[str, int]:
    """Same as ``manage.py scan_deadlines``, for deployments that schedule tasks instead of cron."""
    return dossier_scan_deadlines()
