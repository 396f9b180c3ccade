"""Pages: the officer's look-up (every view logged) and the citizen's access log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from egov.population.models import CitizenLink, PersonAccessLog
from egov.population.services import person_read

from .conftest import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(province):
    return make_person(
        full_name="Đỗ Thị Ánh", dob=dt.date(1985, 9, 2), sex="female", commune=province.commune
    )


def test_lookup_page_shows_the_record_and_logs_the_view(client, province, person):
    client.force_login(province.officer)
    assert client.get(reverse("population:lookup")).status_code == 200
    assert not PersonAccessLog.objects.exists()  # showing the form reads nothing
    response = client.post(
        reverse("population:lookup"),
        {"id_number": person.id_number, "purpose": "Xác minh nơi thường trú", "dossier_code": "HS-1"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Đỗ Thị Ánh" in content and "02/09/1985" in content and "Phường Việt Trì" in content
    assert response["Cache-Control"] == "no-store"
    log = PersonAccessLog.objects.get()
    assert (log.user, log.person, log.purpose, log.dossier_code, log.channel) == (
        province.officer,
        person,
        "Xác minh nơi thường trú",
        "HS-1",
        "web",
    )


def test_lookup_page_without_purpose_shows_the_error_and_logs_nothing(client, province, person):
    client.force_login(province.officer)
    response = client.post(reverse("population:lookup"), {"id_number": person.id_number, "purpose": "  "})
    assert response.status_code == 400
    assert "Đỗ Thị Ánh" not in response.content.decode()
    assert not PersonAccessLog.objects.exists()


def test_lookup_page_unknown_person(client, province):
    client.force_login(province.officer)
    response = client.post(reverse("population:lookup"), {"id_number": "025090999999", "purpose": "Kiểm tra"})
    assert response.status_code == 404
    assert "Không tìm thấy công dân" in response.content.decode()


def test_lookup_page_is_for_officers_only(client, province):
    response = client.get(reverse("population:lookup"))
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(province.citizen)
    assert client.get(reverse("population:lookup")).status_code == 403


def test_citizen_sees_who_read_their_record(client, province, person):
    CitizenLink.objects.create(user=province.citizen, person=person, verified_at=timezone.now())
    person_read(
        person_id_number=person.id_number,
        actor=province.officer,
        purpose="Giải quyết hồ sơ HS-9",
        dossier_code="HS-9",
    )
    other = make_person(full_name="Người Khác")
    person_read(person_id_number=other.id_number, actor=province.officer, purpose="Không liên quan")
    client.force_login(province.citizen)
    response = client.get(reverse("population:my_access_log"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Giải quyết hồ sơ HS-9" in content and "HS-9" in content
    assert "Không liên quan" not in content
    assert content.count('data-testid="access-log-row"') == 1


def test_unverified_or_unlinked_citizen_sees_no_log(client, province, person):
    client.force_login(province.citizen)
    assert 'data-testid="not-linked"' in client.get(reverse("population:my_access_log")).content.decode()
    CitizenLink.objects.create(user=province.citizen, person=person, verified_at=None)
    assert 'data-testid="not-linked"' in client.get(reverse("population:my_access_log")).content.decode()


def test_access_log_page_needs_sign_in(client):
    response = client.get(reverse("population:my_access_log"))
    assert response.status_code == 302
