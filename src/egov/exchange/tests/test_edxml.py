"""edXML building, parsing, signing and verifying (QCVN 102:2016; Decree 30/2020 art. 21.2)."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from egov.exchange import edxml

from .conftest import PDF, REMOTE_CODE, ca_pem, document_xml, signer_from

VIETNAMESE = "Về việc đề nghị hỗ trợ kinh phí khắc phục hậu quả lũ quét tại xã Mường Lống, huyện Kỳ Sơn"


def _trust(authority) -> edxml.TrustStore:
    return edxml.TrustStore.from_pem(ca_pem(authority))


# ---- build / parse -------------------------------------------------------------------------------------------


def test_round_trip_keeps_every_field_vietnamese_text_and_attachments():
    # GIVEN a message with Vietnamese text and two attachments, one binary
    binary = bytes(range(256)) * 40
    xml = document_xml(
        subject=VIETNAMESE,
        attachments=[
            edxml.Attachment(
                name="Công văn số 27.pdf", content_type="application/pdf", data=PDF, description="Bản chính"
            ),
            edxml.Attachment(
                name="phụ lục – bảng kê.bin", content_type="application/octet-stream", data=binary
            ),
        ],
        appendixes=["Phụ lục I: Danh sách hộ gia đình bị ảnh hưởng"],
        due_date=dt.date(2026, 3, 20),
    )

    # WHEN it is parsed
    parsed = edxml.parse_document_message(xml)

    # THEN every field and every byte comes back
    assert parsed.subject == VIETNAMESE
    assert parsed.sender.organ_id == REMOTE_CODE
    assert parsed.sender.organ_name == "Sở Nội vụ tỉnh Tuyên Quang"
    assert [r.organ_id for r in parsed.receivers] == ["000.00.01.H26"]
    assert (parsed.code_number, parsed.code_notation) == ("27", "SNV-VP")
    assert parsed.promulgation_date == dt.date(2026, 3, 2)
    assert parsed.due_date == dt.date(2026, 3, 20)
    assert parsed.document_type == edxml.DocumentType(type=18, name="Công văn")
    assert parsed.signer == edxml.SignerInfo(
        competence="KT.", position="Phó Giám đốc", full_name="Hoàng Thị Lụa"
    )
    assert parsed.priority == 1
    assert parsed.document_id == "000.00.07.H25,2026/03/02,27/SNV-VP"
    assert parsed.business_doc_type == 0
    assert parsed.to_places == ["Như trên", "Lưu: VT"]
    assert parsed.appendixes == ["Phụ lục I: Danh sách hộ gia đình bị ảnh hưởng"]
    assert parsed.staff_info.staff == "Lê Văn Tám"
    assert [(a.name, a.content_type, a.data) for a in parsed.attachments] == [
        ("Công văn số 27.pdf", "application/pdf", PDF),
        ("phụ lục – bảng kê.bin", "application/octet-stream", binary),
    ]
    # AND the file travels as base64 inside ContentTransferEncoded, linked to the manifest by cid
    root = etree.fromstring(xml)
    ns = {"e": edxml.NS, "x": edxml.XLINK_NS}
    encoded = root.findtext("e:AttachmentEncoded/e:Attachment/e:ContentTransferEncoded", namespaces=ns)
    assert base64.b64decode(encoded) == PDF
    hrefs = [r.get(f"{{{edxml.XLINK_NS}}}href") for r in root.iterfind(".//e:edXMLManifest/e:Reference", ns)]
    ids = [
        a.findtext("e:ContentId", namespaces=ns)
        for a in root.iterfind("e:AttachmentEncoded/e:Attachment", ns)
    ]
    assert hrefs == [f"cid:{i}" for i in ids]
    assert root.find("e:edXMLEnvelope/e:edXMLHeader/e:TraceHeaderList/e:Bussiness", ns) is not None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": "x" * 501}, "MessageHeader/Subject"),
        ({"content": "x" * 501}, "MessageHeader/Content"),
        ({"to_places": ["x" * 151]}, "ToPlaces/Place"),
        ({"appendixes": ["x" * 251]}, "OtherInfo/Appendixes/Appendix"),
        (
            {
                "attachments": [
                    edxml.Attachment(name="x" * 197 + ".pdf", content_type="application/pdf", data=PDF)
                ]
            },
            "Reference/AttachmentName",
        ),
    ],
)
def test_builder_refuses_fields_longer_than_the_bkav_validator_allows(overrides, field):
    # GIVEN / WHEN a field one character over its limit  THEN the builder names the field
    with pytest.raises(edxml.EdxmlError) as error:
        document_xml(**overrides)
    assert error.value.code == "edxml_too_long"
    assert error.value.field.endswith(field.split("/")[-1])


@pytest.mark.parametrize(
    ("tag", "limit"),
    [("Subject", 500), ("Content", 500), ("Place", 150), ("Appendix", 250), ("AttachmentName", 200)],
)
def test_parser_refuses_fields_longer_than_the_bkav_validator_allows(tag, limit):
    # GIVEN a valid message whose field is then made one character too long (as another system might send it)
    root = etree.fromstring(
        document_xml(to_places=["Nơi nhận"], appendixes=["Phụ lục"]), parser=edxml.hardened_parser()
    )
    element = next(root.iter(f"{{{edxml.NS}}}{tag}"))
    element.text = "đ" * (limit + 1)
    # WHEN parsed  THEN refused with the field's path
    with pytest.raises(edxml.EdxmlError) as error:
        edxml.parse_document_message(etree.tostring(root))
    assert error.value.code == "edxml_too_long"
    assert tag in error.value.field
    # AND at exactly the limit it is accepted
    element.text = "đ" * limit
    edxml.parse_document_message(etree.tostring(root))


@pytest.mark.parametrize(
    "path",
    [
        "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:Subject",
        "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:DocumentId",
        "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:From",
        "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:To",
        "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:Code/e:CodeNumber",
        "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:PromulgationInfo/e:PromulgationDate",
        "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:SignerInfo/e:FullName",
        "e:edXMLEnvelope/e:edXMLHeader/e:TraceHeaderList/e:Bussiness/e:BussinessDocType",
    ],
)
def test_missing_mandatory_field_is_refused_with_its_name(path):
    root = etree.fromstring(document_xml(), parser=edxml.hardened_parser())
    element = root.find(path, {"e": edxml.NS})
    element.getparent().remove(element)
    with pytest.raises(edxml.EdxmlError) as error:
        edxml.parse_document_message(etree.tostring(root))
    assert error.value.code == "edxml_missing_field"
    assert path.rsplit(":", 1)[-1] in error.value.message


def test_manifest_and_attachments_must_match_both_ways():
    ns = {"e": edxml.NS}
    # GIVEN an attachment without its manifest entry
    root = etree.fromstring(document_xml(), parser=edxml.hardened_parser())
    reference = root.find(".//e:edXMLManifest/e:Reference", ns)
    reference.getparent().remove(reference)
    with pytest.raises(edxml.EdxmlError) as error:
        edxml.parse_document_message(etree.tostring(root))
    assert error.value.code == "edxml_manifest"
    # AND a manifest entry without its attachment
    root = etree.fromstring(document_xml(), parser=edxml.hardened_parser())
    attachment = root.find("e:AttachmentEncoded/e:Attachment", ns)
    attachment.getparent().remove(attachment)
    with pytest.raises(edxml.EdxmlError) as error:
        edxml.parse_document_message(etree.tostring(root))
    assert error.value.code == "edxml_manifest"


def test_bad_base64_is_refused():
    root = etree.fromstring(document_xml(), parser=edxml.hardened_parser())
    next(root.iter(f"{{{edxml.NS}}}ContentTransferEncoded")).text = "không phải base64!"
    with pytest.raises(edxml.EdxmlError):
        edxml.parse_document_message(etree.tostring(root))


def test_document_id_must_follow_the_format_and_name_the_sender():
    with pytest.raises(edxml.EdxmlError):
        document_xml(document_id="27/SNV-VP")
    with pytest.raises(edxml.EdxmlError) as error:
        edxml.parse_document_message(document_xml(document_id="000.00.09.H25,2026/03/02,27/SNV-VP"))
    assert "DocumentId" in error.value.field


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXMLEnvelope><edXMLHeader><MessageHeader>
<Subject>&xxe;</Subject></MessageHeader></edXMLHeader></edXMLEnvelope></edXML>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&lol9;</edXML>"""


@pytest.mark.parametrize("payload", [XXE, BILLION_LAUGHS], ids=["xxe", "billion-laughs"])
def test_dtd_and_entities_are_refused(payload):
    with pytest.raises(edxml.EdxmlError) as error:
        edxml.parse_xml(payload)
    assert error.value.code in ("edxml_dtd", "edxml_malformed")
    with pytest.raises(edxml.EdxmlError):
        edxml.parse_document_message(payload)


def test_oversize_message_is_refused_before_parsing(settings):
    settings.EGOV_EXCHANGE_MAX_MESSAGE_BYTES = 1000
    with pytest.raises(edxml.EdxmlError) as error:
        edxml.parse_xml(b"<edXML>" + b" " * 2000 + b"</edXML>")
    assert error.value.code == "edxml_too_large"


def test_not_xml_is_refused():
    with pytest.raises(edxml.EdxmlError) as error:
        edxml.parse_document_message(b"%PDF-1.4 definitely not xml")
    assert error.value.code == "edxml_malformed"


def test_status_message_round_trip():
    at = dt.datetime(2026, 3, 2, 9, 15, 30, tzinfo=edxml.LOCAL_TZ)
    xml = edxml.build_status_message(
        response_for=edxml.ResponseFor(
            organ_id=REMOTE_CODE,
            code="27/SNV-VP",
            promulgation_date=dt.date(2026, 3, 2),
            document_id="000.00.07.H25,2026/03/02,27/SNV-VP",
        ),
        sender=edxml.Organ(organ_id="000.00.01.H26", organ_name="Ủy ban nhân dân phường Việt Trì"),
        status_code="04",
        description="Đã phân công Phòng Văn hóa - Xã hội xử lý",
        timestamp=at,
        staff_info=edxml.StaffInfo(department="Văn phòng", staff="Nguyễn Thị Hoa"),
    )
    status = edxml.parse_status_message(xml)
    assert status.status_code == "04"
    assert status.description == "Đã phân công Phòng Văn hóa - Xã hội xử lý"
    assert status.timestamp == at
    assert status.sender.organ_id == "000.00.01.H26"
    assert status.response_for.document_id == "000.00.07.H25,2026/03/02,27/SNV-VP"
    assert status.response_for.promulgation_date == dt.date(2026, 3, 2)
    assert status.staff_info.staff == "Nguyễn Thị Hoa"
    with pytest.raises(edxml.EdxmlError):
        edxml.build_status_message(response_for=status.response_for, sender=status.sender, status_code="07")


# ---- signatures ----------------------------------------------------------------------------------------------


def test_signed_message_verifies_and_names_the_sending_agency(remote_ca, remote_signer):
    # GIVEN a message signed by the sending agency's certificate
    signed = remote_signer.sign(document_xml(subject=VIETNAMESE))
    # WHEN verified against the CA we trust for that sender
    sender = edxml.verify_message(signed, trusted=_trust(remote_ca))
    # THEN the signer is the sending agency and the signed content parses
    assert sender.organ_id == REMOTE_CODE
    assert edxml.parse_document_message(sender.signed_root).subject == VIETNAMESE
    # AND the signature is enveloped XML-DSig, exclusive c14n, RSA-SHA256, the certificate in KeyInfo
    root = etree.fromstring(signed)
    ds = {"ds": edxml.DS_NS, "e": edxml.NS}
    signature = root.find("e:edXMLEnvelope/e:edXMLHeader/ds:Signature", ds)
    assert signature is not None
    assert signature.find("ds:SignedInfo/ds:SignatureMethod", ds).get("Algorithm").endswith("rsa-sha256")
    transforms = [t.get("Algorithm") for t in signature.iterfind(".//ds:Transform", ds)]
    assert "http://www.w3.org/2000/09/xmldsig#enveloped-signature" in transforms
    assert "http://www.w3.org/2001/10/xml-exc-c14n#" in transforms
    assert signature.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", ds) is not None


def test_signature_method_is_a_setting(settings, remote_ca, remote_signer):
    settings.EGOV_EXCHANGE_SIGNATURE_METHOD = "rsa-sha512"
    settings.EGOV_EXCHANGE_DIGEST_ALGORITHM = "sha512"
    signed = remote_signer.sign(document_xml())
    assert b"rsa-sha512" in signed
    assert edxml.verify_message(signed, trusted=_trust(remote_ca)).organ_id == REMOTE_CODE


def test_unsigned_message_is_refused(remote_ca):
    with pytest.raises(edxml.SignatureRejected) as error:
        edxml.verify_message(document_xml(), trusted=_trust(remote_ca))
    assert error.value.code == "edxml_unsigned"


@pytest.mark.parametrize("target", ["subject", "attachment", "receiver"])
def test_one_changed_byte_after_signing_is_detected(remote_ca, remote_signer, target):
    # GIVEN a signed message
    signed = remote_signer.sign(document_xml())
    root = etree.fromstring(signed)
    if target == "subject":
        element = next(root.iter(f"{{{edxml.NS}}}Subject"))
        element.text = element.text.replace("2026", "2027")
    elif target == "attachment":
        element = next(root.iter(f"{{{edxml.NS}}}ContentTransferEncoded"))
        data = bytearray(base64.b64decode(element.text))
        data[10] ^= 0x01
        element.text = base64.b64encode(bytes(data)).decode()
    else:
        element = next(root.iter(f"{{{edxml.NS}}}To")).find(f"{{{edxml.NS}}}OrganId")
        element.text = "000.00.02.H26"
    tampered = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    # WHEN verified  THEN refused as changed after signing
    with pytest.raises(edxml.SignatureRejected) as error:
        edxml.verify_message(tampered, trusted=_trust(remote_ca))
    assert error.value.code == "edxml_bad_signature"


def test_signer_from_an_untrusted_ca_is_refused(remote_ca, stranger_ca):
    forger = signer_from(stranger_ca, REMOTE_CODE)
    with pytest.raises(edxml.SignatureRejected) as error:
        edxml.verify_message(forger.sign(document_xml()), trusted=_trust(remote_ca))
    assert error.value.code == "edxml_untrusted"


def test_signer_must_be_the_sending_agency(remote_ca):
    # GIVEN a trusted certificate of another agency signing a message "From" REMOTE_CODE
    other = signer_from(remote_ca, "000.00.08.H25")
    with pytest.raises(edxml.SignatureRejected) as error:
        edxml.verify_message(other.sign(document_xml()), trusted=_trust(remote_ca))
    assert error.value.code == "edxml_signer_mismatch"


def test_second_signature_or_partial_reference_is_refused(remote_ca, remote_signer):
    signed = remote_signer.sign(document_xml())
    root = etree.fromstring(signed)
    signature = next(root.iter(f"{{{edxml.DS_NS}}}Signature"))
    root.append(etree.fromstring(etree.tostring(signature)))
    with pytest.raises(edxml.SignatureRejected):
        edxml.verify_message(etree.tostring(root), trusted=_trust(remote_ca))


def test_hmac_is_never_accepted(settings):
    settings.EGOV_EXCHANGE_ACCEPTED_SIGNATURE_METHODS = ["hmac-sha256", "rsa-sha256"]
    assert all(not m.name.startswith("HMAC") for m in edxml.accepted_signature_methods())


def test_signed_status_message_verifies(remote_ca, remote_signer):
    xml = edxml.build_status_message(
        response_for=edxml.ResponseFor(
            organ_id="000.00.01.H26", document_id="000.00.01.H26,2026/03/02,05/UBND-VP"
        ),
        sender=edxml.Organ(organ_id=REMOTE_CODE, organ_name="Sở Nội vụ"),
        status_code="03",
    )
    sender = edxml.verify_message(remote_signer.sign(xml), trusted=_trust(remote_ca))
    assert sender.kind == "status"
    assert edxml.parse_status_message(sender.signed_root).status_code == "03"


# ---- arbitrary input -----------------------------------------------------------------------------------------

_VALID = document_xml()


@given(
    st.one_of(st.binary(max_size=2000), st.binary(max_size=64).map(lambda b: _VALID[: len(_VALID) // 2] + b))
)
def test_arbitrary_bytes_only_ever_raise_an_edxml_error(data):
    # WHEN anything at all is parsed  THEN the only possible failure is a refusal with a reason
    for parse in (edxml.parse_document_message, edxml.parse_status_message):
        try:
            parse(data)
        except edxml.EdxmlError as error:
            assert error.message


@given(st.integers(min_value=0, max_value=len(_VALID) - 1), st.integers(min_value=1, max_value=255))
def test_any_single_byte_change_of_a_valid_message_parses_or_is_refused(position, delta):
    data = bytearray(_VALID)
    data[position] = (data[position] + delta) % 256
    with contextlib.suppress(edxml.EdxmlError):
        edxml.parse_document_message(bytes(data))
