"""The public catalog pages and online submission (``portal/procedures.py``)."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import unicodedata
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from egov.accounts.choices import UserKind
from egov.catalog.models import Procedure
from egov.catalog.services import DEFAULT_CATALOG_PATH, catalog_import, offering_ensure
from egov.core.calendar import LOCAL_TZ, get_calendar
from egov.dossiers.choices import Channel, DocumentOrigin, DossierStatus
from egov.dossiers.models import Dossier, DossierDocument
from egov.population.models import PersonAccessLog
from egov.portal import procedures as views
from egov.portal.models import FormDraft
from egov.testing.factories import AgencyFactory, FieldFactory, UserFactory

from . import test_eforms

family = test_eforms.family  # the fixture: a linked account with a spouse and a household

pytestmark = pytest.mark.django_db


def _pdf() -> bytes:
    """A real one-page PDF (the upload check parses PDFs)."""
    buffer = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.write(buffer)
    return buffer.getvalue()


PDF = _pdf()
BIRTH = "1.001193"
RESIDENCE = "1.004222"


@pytest.fixture
def catalog():
    """The bundled catalog; birth registration at a commune, permanent residence at its police."""
    catalog_import(stream_or_path=DEFAULT_CATALOG_PATH)
    commune = AgencyFactory(
        code="000.01.25.H26",
        name="Ủy ban nhân dân phường Việt Trì",
        address="Số 1 Hùng Vương",
        phone="0210 3846 111",
    )
    police = AgencyFactory(code="000.02.25.H26", name="Công an phường Việt Trì", address="Số 2 Hùng Vương")
    offering_ensure(procedure=Procedure.objects.get(code=BIRTH), agency=commune)
    offering_ensure(procedure=Procedure.objects.get(code=RESIDENCE), agency=police)
    return {"commune": commune, "police": police}


@pytest.fixture
def citizen(client):
    user = UserFactory(
        kind=UserKind.CITIZEN, username="congdan", full_name="Lê Thị Mai", email="mai@example.vn"
    )
    client.force_login(user)
    return user


def _codes(response) -> list[str]:
    return re.findall(r'data-testid="procedure-result" data-code="([^"]+)"', response.content.decode())


# ---- search -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "Đăng ký thường trú",
        "dang ky thuong tru",
        "DANG KY THUONG TRU",
        unicodedata.normalize("NFD", "đăng ký thường trú"),
        "dang ki thuong tru",  # i for y
        "đăng kí thường trú",
        "dang ky thuong truu",  # a typo
        "dnag ky thuong tru",  # two letters swapped
        "dang ky thuog tru",  # a letter missing
    ],
)
def test_search_forgives_diacritics_and_typos(client, catalog, query):
    # WHEN a citizen searches the catalog however they typed it
    response = client.get(reverse("procedures:list"), {"q": query})
    # THEN "Đăng ký thường trú" is found, first
    assert response.status_code == 200
    codes = _codes(response)
    assert codes and codes[0] == RESIDENCE, codes


def test_exact_matches_are_not_called_suggestions(client, catalog):
    body = client.get(reverse("procedures:list"), {"q": "thuong tru"}).content.decode()
    assert 'data-testid="fuzzy-note"' not in body
    body = client.get(reverse("procedures:list"), {"q": "thuong truu"}).content.decode()
    assert 'data-testid="fuzzy-note"' in body


def test_search_filters_by_field_and_level(client, catalog):
    codes = _codes(client.get(reverse("procedures:list"), {"q": "dang ky", "field": "CU"}))
    assert RESIDENCE in codes and BIRTH not in codes
    codes = _codes(client.get(reverse("procedures:list"), {"field": "HT", "level": "commune"}))
    assert BIRTH in codes and RESIDENCE not in codes
    assert client.get(reverse("procedures:list"), {"level": "district"}).status_code == 400


def test_nothing_found_is_said_plainly(client, catalog):
    body = client.get(reverse("procedures:list"), {"q": "xyzxyz qwqw"}).content.decode()
    assert 'data-testid="procedure-none"' in body


def test_typo_search_is_fast_enough_for_a_provincial_catalog(catalog):
    # GIVEN a catalog of a few thousand procedures
    field = FieldFactory(code="TN", name="Thử nghiệm")
    words = ["cap", "giay", "phep", "xac", "nhan", "dieu", "chinh", "thu", "hoi", "bao", "tro", "ho", "tich"]
    Procedure.objects.bulk_create(
        [
            Procedure(
                code=f"1.{800000 + n:06d}",
                name=f"Thủ tục {words[n % 13]} {words[(n // 13) % 13]} {words[(n // 169) % 13]} số {n}",
                search_text=f"thu tuc {words[n % 13]} {words[(n // 13) % 13]} {words[(n // 169) % 13]} so {n}",
                field=field,
                level="commune",
                implementing_agency="UBND",
                processing_amount=Decimal("1"),
                processing_unit="working_days",
                result="x",
                online_level="full",
            )
            for n in range(3000)
        ]
    )
    views.procedure_fuzzy_search("warm up")
    # WHEN a typo falls back to the fuzzy search THEN it answers well within a page load
    started = time.perf_counter()
    found = views.procedure_fuzzy_search("dang ki thuong truu")
    elapsed = time.perf_counter() - started
    assert found and found[0].code == RESIDENCE
    assert elapsed < 1.0, elapsed


def test_distance_helper():
    assert views._distance_within("thuong", "thuong", 2) == 0
    assert views._distance_within("thoung", "thuong", 2) == 1  # swapped neighbours count once
    assert views._distance_within("tru", "truong", 2) is None


# ---- procedure page -----------------------------------------------------------------------------------
def test_procedure_page_shows_what_to_prepare(client, catalog):
    response = client.get(reverse("procedures:detail", args=[RESIDENCE]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Đăng ký thường trú" in body
    # steps of the process, papers (form, quantity, mandatory), fees in person and online, time with its unit
    assert body.count('data-testid="procedure-step"') == 4 and "Thẩm định, xác minh hồ sơ" in body
    assert body.count('data-testid="procedure-document"') == 3 and "Bản chính hoặc bản sao" in body
    assert "Nộp trực tiếp: 20.000 đồng" in body and "nộp trực tuyến: 10.000 đồng" in body
    assert "7 ngày làm việc" in body
    # result, legal basis and the agency with its address
    assert "Luật Cư trú số 68/2020/QH14" in body and "Thông báo kết quả giải quyết" in body
    assert "Công an phường Việt Trì" in body and "Số 2 Hùng Vương" in body
    assert 'data-testid="submit-online"' in body


def test_expected_date_is_the_calendars_due_date_from_now(client, catalog):
    before = get_calendar().due(timezone.now(), 7, "working_days")
    body = client.get(reverse("procedures:detail", args=[RESIDENCE])).content.decode()
    after = get_calendar().due(timezone.now(), 7, "working_days")
    shown = re.search(r'<time datetime="([^"]+)" data-testid="expected-due-value"', body).group(1)
    assert dt.datetime.fromisoformat(shown) in (before, after)
    assert (
        before.astimezone(LOCAL_TZ).strftime("%d/%m/%Y") in body
        or after.astimezone(LOCAL_TZ).strftime("%d/%m/%Y") in body
    )


def test_same_day_steps_are_shown_in_hours(client, catalog):
    body = client.get(reverse("procedures:detail", args=[BIRTH])).content.decode()
    assert "2 giờ làm việc" in body
    assert "Ủy ban nhân dân phường Việt Trì" in body and "0210 3846 111" in body


def test_procedure_without_online_service_has_no_submit_button(client, catalog):
    body = client.get(reverse("procedures:detail", args=["2.000884"])).content.decode()
    assert 'data-testid="submit-online"' not in body and 'data-testid="no-online"' in body


def test_unknown_procedure_is_404(client, catalog):
    assert client.get(reverse("procedures:detail", args=["1.999999"])).status_code == 404


# ---- submission ---------------------------------------------------------------------------------------
def test_submission_needs_sign_in(client, catalog, settings):
    response = client.get(reverse("procedures:submit", args=[RESIDENCE]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def _papers(procedure_code: str, *, skip_mandatory: bool = False) -> dict:
    files = {}
    for document in Procedure.objects.get(code=procedure_code).required_documents.all():
        if document.mandatory and not skip_mandatory:
            files[f"doc-{document.pk}"] = SimpleUploadedFile(
                f"giay-to-{document.pk}.pdf", PDF, "application/pdf"
            )
    return files


def _residence_post(agency, **extra) -> dict:
    data = {
        "action": "submit",
        "agency": agency.pk,
        "applicant-name": "Lê Thị Mai",
        "applicant-id_number": "025190000123",
        "applicant-email": "mai@example.vn",
        "applicant-phone": "0912345678",
        "applicant-address": "Số 9 Nguyễn Tất Thành",
        "f-full_name": "Lê Thị Mai",
        "f-id_number": "025190000123",
        "f-date_of_birth": "17/05/1990",
        "f-new_address": "Số 10 đường Hùng Vương, phường Việt Trì",
        "f-relation_to_head": "Con",
        "f-pledge": "true",
        "return_method": "online",
    }
    data.update(extra)
    return data


def test_submission_page_renders_the_eform_accessibly(client, catalog, citizen):
    response = client.get(reverse("procedures:submit", args=[RESIDENCE]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in body
    assert "<legend>Người đề nghị đăng ký thường trú</legend>" in body
    assert 'name="f-new_address"' in body and 'name="f-pledge"' in body
    # one file input per paper; the applicant's account fills the contact fields
    assert body.count('type="file"') == 3
    assert 'value="mai@example.vn"' in body
    # the only agency offering it is chosen already
    assert re.search(rf'name="agency" id="id_agency-0" value="{catalog["police"].pk}" checked', body)


def test_submission_end_to_end(client, catalog, citizen):
    # GIVEN a signed-in citizen with a saved draft WHEN she submits a complete dossier
    procedure = Procedure.objects.get(code=RESIDENCE)
    FormDraft.objects.create(user=citizen, procedure=procedure, data={"form": {"new_address": "cũ"}})
    response = client.post(
        reverse("procedures:submit", args=[RESIDENCE]),
        {**_residence_post(catalog["police"]), **_papers(RESIDENCE)},
    )
    # THEN the dossier exists with the typed form data, the papers, online channel and her account
    assert response.status_code == 302, response.content.decode()[:3000]
    dossier = Dossier.objects.get()
    assert response["Location"] == reverse("procedures:submitted", args=[RESIDENCE, dossier.code])
    assert dossier.status == DossierStatus.SUBMITTED and dossier.channel == Channel.ONLINE
    assert dossier.applicant_user == citizen and dossier.applicant_id_number == "025190000123"
    assert dossier.agency == catalog["police"] and dossier.return_method == "online"
    assert dossier.form_data == {
        "full_name": "Lê Thị Mai",
        "id_number": "025190000123",
        "date_of_birth": "1990-05-17",
        "new_address": "Số 10 đường Hùng Vương, phường Việt Trì",
        "relation_to_head": "Con",
        "pledge": True,
    }
    documents = DossierDocument.objects.filter(dossier=dossier)
    assert documents.count() == 2 and all(d.origin == DocumentOrigin.UPLOAD and d.checksum for d in documents)
    # AND the draft is gone
    assert not FormDraft.objects.exists()
    # WHEN she opens the confirmation THEN the code, the expected date and the payment link are there
    body = client.get(response["Location"]).content.decode()
    assert dossier.code in body
    expected = get_calendar().due(dossier.submitted_at, dossier.processing_amount, dossier.processing_unit)
    assert expected.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y") in body
    assert reverse("payments:dossier", kwargs={"code": dossier.code}) in body


def test_no_payment_link_without_a_fee(client, catalog, citizen):
    data = {
        "action": "submit",
        "agency": catalog["commune"].pk,
        "applicant-name": "Lê Thị Mai",
        "applicant-id_number": "025190000123",
        "f-child_full_name": "Trần Minh An",
        "f-child_birth_date": "2025-07-01",
        "f-child_sex": "Nam",
        "f-birth_place": "Bệnh viện Đa khoa tỉnh Phú Thọ",
        "f-applicant_relationship": "Mẹ",
        "f-pledge": "on",
        "return_method": "counter",
    }
    response = client.post(reverse("procedures:submit", args=[BIRTH]), {**data, **_papers(BIRTH)})
    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode()
    assert 'data-testid="pay-link"' not in body
    assert Dossier.objects.get().form_data["child_birth_date"] == "2025-07-01"


def test_missing_mandatory_paper_is_400_and_writes_nothing(client, catalog, citizen):
    procedure = Procedure.objects.get(code=RESIDENCE)
    first = procedure.required_documents.get(position=1)
    files = _papers(RESIDENCE)
    files.pop(f"doc-{procedure.required_documents.get(position=2).pk}")
    response = client.post(
        reverse("procedures:submit", args=[RESIDENCE]), {**_residence_post(catalog["police"]), **files}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-summary"' in body
    second = procedure.required_documents.get(position=2)
    assert f'href="#id_doc-{second.pk}"' in body and f"Vui lòng đính kèm {second.name}." in body
    assert f'href="#id_doc-{first.pk}"' not in body
    assert not Dossier.objects.exists() and not DossierDocument.objects.exists()


def test_the_service_refusal_is_shown_not_raised(client, catalog, citizen):
    # GIVEN a file that is not a PDF/JPEG/PNG: the view lets it through, the service's upload check refuses
    files = _papers(RESIDENCE)
    key = next(iter(files))
    files[key] = SimpleUploadedFile("virus.exe", b"MZ\x90\x00binary", "application/octet-stream")
    response = client.post(
        reverse("procedures:submit", args=[RESIDENCE]), {**_residence_post(catalog["police"]), **files}
    )
    assert response.status_code == 400
    assert "chỉ nhận PDF, JPEG hoặc PNG" in response.content.decode()
    assert not Dossier.objects.exists()


def test_form_errors_are_summarised_and_linked(client, catalog, citizen):
    data = _residence_post(
        catalog["police"], **{"f-new_address": "", "f-id_number": "123", "applicant-name": ""}
    )
    data.pop("f-pledge")
    response = client.post(reverse("procedures:submit", args=[RESIDENCE]), {**data, **_papers(RESIDENCE)})
    body = response.content.decode()
    assert response.status_code == 400
    summary = body[
        body.index('data-testid="error-summary"') : body.index(
            "</div>", body.index('data-testid="error-summary"')
        )
    ]
    assert 'href="#id_applicant-name"' in summary
    assert 'href="#id_f-new_address">Vui lòng nhập Địa chỉ đề nghị đăng ký thường trú.' in summary
    assert 'href="#id_f-id_number">Số định danh cá nhân không đúng định dạng.' in summary
    assert 'href="#id_f-pledge"' in summary
    # what was typed is kept
    assert 'value="Số 9 Nguyễn Tất Thành"' in body
    assert not Dossier.objects.exists()


def test_draft_save_and_resume(client, catalog, citizen):
    # GIVEN a half-filled form WHEN the citizen saves a draft
    data = {
        "action": "save_draft",
        "agency": catalog["police"].pk,
        "applicant-name": "Lê Thị Mai",
        "f-new_address": "Số 10 đường Hùng Vương",
        "f-date_of_birth": "17/05",  # half typed: kept as typed
        "return_method": "post",
    }
    response = client.post(reverse("procedures:submit", args=[RESIDENCE]), data)
    # THEN nothing is validated or submitted, the draft is kept and she is told so
    assert response.status_code == 302
    assert not Dossier.objects.exists()
    draft = FormDraft.objects.get(user=citizen)
    assert draft.agency == catalog["police"]
    assert draft.data["form"]["new_address"] == "Số 10 đường Hùng Vương"
    # WHEN she comes back later THEN the form shows what she typed
    body = client.get(reverse("procedures:submit", args=[RESIDENCE])).content.decode()
    assert 'data-testid="draft-resumed"' in body
    assert "Số 10 đường Hùng Vương</textarea>" in body
    assert 'value="17/05"' in body
    assert re.search(r'name="return_method" id="id_return_method-\d" value="post" checked', body)
    assert "Đã lưu bản nháp" in body
    # WHEN she discards it THEN the form starts again
    client.post(reverse("procedures:submit", args=[RESIDENCE]), {"action": "discard_draft"})
    assert not FormDraft.objects.exists()


def test_drafts_are_private(client, catalog, citizen):
    other = UserFactory(kind=UserKind.CITIZEN, username="nguoikhac")
    FormDraft.objects.create(
        user=other, procedure=Procedure.objects.get(code=RESIDENCE), data={"form": {"new_address": "Bí mật"}}
    )
    assert "Bí mật" not in client.get(reverse("procedures:submit", args=[RESIDENCE])).content.decode()


def test_submission_page_is_prefilled_from_the_registry(client, catalog, family):
    # GIVEN a linked account (see test_eforms.family) WHEN the birth registration form opens
    client.force_login(family)
    body = client.get(reverse("procedures:submit", args=[BIRTH])).content.decode()
    # THEN the parents' data and the applicant are filled, marked as such, and the reads are logged
    assert 'name="f-mother_full_name" id="id_f-mother_full_name" value="Nguyễn Thị Lan"' in body
    assert 'value="Trần Văn Hùng"' in body
    assert 'data-testid="prefilled"' in body and 'data-testid="prefill-note"' in body
    assert 'name="applicant-id_number" value="025192000002"' in body
    assert PersonAccessLog.objects.filter(purpose="Điền sẵn tờ khai 1.001193").exists()


def test_confirmation_is_only_for_the_applicant(client, catalog, citizen):
    response = client.post(
        reverse("procedures:submit", args=[RESIDENCE]),
        {**_residence_post(catalog["police"]), **_papers(RESIDENCE)},
    )
    url = response["Location"]
    client.force_login(UserFactory(kind=UserKind.CITIZEN, username="nguoikhac"))
    assert client.get(url).status_code == 404


def test_offline_procedure_cannot_be_submitted(client, catalog, citizen):
    # GIVEN signature authentication, offered at the counter only
    response = client.post(reverse("procedures:submit", args=["2.000884"]), {"action": "submit"})
    assert response.status_code == 400
    assert 'data-testid="submit-unavailable"' in response.content.decode()
    assert not Dossier.objects.exists()
