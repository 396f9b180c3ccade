"""Fixtures for the core tests."""

import pytest

from egov.core.calendar import invalidate_calendar_cache


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    """The calendar snapshot is cached per process for 30 s; a test must never see another test's rows."""
    invalidate_calendar_cache()
    yield
    invalidate_calendar_cache()
