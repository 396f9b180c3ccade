"""Fixtures of the exchange tests: our development CA, a second CA standing for another instance ("remote"),
our agencies with seal certificates, and a peer that serves the remote agency.

Both CAs are made once per session in temporary directories; nothing is written to ``var/``.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from egov.accounts.choices import Role
from egov.accounts.services import api_token_issue
from egov.core.models import Department
from egov.exchange import edxml, identity, services
from egov.signing import ca
from egov.signing import services as signing
from egov.testing.factories import AgencyFactory, officer


def make_pdf(text: str) -> bytes:
    """A real one-page PDF (the documents app parses attachments, it does not only sniff them)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.drawString(72, 760, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


PDF = make_pdf("CONG VAN so 27/SNV-VP")
OUR_CODE = "000.00.01.H26"
NEIGHBOUR_CODE = "000.00.02.H26"
REMOTE_CODE = "000.00.07.H25"


@pytest.fixture(scope="session")
def dev_ca(tmp_path_factory) -> ca.DevCertificateAuthority:
    authority = ca.DevCertificateAuthority(tmp_path_factory.mktemp("signing-ours"))
    authority.ensure(valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
    return authority


@pytest.fixture(scope="session")
def remote_ca(tmp_path_factory) -> ca.DevCertificateAuthority:
    authority = ca.DevCertificateAuthority(tmp_path_factory.mktemp("signing-remote"))
    authority.ensure(valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
    return authority


@pytest.fixture(scope="session")
def stranger_ca(tmp_path_factory) -> ca.DevCertificateAuthority:
    """A CA nobody here trusts."""
    authority = ca.DevCertificateAuthority(tmp_path_factory.mktemp("signing-stranger"))
    authority.ensure(valid_from=dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
    return authority


def ca_pem(authority: ca.DevCertificateAuthority) -> str:
    return "".join(authority.cert_path(name).read_text() for name in ca.CA_NAMES)


@dataclass
class Signer:
    """A key and certificate chain able to sign as one agency."""

    organ_id: str
    key: object
    chain: list

    def sign(self, xml: bytes) -> bytes:
        return edxml.sign_message(xml, self.key, self.chain)


def signer_from(authority: ca.DevCertificateAuthority, organ_id: str, name: str = "Cơ quan") -> Signer:
    key, cert = authority.issue(common_name=name, organization=name, uid=organ_id)
    return Signer(organ_id=organ_id, key=key, chain=[cert, authority.certificate(ca.ISSUING)])


@pytest.fixture(scope="session")
def remote_signer(remote_ca) -> Signer:
    return signer_from(remote_ca, REMOTE_CODE, "Sở Nội vụ tỉnh Tuyên Quang")


@pytest.fixture(autouse=True)
def _exchange_settings(settings, dev_ca):
    settings.EGOV_SIGNING_DIR = str(dev_ca.directory)
    settings.EGOV_PUBLIC_URL = "http://egov.test"
    settings.EGOV_EXCHANGE_RETRY_BASE_SECONDS = 30
    settings.EGOV_EXCHANGE_RETRY_MAX_SECONDS = 3600
    yield


@dataclass
class World:
    agency: object
    neighbour: object
    unit: Department
    clerk: object
    leader: object
    specialist: object
    neighbour_clerk: object
    neighbour_leader: object
    peer: object
    peer_token: str


@pytest.fixture
def world(db, remote_ca) -> World:
    agency = AgencyFactory(code=OUR_CODE, name="Ủy ban nhân dân phường Việt Trì", abbreviation="UBND")
    neighbour = AgencyFactory(code=NEIGHBOUR_CODE, name="Ủy ban nhân dân xã Hy Cương", abbreviation="UBND")
    unit = Department.objects.create(agency=agency, name="Văn phòng", abbreviation="VP")
    for each in (agency, neighbour):
        signing.certificate_issue(agency=each)
    peer, token = services.peer_save(
        name="tuyen-quang",
        base_url="http://peer.test",
        ca_pem=ca_pem(remote_ca),
        agencies=[(REMOTE_CODE, "Sở Nội vụ tỉnh Tuyên Quang")],
        outbound_token="token-to-call-them",
    )
    return World(
        agency=agency,
        neighbour=neighbour,
        unit=unit,
        clerk=officer(agency, Role.CLERK, username="vanthu"),
        leader=officer(agency, Role.LEADER, username="lanhdao"),
        specialist=officer(agency, Role.SPECIALIST, username="chuyenvien"),
        neighbour_clerk=officer(neighbour, Role.CLERK, username="vanthu2"),
        neighbour_leader=officer(neighbour, Role.LEADER, Role.SPECIALIST, username="lanhdao2"),
        peer=peer,
        peer_token=token,
    )


def document_xml(
    *,
    sender: str = REMOTE_CODE,
    receivers: tuple[str, ...] = (OUR_CODE,),
    number: str = "27",
    notation: str = "SNV-VP",
    subject: str = "Về việc triển khai liên thông văn bản điện tử năm 2026",
    date: dt.date | None = None,
    business_doc_type: int = 0,
    attachments: list[edxml.Attachment] | None = None,
    **overrides,
) -> bytes:
    date = date or dt.date(2026, 3, 2)
    values = {
        "sender": edxml.Organ(organ_id=sender, organ_name="Sở Nội vụ tỉnh Tuyên Quang"),
        "receivers": [edxml.Organ(organ_id=code, organ_name="Ủy ban nhân dân") for code in receivers],
        "code_number": number,
        "code_notation": notation,
        "promulgation_place": "Tuyên Quang",
        "promulgation_date": date,
        "document_type": edxml.DocumentType(type=18, name="Công văn"),
        "subject": subject,
        "content": "",
        "signer": edxml.SignerInfo(competence="KT.", position="Phó Giám đốc", full_name="Hoàng Thị Lụa"),
        "due_date": None,
        "to_places": ["Như trên", "Lưu: VT"],
        "priority": 1,
        "document_id": edxml.document_id_for(
            organ_id=sender, promulgation_date=date, code_number=number, code_notation=notation
        ),
        "business_doc_type": business_doc_type,
        "staff_info": edxml.StaffInfo(department="Văn phòng", staff="Lê Văn Tám"),
        "attachments": attachments
        if attachments is not None
        else [
            edxml.Attachment(
                name="công văn 27.pdf", content_type="application/pdf", data=PDF, description="Bản ký số"
            )
        ],
    }
    values.update(overrides)
    return edxml.build_document_message(**values)


@pytest.fixture(autouse=True)
def _reset_identity_cache():
    identity.forget()
    services.forget_routing()
    yield
    identity.forget()
    services.forget_routing()


@pytest.fixture
def api_token(world):
    return api_token_issue(user=world.peer.system_user)
