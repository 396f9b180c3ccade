"""Seed N existing dossiers (with their receive events and tasks) for the one-stop benchmarks.

Run through ``manage.py shell`` by ``bench/dossiers.py``; writes ``bench/results/codes.txt`` (a
sample of codes for the status lookups) and ``bench/results/context.json`` (ids and a token).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from egov.accounts.choices import Role
from egov.accounts.services import api_token_issue
from egov.dossiers.choices import Channel, DossierAction, DossierStatus
from egov.dossiers.models import Dossier, DossierEvent, DossierTask
from egov.testing.factories import AgencyFactory, officer, procedure_with_process

N = int(os.environ.get("BENCH_DOSSIERS", "100000"))
OUT = Path(os.environ.get("BENCH_OUT", "bench/results"))
OUT.mkdir(parents=True, exist_ok=True)

with transaction.atomic():
    agency = AgencyFactory(code="000.00.01.H26", name="Ủy ban nhân dân phường Việt Trì (benchmark)")
    offering = procedure_with_process(agency=agency, amount="7", documents=2)
    reception = officer(agency, Role.RECEPTION, username="bench.motcua")
    specialists = [officer(agency, Role.SPECIALIST, username=f"bench.chuyenvien{i}") for i in range(3)]
    officer(agency, Role.LEADER, username="bench.lanhdao")
    token = api_token_issue(user=reception, name="bench")

steps = list(offering.process_template.steps.order_by("position"))
start = timezone.now() - dt.timedelta(days=400)
batch = 5000
codes_sample: list[str] = []
statuses = [
    DossierStatus.PROCESSING,
    DossierStatus.RETURNED,
    DossierStatus.RETURNED,
    DossierStatus.RESULT_READY,
]
for offset in range(0, N, batch):
    with transaction.atomic():
        dossiers = []
        for i in range(offset, min(N, offset + batch)):
            received = start + dt.timedelta(minutes=5 * i)
            day = received.strftime("%y%m%d")
            dossiers.append(
                Dossier(
                    code=f"{agency.code}-{day}-B{i:06d}",
                    offering=offering,
                    procedure=offering.procedure,
                    agency=agency,
                    status=statuses[i % len(statuses)],
                    channel=Channel.COUNTER if i % 3 else Channel.ONLINE,
                    applicant_name=f"Nguyễn Văn {i}",
                    applicant_id_number=f"025{i:09d}",
                    processing_amount=7,
                    processing_unit="working_days",
                    submitted_at=received,
                    received_at=received,
                    clock_started_at=received,
                    due_at=received + dt.timedelta(days=9),
                    register_number=i + 1,
                )
            )
        Dossier.objects.bulk_create(dossiers)
        events, tasks = [], []
        for d in dossiers:
            events.append(
                DossierEvent(
                    dossier=d,
                    action=DossierAction.RECEIVE,
                    from_status="",
                    to_status=DossierStatus.PROCESSING,
                    created_at=d.received_at,
                    actor=reception,
                )
            )
            events.append(
                DossierEvent(
                    dossier=d,
                    action=DossierAction.COMPLETE_STEP,
                    from_status=DossierStatus.PROCESSING,
                    to_status=DossierStatus.PROCESSING,
                    created_at=d.received_at + dt.timedelta(hours=3),
                    data={"to_step": steps[2].name},
                )
            )
            tasks.append(
                DossierTask(
                    dossier=d,
                    step=steps[1],
                    position=2,
                    name=steps[1].name,
                    role=Role.SPECIALIST,
                    agency=agency,
                    started_at=d.received_at,
                    due_at=d.due_at,
                )
            )
        DossierEvent.objects.bulk_create(events)
        DossierTask.objects.bulk_create(tasks)
        codes_sample.extend(random.sample([d.code for d in dossiers], min(200, len(dossiers))))
    print(f"\rseeded {min(N, offset + batch)}/{N}", end="", file=sys.stderr)
print(file=sys.stderr)
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # noqa: S608

(OUT / "codes.txt").write_text("\n".join(codes_sample) + "\n")
required = list(offering.procedure.required_documents.filter(mandatory=True).values_list("pk", flat=True))
(OUT / "context.json").write_text(
    json.dumps(
        {
            "token": token,
            "procedure_code": offering.procedure.code,
            "agency_code": agency.code,
            "required": required,
            "dossiers": Dossier.objects.count(),
        }
    )
)
