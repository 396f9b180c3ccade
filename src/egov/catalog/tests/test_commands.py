"""Management commands ``catalog_import`` and ``catalog_export``."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from egov.catalog.models import Procedure

pytestmark = pytest.mark.django_db


def test_import_the_bundled_catalog_by_default_then_export_and_reimport(tmp_path):
    out = io.StringIO()
    call_command("catalog_import", stdout=out)
    assert "thêm mới" in out.getvalue() and Procedure.objects.count() >= 25
    target = tmp_path / "catalog.yaml"
    call_command("catalog_export", output=str(target), stderr=io.StringIO())
    out = io.StringIO()
    call_command("catalog_import", str(target), stdout=out)
    assert "0 thêm mới, 0 cập nhật" in out.getvalue()


def test_export_to_stdout():
    call_command("catalog_import", stdout=io.StringIO())
    out = io.StringIO()
    call_command("catalog_export", stdout=out)
    assert "1.001193" in out.getvalue() and "Đăng ký khai sinh" in out.getvalue()


def test_bad_file_is_a_command_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("procedures:\n  - code: '1.000001'\n    name: ''\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("catalog_import", str(bad))
    assert "1.000001" in str(caught.value)
    assert Procedure.objects.count() == 0
