"""Test set-up shared by the whole suite.

* ``EGOV_TESTING=1``: development defaults (random secret key, no secure cookies, no login lock-out),
  SQLite in memory unless ``DATABASE_URL`` names another database.
* ``@pytest.mark.postgres``: the test needs PostgreSQL (row locks, ``SELECT ... FOR UPDATE``, real
  concurrency); it is skipped, with the reason, when the default database is SQLite. ``make test-pg``
  (``scripts/with-postgres.sh``) runs the suite on a throwaway PostgreSQL.
* ``@pytest.mark.browser``: the test drives Debian's Chromium through Playwright (``$EGOV_CHROMIUM``,
  default ``/usr/bin/chromium``; never a browser downloaded by ``playwright install``). Without it the
  test is skipped with the reason, except in CI (``CI=true``), where a missing browser is a failure:
  a green build must not hide journeys that were never run.
* Fixtures for browser tests: ``chromium_path``, ``browser`` (one Chromium per session) and ``page``
  (a fresh context per test, Vietnamese locale, Asia/Ho_Chi_Minh, ``base_url`` = the live server, so
  ``page.goto("/api/v1/docs")`` works). A failing browser test leaves a screenshot in ``test-results/``.
* Hypothesis: no deadline (database-backed examples vary with the machine); in CI no example database.
"""

import contextlib
import os
import re
from pathlib import Path

import pytest

os.environ.setdefault("EGOV_TESTING", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.config.settings")

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Flags for Chromium as root on a machine with no outside network (see docs/runbook.md): without the
# background-networking ones it keeps trying to reach Google's hosts and its connections pile up.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(__file__).resolve().parent / "test-results"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def chromium_executable() -> str:
    return os.environ.get("EGOV_CHROMIUM") or DEFAULT_CHROMIUM


def chromium_available() -> bool:
    path = chromium_executable()
    return os.path.isfile(path) and os.access(path, os.X_OK)


try:
    from hypothesis import HealthCheck
    from hypothesis import settings as hypothesis_settings
except ImportError:  # hypothesis is a dev dependency; the suite still collects without it
    pass
else:
    hypothesis_settings.register_profile(
        "egov", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
    )
    hypothesis_settings.register_profile("ci", parent=hypothesis_settings.get_profile("egov"), database=None)
    hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if in_ci() else "egov"))


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    browser = chromium_executable() if chromium_available() else f"absent ({chromium_executable()})"
    return [f"egov: database={engine} chromium={browser} ci={in_ci()}"]


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip_postgres = pytest.mark.skip(
        reason=f"needs PostgreSQL, the database is {engine.rsplit('.', 1)[-1]} (run `make test-pg`)"
    )
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip_postgres)


def pytest_runtest_setup(item):
    if item.get_closest_marker("browser") and not chromium_available():
        reason = (
            f"Chromium not found at {chromium_executable()} (apt-get install chromium, or set EGOV_CHROMIUM)"
        )
        if in_ci():
            pytest.fail(f"browser test cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Kept on the item so the ``page`` fixture knows at teardown whether the test failed.
    setattr(item, f"egov_report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not chromium_available():
        message = f"Chromium not found at {chromium_executable()}"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return chromium_executable()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, which makes Django believe every ORM
    # call from the test body is made from async code; the calls are in fact synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(
        base_url=live_server.url,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        report = getattr(request.node, "egov_report_call", None)
        if report is not None and report.failed:
            SCREENSHOT_DIR.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
            # A screenshot that cannot be taken must never hide the test's own failure.
            with contextlib.suppress(Exception):
                tab.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
        context.close()
