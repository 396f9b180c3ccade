"""Every officer read of a dossier (page, API, downloaded paper) is on record, and the applicant sees it."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from egov.accounts.choices import UserKind
from egov.accounts.services import api_token_issue
from egov.dossiers import services as svc
from egov.dossiers.models import DossierRead
from egov.testing.factories import UserFactory

from .conftest import PDF

pytestmark = pytest.mark.django_db


def detail_url(dossier) -> str:
    return reverse("dossiers:detail", kwargs={"code": dossier.code})


def test_opening_the_page_and_a_paper_are_each_recorded_with_the_agency(client, office):
    # GIVEN a counter dossier with its papers and the specialist of the agency
    dossier = office.counter_dossier(next_assignee=office.specialist)
    client.force_login(office.specialist)
    # WHEN the specialist opens the page, then downloads a paper that has a file
    assert client.get(detail_url(dossier)).status_code == 200
    document = dossier.documents.first()
    document.file.save("scan.pdf", ContentFile(PDF))
    url = reverse("dossiers:document", kwargs={"code": dossier.code, "pk": document.pk})
    assert client.get(url).status_code == 200
    # THEN two reads are on record, in order, through the dossier's own agency
    reads = list(DossierRead.objects.order_by("at", "pk"))
    assert [(r.user, r.channel, r.agency_id, r.consulted) for r in reads] == [
        (office.specialist, "web", office.agency.pk, False),
        (office.specialist, "file", office.agency.pk, False),
    ]
    assert reads[1].document == document
    # AND the page lists them for the officers
    body = client.get(detail_url(dossier)).content.decode()
    assert body.count('data-testid="dossier-read"') == 3
    assert office.specialist.display_name in body


def test_a_consulted_agency_reads_as_consulted_and_a_stranger_reads_nothing(client, office):
    dossier = office.counter_dossier(next_assignee=office.specialist)
    # GIVEN an officer of another agency, before and after that agency is consulted
    client.force_login(office.other_officer)
    assert client.get(detail_url(dossier)).status_code == 404
    assert not DossierRead.objects.exists()  # refused: nothing was read, nothing recorded
    svc.dossier_consult(
        dossier=dossier, actor=office.specialist, agency=office.other_agency, question="Xác minh?"
    )
    # WHEN the consulted officer opens the dossier
    assert client.get(detail_url(dossier)).status_code == 200
    # THEN the read is recorded through the consulted agency
    read = DossierRead.objects.get()
    assert (read.user, read.agency, read.consulted) == (office.other_officer, office.other_agency, True)


def test_the_api_records_an_officers_read_but_not_the_applicants_own(client, office):
    citizen = UserFactory(username="cuong", kind=UserKind.CITIZEN)
    dossier = office.online_dossier(user=citizen)
    officer_token = api_token_issue(user=office.reception)
    citizen_token = api_token_issue(user=citizen)
    url = f"/api/v1/dossiers/{dossier.code}"
    # WHEN the applicant reads their own dossier, then the reception officer reads it
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {citizen_token}").status_code == 200
    assert not DossierRead.objects.exists()
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {officer_token}").status_code == 200
    # THEN only the officer's read is on record, on the API channel
    read = DossierRead.objects.get()
    assert (read.user, read.channel, read.agency) == (office.reception, "api", office.agency)


def test_the_applicant_sees_who_read_their_dossier(client, office):
    citizen = UserFactory(username="cuong", kind=UserKind.CITIZEN)
    dossier = office.online_dossier(user=citizen)
    client.force_login(office.reception)
    client.get(detail_url(dossier))
    client.logout()
    # WHEN the applicant opens the dossier in "my dossiers"
    client.force_login(citizen)
    response = client.get(reverse("citizen:dossier", kwargs={"code": dossier.code}))
    # THEN the officer, the agency and the time are listed
    body = response.content.decode()
    assert response.status_code == 200
    assert "Cán bộ đã xem hồ sơ của bạn" in body
    assert body.count('data-testid="dossier-read"') == 1
    assert office.reception.display_name in body and office.agency.name in body


def test_read_rows_are_append_only(office):
    dossier = office.counter_dossier()
    read = svc.dossier_record_read(dossier=dossier, user=office.reception, channel="web")
    with pytest.raises(ValueError):
        read.save()
    with pytest.raises(ValueError):
        read.delete()
