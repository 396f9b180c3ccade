"""manage.py issue_api_token (DESIGN.md: "prints a token for a user or system account")."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from egov.accounts.models import ApiToken
from egov.accounts.selectors import user_for_token
from egov.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_prints_a_working_token():
    # GIVEN a system account
    user = UserFactory(username="cong-quoc-gia")
    out, err = StringIO(), StringIO()
    # WHEN a token is issued
    call_command("issue_api_token", "cong-quoc-gia", "--name", "Cổng DVC quốc gia", stdout=out, stderr=err)
    token = out.getvalue().strip()
    # THEN only the token is on stdout, and it authenticates the user
    assert token.startswith("egov_") and "\n" not in token
    assert user_for_token(token) == user
    assert ApiToken.objects.get().name == "Cổng DVC quốc gia"
    assert token not in err.getvalue()


def test_unknown_user_is_an_error():
    with pytest.raises(CommandError, match="Không tìm thấy người dùng"):
        call_command("issue_api_token", "khong-co", stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()


def test_unknown_user_exits_non_zero(capsys):
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "issue_api_token", "khong-co"])
    assert exit_info.value.code != 0
    assert "Không tìm thấy người dùng" in capsys.readouterr().err


def test_inactive_user_is_refused():
    UserFactory(username="da-khoa", is_active=False)
    with pytest.raises(CommandError):
        call_command("issue_api_token", "da-khoa", stdout=StringIO(), stderr=StringIO())
