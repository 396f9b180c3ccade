"""Two (or more) real egov instances on loopback, for the exchange end-to-end test and bench/exchange.py.

Each instance is its own process tree (gunicorn + a django-tasks ``db_worker``) with its own ``EGOV_VAR_DIR``
(so its own development CA and files) and its own database: a SQLite file, or a PostgreSQL database created
next to the one ``DATABASE_URL`` names (``scripts/with-postgres.sh``). The schema is migrated once into a
template and copied, which keeps the set-up of two instances to a few seconds.

Instances are configured the way an operator would: ``signing_dev_ca`` for the seals,
``exchange_export_identity`` on one side and ``exchange_add_peer`` on the other, in both directions.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Writers take the lock when their transaction starts: with SQLite's default (deferred) transactions a
# read-then-write transaction that meets another writer fails at once with "database is locked" instead of
# waiting (Django >= 5.1 option; see the report for the same default in settings.py).
SQLITE_OPTIONS = "?transaction_mode=IMMEDIATE"


def _sqlite_path(url: str) -> str:
    return url.split("sqlite:///", 1)[1].split("?", 1)[0]


def _postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


def _pg_connect(url: str, dbname: str | None = None):
    import psycopg

    # libpq reads the URL itself: its host may be a percent-encoded socket directory, which
    # urlsplit().hostname would lower-case.
    return psycopg.connect(_pg_url_for(url, dbname) if dbname else url, autocommit=True)


def _pg_url_for(url: str, dbname: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{dbname}"))


SETUP = r"""
import json, os
from django.core.management import call_command
from egov.accounts.choices import Role, UserKind
from egov.accounts.models import RoleAssignment, User
from egov.core.choices import AgencyKind, AgencyLevel, UnitLevel
from egov.core.models import AdministrativeUnit, Agency, Department

code, name, tag = os.environ["X_CODE"], os.environ["X_NAME"], os.environ["X_TAG"]
unit, _ = AdministrativeUnit.objects.get_or_create(
    level=UnitLevel.COMMUNE, code="9" + code[4:6] + code[-2:], defaults={"name": "Xã " + tag.upper()}
)
agency = Agency.objects.create(
    code=code, name=name, abbreviation="UBND", level=AgencyLevel.COMMUNE,
    kind=AgencyKind.PEOPLES_COMMITTEE, administrative_unit=unit,
)
office = Department.objects.create(agency=agency, name="Văn phòng", abbreviation="VP")
people = {}
for role, full_name in ((Role.CLERK, "Trần Thị Văn Thư"), (Role.LEADER, "Nguyễn Văn Lãnh Đạo"), (Role.SPECIALIST, "Lê Thị Chuyên Viên")):
    user = User.objects.create(username=f"{role}-{tag}", full_name=full_name, kind=UserKind.OFFICER, position="Chủ tịch" if role == Role.LEADER else "")
    RoleAssignment.objects.create(user=user, agency=agency, role=role, department=office)
    people[role] = user.username
call_command("signing_dev_ca", f"--agency={code}", f"--user={people[Role.LEADER]}", verbosity=0)
call_command("exchange_export_identity", output=os.environ["X_IDENTITY"])
print("SETUP " + json.dumps(people))
"""

ISSUE = r"""
import io, json, os
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from egov.accounts.models import User
from egov.core.models import Agency, Department
from egov.documents import services as d
from egov.documents.models import DocumentType
from egov.exchange.services import document_id_of
from egov.signing import selectors, services as signing

agency = Agency.objects.get(code=os.environ["X_CODE"])
tag = os.environ["X_TAG"]
clerk, leader, specialist = (User.objects.get(username=f"{r}-{tag}") for r in ("clerk", "leader", "specialist"))
buffer = io.BytesIO()
page = canvas.Canvas(buffer, pagesize=A4)
page.drawString(72, 760, "QUYET DINH " + os.environ["X_SUBJECT"][:40].encode("ascii", "ignore").decode())
page.showPage(); page.save()
pdf = buffer.getvalue()
signed = signing.pdf_sign(
    pdf=pdf, certificate=selectors.certificate_usable_for(user=leader), reason="Ký ban hành",
    location="Phú Thọ", field_name="Signature1", visible=False,
)
draft = d.outgoing_create_draft(
    agency=agency, actor=specialist, document_type=DocumentType.objects.get(code="quyet_dinh"),
    subject=os.environ["X_SUBJECT"], drafting_department=Department.objects.get(agency=agency),
    recipients=[d.RecipientInput(kind="agency", organ_id=os.environ["X_TO"], name=os.environ["X_TO_NAME"])],
    content=("du-thao.pdf", pdf, "application/pdf"),
)
d.outgoing_submit_for_review(document=draft, actor=specialist)
d.outgoing_approve(document=draft, actor=leader)
d.outgoing_mark_signed(document=draft, actor=leader, signed_file=("quyet-dinh-da-ky.pdf", signed, "application/pdf"))
document = d.outgoing_issue(document=draft, actor=clerk)
print("ISSUED " + json.dumps({"id": document.pk, "document_id": document_id_of(document)}))
"""

HANDLE = r"""
import os
from egov.accounts.models import User
from egov.documents import services as d
from egov.documents.models import IncomingDocument

tag = os.environ["X_TAG"]
leader = User.objects.get(username=f"leader-{tag}")
specialist = User.objects.get(username=f"specialist-{tag}")
document = IncomingDocument.objects.get(exchange_document_id=os.environ["X_DOCUMENT_ID"])
d.incoming_assign(document=document, actor=leader, assignees=[specialist], instructions="Đề nghị xử lý")
d.incoming_add_opinion(document=document, actor=specialist, text="Đã nghiên cứu, đang triển khai")
d.incoming_complete(document=document, actor=specialist, result="Đã hoàn thành")
print("HANDLED", document.pk)
"""


@dataclass
class Instance:
    name: str
    tag: str
    agency_code: str
    agency_name: str
    base_dir: Path
    database_url: str
    port: int = field(default_factory=free_port)
    web_workers: int = 1
    threads: int = 4
    extra_env: dict = field(default_factory=dict)
    processes: list = field(default_factory=list)

    @property
    def var_dir(self) -> Path:
        return self.base_dir / self.name

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for key in list(env):
            if key.startswith(("EGOV_", "PYTEST", "DJANGO_")):
                env.pop(key)
        env.update(
            PYTHONPATH=str(ROOT / "src"),
            DJANGO_SETTINGS_MODULE="egov.config.settings",
            EGOV_VAR_DIR=str(self.var_dir),
            DATABASE_URL=self.database_url,
            EGOV_SECRET_KEY="exchange-harness-" + self.name * 8,
            EGOV_SIGNING_PASSPHRASE="exchange-harness-passphrase",
            EGOV_DEBUG="0",
            EGOV_TESTING="0",
            EGOV_ALLOWED_HOSTS="127.0.0.1,localhost",
            EGOV_PUBLIC_URL=self.url,
            EGOV_SECURE_COOKIES="0",
            EGOV_CONN_MAX_AGE="600",
            EGOV_LOG_LEVEL="WARNING",
            EGOV_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            EGOV_EXCHANGE_INSTANCE_NAME=self.name,
        )
        env.update({k: str(v) for k, v in self.extra_env.items()})
        return env

    # ---- commands -------------------------------------------------------------------------------------
    def manage(self, *args: str, env: dict | None = None, timeout: float = 120) -> str:
        result = subprocess.run(
            [PY, str(ROOT / "manage.py"), *args],
            env={**self.env, **(env or {})},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{self.name}: manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def shell(self, script: str, **variables: str) -> str:
        return self.manage("shell", "-c", script, env={f"X_{k.upper()}": v for k, v in variables.items()})

    def manage_async(self, *args: str, env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            [PY, str(ROOT / "manage.py"), *args],
            env={**self.env, **(env or {})},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def worker(self) -> subprocess.Popen:
        """One more task worker (logging to a file: a pipe nobody reads would block it)."""
        log = open(self.var_dir / "worker.log", "a")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(
            [
                PY,
                str(ROOT / "manage.py"),
                "db_worker",
                "--queue-name",
                "*",
                "--interval",
                "0.1",
                "--no-startup-delay",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    # ---- processes ------------------------------------------------------------------------------------
    def start(self, *, worker: bool = True, wait: bool = True) -> None:
        log = open(self.var_dir / "server.log", "a")  # noqa: SIM115 - closed with the process
        self.processes.append(
            subprocess.Popen(
                [
                    PY,
                    "-m",
                    "gunicorn",
                    "egov.config.wsgi",
                    "-w",
                    str(self.web_workers),
                    "--threads",
                    str(self.threads),
                    "-b",
                    f"127.0.0.1:{self.port}",
                    "--log-level",
                    "warning",
                    "--timeout",
                    "60",
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        if worker:
            worker_log = open(self.var_dir / "worker.log", "a")  # noqa: SIM115
            self.processes.append(
                subprocess.Popen(
                    [
                        PY,
                        str(ROOT / "manage.py"),
                        "db_worker",
                        "--queue-name",
                        "*",
                        "--interval",
                        "0.2",
                        "--no-startup-delay",
                    ],
                    env=self.env,
                    cwd=ROOT,
                    stdout=worker_log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/openapi.json", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start; see {self.var_dir / 'server.log'}")

    def stop(self, *, kill: bool = False) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        self.processes.clear()

    # ---- database -------------------------------------------------------------------------------------
    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.database_url.startswith("sqlite"):
            with contextlib.closing(
                sqlite3.connect(_sqlite_path(self.database_url), timeout=30)
            ) as connection:
                return connection.execute(sql.replace("%s", "?"), params).fetchall()
        parts = urllib.parse.urlsplit(self.database_url)
        with contextlib.closing(_pg_connect(self.database_url, parts.path.lstrip("/"))) as connection:
            return connection.execute(sql, params).fetchall()

    def value(self, sql: str, params: tuple = ()):
        rows = self.query(sql, params)
        return rows[0][0] if rows else None


class Federation:
    """Instances sharing one migrated template, each trusting the others as peers."""

    def __init__(
        self, base_dir: Path, *, extra_env: dict | None = None, web_workers: int = 1, threads: int = 4
    ) -> None:
        self.base_dir = base_dir
        self.extra_env = extra_env or {}
        self.web_workers = web_workers
        self.threads = threads
        self.instances: list[Instance] = []
        self.pg_url = _postgres_url()
        self.pg_databases: list[str] = []
        self._template = ""

    def _template_url(self) -> str:
        if self._template:
            return self._template
        if self.pg_url:
            name = f"egov_x_tpl_{secrets.token_hex(3)}"
            with contextlib.closing(_pg_connect(self.pg_url)) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            self.pg_databases.append(name)
            self._template = _pg_url_for(self.pg_url, name)
        else:
            (self.base_dir / "template").mkdir(parents=True, exist_ok=True)
            self._template = f"sqlite:///{self.base_dir / 'template' / 'egov.sqlite3'}{SQLITE_OPTIONS}"
        template = Instance(
            name="template",
            tag="tpl",
            agency_code="",
            agency_name="",
            base_dir=self.base_dir,
            database_url=self._template,
        )
        template.var_dir.mkdir(parents=True, exist_ok=True)
        template.manage("migrate", "--noinput", "-v", "0", timeout=300)
        return self._template

    def _database_for(self, name: str) -> str:
        template = self._template_url()
        if self.pg_url:
            database = f"egov_x_{name}_{secrets.token_hex(3)}"
            with contextlib.closing(_pg_connect(self.pg_url)) as connection:
                tpl_name = urllib.parse.urlsplit(template).path.lstrip("/")
                connection.execute(f'CREATE DATABASE "{database}" TEMPLATE "{tpl_name}"')
            self.pg_databases.append(database)
            return _pg_url_for(self.pg_url, database)
        target = self.base_dir / name / "egov.sqlite3"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_sqlite_path(template), target)
        return f"sqlite:///{target}{SQLITE_OPTIONS}"

    def add(self, name: str, *, tag: str, agency_code: str, agency_name: str) -> Instance:
        instance = Instance(
            name=name,
            tag=tag,
            agency_code=agency_code,
            agency_name=agency_name,
            base_dir=self.base_dir,
            database_url=self._database_for(name),
            extra_env=dict(self.extra_env),
            web_workers=self.web_workers,
            threads=self.threads,
        )
        # STATIC_ROOT, so that WhiteNoise does not warn on every start.
        (instance.var_dir / "static").mkdir(parents=True, exist_ok=True)
        self.instances.append(instance)
        return instance

    def configure(self) -> None:
        """Seed each instance (agency, officers, dev CA, seal), then make every pair of instances peers."""
        identities = {i.name: i.var_dir / "identity.json" for i in self.instances}
        running = [
            (
                i,
                i.manage_async(
                    "shell",
                    "-c",
                    SETUP,
                    env={
                        "X_CODE": i.agency_code,
                        "X_NAME": i.agency_name,
                        "X_TAG": i.tag,
                        "X_IDENTITY": str(identities[i.name]),
                    },
                ),
            )
            for i in self.instances
        ]
        for instance, process in running:
            out, err = process.communicate(timeout=180)
            if process.returncode != 0:
                raise RuntimeError(f"{instance.name}: set-up failed:\n{out}\n{err}")
        # Each side registers the other and prints the token the other side must use to call it; then each
        # side stores the token it was given. The instances are independent, so each round runs in parallel.
        tokens: dict[tuple[str, str], str] = {}
        pairs = [(i, o) for i in self.instances for o in self.instances if o is not i]
        running = [
            (
                i,
                o,
                i.manage_async(
                    "exchange_add_peer", "--name", o.name, "--identity-file", str(identities[o.name])
                ),
            )
            for i, o in pairs
        ]
        for instance, other, process in running:
            out, err = process.communicate(timeout=120)
            if process.returncode != 0:
                raise RuntimeError(f"{instance.name}: exchange_add_peer failed:\n{out}\n{err}")
            tokens[(other.name, instance.name)] = next(
                line.split("=", 1)[1] for line in out.splitlines() if line.startswith("INBOUND_TOKEN=")
            )
        running = [
            (i, i.manage_async("exchange_add_peer", "--name", o.name, "--token", tokens[(i.name, o.name)]))
            for i, o in pairs
        ]
        for instance, process in running:
            out, err = process.communicate(timeout=120)
            if process.returncode != 0:
                raise RuntimeError(f"{instance.name}: exchange_add_peer --token failed:\n{out}\n{err}")

    def start(self) -> None:
        """Start every instance at once (each is several Python processes importing Django)."""
        for instance in self.instances:
            instance.start(wait=False)
        for instance in self.instances:
            instance.wait_ready(timeout=60)

    def close(self) -> None:
        for instance in self.instances:
            instance.stop(kill=True)
        if self.pg_url and self.pg_databases:
            with contextlib.closing(_pg_connect(self.pg_url)) as connection:
                for name in reversed(self.pg_databases):
                    with contextlib.suppress(Exception):
                        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def identity_of(instance: Instance) -> dict:
    return json.loads((instance.var_dir / "identity.json").read_text(encoding="utf-8"))


class Proxy:
    """A TCP relay in front of an instance that can swallow one answer: the receiver commits the delivery but
    the sender never hears back, the case that makes exactly-once delivery hard."""

    def __init__(self, upstream_port: int) -> None:
        import threading

        self.upstream_port = upstream_port
        self.port = free_port()
        self.drop_next = False
        self.dropped = threading.Event()
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._threading = threading
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self._server.accept()
            except OSError:
                return
            self._threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)

        def pump(source: socket.socket, target: socket.socket, answers: bool) -> None:
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    if answers:
                        with self._lock:
                            drop, self.drop_next = self.drop_next, False
                        if drop:
                            self.dropped.set()
                            break
                    target.sendall(data)
            except OSError:
                pass
            finally:
                for s in (source, target):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
                    s.close()

        self._threading.Thread(target=pump, args=(client, upstream, False), daemon=True).start()
        pump(upstream, client, True)

    def close(self) -> None:
        self._server.close()
