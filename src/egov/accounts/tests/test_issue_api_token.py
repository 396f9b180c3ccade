"""manage.py issue_api_token (DESIGN.md: "prints a token for a user or system account"), and how a token
authenticates."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.utils import timezone

from egov.accounts.choices import Role
from egov.accounts.models import ApiToken
from egov.accounts.selectors import user_for_token, user_has_role, user_roles_in
from egov.accounts.services import api_token_issue
from egov.testing.factories import AgencyFactory, UserFactory, officer

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


def test_token_authentication_loads_the_roles_and_refuses_revoked_tokens_and_inactive_accounts(
    django_assert_num_queries,
):
    agency = AgencyFactory(code="000.00.01.H26")
    other = AgencyFactory(code="000.00.02.H26")
    user = officer(agency, Role.RECEPTION, Role.LEADER, username="motcua")
    officer(other, Role.SPECIALIST, username="motcua")
    user.roles.filter(role=Role.LEADER).update(is_active=False)
    token = api_token_issue(user=user)

    with django_assert_num_queries(1):
        found = user_for_token(token)
        # The active roles came with the account: checking them costs no query.
        assert user_roles_in(found, agency.pk) == {Role.RECEPTION}
        assert user_has_role(found, other.pk, Role.SPECIALIST)
    assert found == user and found.username == "motcua"
    assert user_for_token(token + "x") is None

    ApiToken.objects.filter(user=user).update(revoked_at=timezone.now())
    assert user_for_token(token) is None
    fresh = api_token_issue(user=user)
    assert user_for_token(fresh) == user
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert user_for_token(fresh) is None
    # An account without any role authenticates too (a citizen's or a system's token).
    plain = UserFactory(username="he-thong")
    assert user_roles_in(user_for_token(api_token_issue(user=plain)), agency.pk) == set()
