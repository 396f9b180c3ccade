"""Tests for ``dashboards/views.py``: the public ``/stats/`` page and its xlsx export."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from egov.dossiers.choices import Channel, DossierStatus
from egov.testing.factories import AgencyFactory, procedure_with_process

from .conftest import local, make_dossier


@pytest.fixture
def agency_with_dossiers():
    agency = AgencyFactory(name="Ủy ban nhân dân xã An Bình")
    offering = procedure_with_process(agency=agency)
    make_dossier(
        offering,
        channel=Channel.ONLINE,
        received_at=local("2025-07-14"),
        due_at=local("2025-07-18", "17:00"),
        finished_at=local("2025-07-16"),
        status=DossierStatus.RETURNED,
    )
    make_dossier(
        offering,
        received_at=local("2025-07-14"),
        due_at=local("2025-07-18", "17:00"),
        finished_at=local("2025-07-21"),
        status=DossierStatus.RETURNED,
    )
    return agency


@pytest.mark.django_db
def test_page_is_public_and_shows_percentages(client, base_template, agency_with_dossiers):
    # GIVEN an anonymous visitor WHEN July 2025 is asked for
    response = client.get(reverse("dashboards:agency_stats"), {"from": "2025-07-01", "to": "2025-07-31"})
    # THEN the table shows the agency with its on-time and online shares (Vietnamese decimal comma)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ủy ban nhân dân xã An Bình" in html
    assert "50,0%" in html
    assert "Tổng cộng" in html
    assert "export.xlsx?from=2025-07-01&amp;to=2025-07-31" in html


@pytest.mark.django_db
def test_page_defaults_to_the_current_year(client, base_template, agency_with_dossiers):
    response = client.get(reverse("dashboards:agency_stats"))
    assert response.status_code == 200
    assert response.context["date_from"].month == 1 and response.context["date_to"].day == 31


@pytest.mark.django_db
def test_page_shows_the_message_for_reversed_dates(client, base_template):
    response = client.get(reverse("dashboards:agency_stats"), {"from": "2025-08-01", "to": "2025-07-01"})
    assert response.status_code == 400
    assert "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc" in response.content.decode()


@pytest.mark.django_db
def test_export_opens_with_openpyxl(client, agency_with_dossiers):
    # WHEN the xlsx export is downloaded
    response = client.get(
        reverse("dashboards:agency_stats_export"), {"from": "2025-07-01", "to": "2025-07-31"}
    )
    # THEN it is a workbook with the header, the agency row and the totals row
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert "01/07/2025" in rows[0][0]
    header = rows[2]
    assert header[1] == "Cơ quan"
    agency_row = next(r for r in rows if r[1] == "Ủy ban nhân dân xã An Bình")
    assert agency_row[header.index("Tiếp nhận")] == 2
    assert agency_row[header.index("Tỷ lệ đúng hạn")] == 0.5
    assert rows[-1][1] == "Tổng cộng"


@pytest.mark.django_db
def test_export_with_bad_dates_is_400(client):
    response = client.get(reverse("dashboards:agency_stats_export"), {"from": "2025-02-30"})
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.content.decode()


@pytest.mark.django_db
def test_satisfaction_column_on_the_page_the_export_and_the_api(client, base_template, agency_with_dossiers):
    from egov.dossiers.models import Dossier
    from egov.feedback.models import SatisfactionRating
    from egov.testing.factories import UserFactory

    # GIVEN one rating of 4 given in July on the agency's returned dossier
    dossier = Dossier.objects.filter(agency=agency_with_dossiers).first()
    rating = SatisfactionRating.objects.create(
        dossier=dossier, rater=UserFactory(), service_score=4, officer_score=3
    )
    SatisfactionRating.objects.filter(pk=rating.pk).update(created_at=local("2025-07-22"))
    period = {"from": "2025-07-01", "to": "2025-07-31"}
    # THEN the page shows it, the xlsx has the column, and the API carries the fields
    body = client.get(reverse("dashboards:agency_stats"), period).content.decode()
    assert "Mức hài lòng (1–5)" in body
    assert "4,00 (1 lượt)" in body or "4.00 (1 lượt)" in body
    ws = load_workbook(
        io.BytesIO(client.get(reverse("dashboards:agency_stats_export"), period).content)
    ).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = rows[2]
    agency_row = next(r for r in rows if r[1] == "Ủy ban nhân dân xã An Bình")
    assert agency_row[header.index("Mức hài lòng bình quân (1-5)")] == 4
    assert agency_row[header.index("Số lượt đánh giá")] == 1
    item = client.get("/api/v1/stats/agencies", period).json()["items"][0]
    assert (item["satisfaction_avg"], item["satisfaction_count"]) == (4.0, 1)
