"""Hand-built dossiers for the statistics tests: rows created directly, timestamps set explicitly."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from egov.core.calendar import LOCAL_TZ
from egov.core.choices import TimeUnit
from egov.dossiers.choices import Channel, DossierStatus
from egov.dossiers.models import Dossier, DossierEvent

_numbers = itertools.count(1)

# The project's base template may not exist yet while apps are built in parallel; the page only needs
# its two blocks, so a stand-in is served last, after the real loaders.
_BASE_STUB = "<html><title>{% block title %}{% endblock %}</title><body>{% block content %}{% endblock %}</body></html>"


def local(day: str, time: str = "09:00") -> dt.datetime:
    """``local("2025-07-14", "08:00")``: an aware time in Asia/Ho_Chi_Minh."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=LOCAL_TZ)


def make_dossier(offering, **values) -> Dossier:
    number = next(_numbers)
    received_at = values.get("received_at")
    defaults = {
        "code": f"{offering.agency.code}-250701-{number:04d}",
        "offering": offering,
        "procedure": offering.procedure,
        "agency": offering.agency,
        "status": DossierStatus.PROCESSING,
        "channel": Channel.COUNTER,
        "applicant_name": f"Người nộp {number}",
        "processing_amount": Decimal("5"),
        "processing_unit": TimeUnit.WORKING_DAYS,
        "submitted_at": received_at,
        "clock_started_at": received_at,
    }
    defaults.update(values)
    return Dossier.objects.create(**defaults)


def make_event(dossier: Dossier, action: str, at: dt.datetime, note: str = "") -> DossierEvent:
    return DossierEvent.objects.create(
        dossier=dossier, action=action, to_status=dossier.status, note=note, created_at=at
    )


@pytest.fixture
def base_template(settings):
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    try:
        get_template("base.html")
        return
    except TemplateDoesNotExist:
        pass
    engine = dict(settings.TEMPLATES[0])
    options = dict(engine.get("OPTIONS", {}))
    options["loaders"] = [
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
        ("django.template.loaders.locmem.Loader", {"base.html": _BASE_STUB}),
    ]
    engine["APP_DIRS"] = False
    engine["OPTIONS"] = options
    settings.TEMPLATES = [engine]
