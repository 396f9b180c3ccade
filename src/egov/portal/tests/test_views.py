"""The public portal pages: home and the dossier status look-up (no personal data, ever)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from egov.dossiers import services as svc

pytestmark = pytest.mark.django_db


def test_home_page_has_the_catalog_search_and_the_status_look_up(client):
    response = client.get(reverse("portal:home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="vi">' in body
    assert "Cổng Dịch vụ công / Một cửa điện tử" in body
    assert 'data-testid="procedure-search-form"' in body
    assert 'data-testid="status-form"' in body
    assert f'action="{reverse("portal:status")}"' in body


def test_home_page_search_never_fails(client, office):
    # GIVEN the catalog (its search may not be installed yet)
    # WHEN a citizen searches
    response = client.get(reverse("portal:home"), {"q": "thu tuc"})
    # THEN the page answers; with the catalog search installed, results are listed server-side
    assert response.status_code == 200


def test_status_page_shows_every_step_and_no_personal_data(client, office):
    # GIVEN a dossier received at the counter and handed on
    dossier = office.counter_dossier(next_assignee=office.specialist)
    svc.dossier_complete_step(
        dossier=dossier, actor=office.specialist, note="Ghi chú nội bộ", next_assignee=office.leader
    )
    # WHEN anyone looks it up by code
    response = client.get(reverse("portal:status"), {"code": dossier.code})
    body = response.content.decode()
    # THEN the procedure, agency, status and each step are shown
    assert response.status_code == 200
    assert dossier.procedure.name in body
    assert office.agency.name in body
    assert "Đang giải quyết" in body
    assert body.count('data-testid="status-step"') == 2
    assert 'data-action="receive"' in body and 'data-action="complete_step"' in body
    # AND nothing personal: not the applicant's name, ID number or e-mail, nor officers or their notes
    for secret in (
        "Trần Thị Bình",
        "025190000123",
        "binh@example.vn",
        "Ghi chú nội bộ",
        office.specialist.full_name,
    ):
        assert secret not in body


def test_status_look_up_accepts_lower_case_and_spaces(client, office):
    dossier = office.counter_dossier()
    response = client.get(reverse("portal:status"), {"code": f"  {dossier.code.lower()} "})
    assert response.status_code == 200
    assert 'data-testid="status-result"' in response.content.decode()


def test_unknown_code_is_a_friendly_404(client, db):
    response = client.get(reverse("portal:status"), {"code": "000.00.15.H29-250714-0007"})
    body = response.content.decode()
    assert response.status_code == 404
    assert "Không tìm thấy hồ sơ có mã 000.00.15.H29-250714-0007" in body
    assert 'data-testid="status-form"' in body


@pytest.mark.parametrize(
    "code",
    [
        "abc",
        "000.00.15.H29-250714",
        "000.00.15.H29-250714-0007' OR 1=1",
        "0" * 41,
        "<script>alert(1)</script>",
    ],
)
def test_malformed_code_is_400(client, db, code):
    response = client.get(reverse("portal:status"), {"code": code})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Mã hồ sơ không đúng định dạng" in body
    assert "<script>alert(1)</script>" not in body


def test_empty_look_up_shows_the_form(client, db):
    response = client.get(reverse("portal:status"))
    assert response.status_code == 200
    assert 'data-testid="status-form"' in response.content.decode()


def test_home_page_lists_catalog_results_server_side(client, db):
    # GIVEN a procedure in the catalog with its search key
    from egov.catalog.models import Procedure
    from egov.catalog.search import procedure_search_text
    from egov.testing.factories import ProcedureFactory

    procedure = ProcedureFactory(name="Đăng ký khai sinh")
    Procedure.objects.filter(pk=procedure.pk).update(search_text=procedure_search_text(procedure))
    # WHEN a citizen searches without diacritics
    response = client.get(reverse("portal:home"), {"q": "dang ky khai sinh"})
    # THEN the result is on the page, with a link to the same search in the open API
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-testid="procedure-result"') == 1
    assert "Đăng ký khai sinh" in body
    assert "/api/v1/procedures?q=dang%20ky%20khai%20sinh" in body
