"""Fixtures for the catalog tests."""

from __future__ import annotations

import pytest

from egov.catalog.services import DEFAULT_CATALOG_PATH, ImportReport, catalog_import


@pytest.fixture
def bundled_catalog(db) -> ImportReport:
    """The catalog shipped in ``catalog/data/procedures.yaml``, imported."""
    return catalog_import(stream_or_path=DEFAULT_CATALOG_PATH)
