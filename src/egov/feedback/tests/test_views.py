"""The applicant's satisfaction page ``/feedback/danh-gia/<code>/``."""

from __future__ import annotations

import pytest
from django.urls import reverse

from egov.feedback.models import SatisfactionRating
from egov.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def _url(dossier) -> str:
    return reverse("feedback:rate", args=[dossier.code])


def test_anonymous_visitors_are_sent_to_sign_in(client, returned_dossier, settings):
    response = client.get(_url(returned_dossier))
    assert response.status_code == 302 and response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_someone_else_gets_404(client, returned_dossier):
    client.force_login(UserFactory(username="nguoikhac"))
    assert client.get(_url(returned_dossier)).status_code == 404
    assert client.post(_url(returned_dossier), {"service_score": 1, "officer_score": 1}).status_code == 404
    assert not SatisfactionRating.objects.exists()


def test_the_applicant_rates_once(client, applicant, returned_dossier, office):
    client.force_login(applicant)
    # WHEN she opens the page THEN the form asks for both scores, each a fieldset of radios
    body = client.get(_url(returned_dossier)).content.decode()
    assert 'data-testid="rating-form"' in body
    assert body.count("<fieldset") == 2 and "(bắt buộc)" in body
    assert office.reception.display_name in body
    # WHEN she sends it THEN it is saved and the page thanks her and shows it
    response = client.post(
        _url(returned_dossier), {"service_score": "4", "officer_score": "5", "comment": "Tốt"}
    )
    assert response.status_code == 302
    rating = SatisfactionRating.objects.get()
    assert (rating.service_score, rating.officer_score, rating.comment) == (4, 5, "Tốt")
    body = client.get(_url(returned_dossier)).content.decode()
    assert 'data-testid="rating-done"' in body and 'data-testid="rating-form"' not in body
    # AND sending again is refused without a second row
    response = client.post(_url(returned_dossier), {"service_score": "1", "officer_score": "1"})
    assert response.status_code == 409
    assert "chỉ đánh giá một lần" in response.content.decode()
    assert SatisfactionRating.objects.count() == 1


def test_not_before_the_return(client, applicant, open_dossier):
    client.force_login(applicant)
    body = client.get(_url(open_dossier)).content.decode()
    assert 'data-testid="rating-not-yet"' in body and 'data-testid="rating-form"' not in body
    response = client.post(_url(open_dossier), {"service_score": "5", "officer_score": "5"})
    assert response.status_code == 409
    assert not SatisfactionRating.objects.exists()


def test_missing_scores_are_listed_and_linked(client, applicant, returned_dossier):
    client.force_login(applicant)
    response = client.post(_url(returned_dossier), {"comment": "x"})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_service_score_0"' in body and 'id="id_service_score_0"' in body
    assert "Vui lòng chọn mức độ hài lòng về việc giải quyết hồ sơ." in body
    assert not SatisfactionRating.objects.exists()
