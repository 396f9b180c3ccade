"""edXML messages of QCVN 102:2016/BTTTT (Circular 10/2016/TT-BTTTT): build, parse, sign and verify.

Layout (reference/vn-standards.md §4.2, reconstructed from the Bkav/VNPT/VPCP SDKs; namespace
``http://www.mic.gov.vn/TBT/QCVN_102_2016``)::

    edXML
      edXMLEnvelope
        edXMLHeader
          MessageHeader      1.1 From, 1.2 To (1..n), 1.3 Code, 1.4 PromulgationInfo, 1.5 DocumentType,
                             1.6 Subject, 1.7 Content, 1.8 SignerInfo, 1.9 DueDate, 1.10 ToPlaces,
                             1.11 OtherInfo, 1.12 ResponseFor, 1.13 SteeringType, 1.14 DocumentId
          TraceHeaderList    TraceHeader (OrganId, Timestamp) ..., Bussiness (sic): BussinessDocType
                             (0 new, 1 revoke, 2 update, 3 replace), BussinessDocReason, DocumentId,
                             StaffInfo, Paper, ReplacementInfoList
          ds:Signature       XML-DSig, enveloped, exc-c14n, over the whole message (Reference URI="")
        edXMLBody
          edXMLManifest      Reference xlink:href="cid:<id>" per attachment
      AttachmentEncoded      Attachment: ContentType, ContentId, Description, ContentTransferEncoded
                             (base64), AttachmentName

Status messages (§4.3) are a SOAP envelope whose header holds ``edXML:Status`` (ResponseFor, From,
StatusCode, Description, Timestamp, StaffInfo) and the signature; the body is empty.

Parsing is strict: a missing mandatory field, a field longer than the Bkav validator allows (Subject and
Content 500, Place 150, Appendix 250, attachment name 200) or longer than the Appendix VI metadata of
Decree 30/2020 allows, a DTD or an entity, an oversize message, or a manifest entry without its
attachment (or the reverse) is refused with an ``EdxmlError`` naming the field.

This module knows nothing of the database: ``services`` decides who is trusted and which agencies are ours.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree
from signxml import SignatureConstructionMethod, XMLSigner, XMLVerifier
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import (
    InvalidCertificate,
    InvalidDigest,
    InvalidInput,
    InvalidSignature,
    SignXMLException,
)
from signxml.verifier import SignatureConfiguration

from egov.core.calendar import LOCAL_TZ
from egov.core.errors import DomainError

from . import conf

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"

DATE_FORMAT = "%Y/%m/%d"
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S"

# Field lengths: the Bkav validator (§4.2 notes) and Decree 30/2020 Appendix VI, Part II (§5.6).
MAX_LENGTHS = {
    "OrganId": 35,  # Decision 20/2020 art. 4: at most 35 characters
    "OrganName": 200,
    "OrganizationInCharge": 200,
    "OrganAdd": 250,
    "Email": 100,
    "Telephone": 30,
    "Fax": 30,
    "Website": 100,
    "CodeNumber": 11,
    "CodeNotation": 30,
    "Place": 150,
    "TypeName": 100,
    "TypeDetail": 100,
    "Subject": 500,
    "Content": 500,
    "Competence": 20,
    "Position": 100,
    "FullName": 50,
    "Appendix": 250,
    "AttachmentName": 200,
    "Description": 500,
    "ContentType": 100,
    "ContentId": 100,
    "DocumentId": 255,
    "BussinessDocReason": 500,
    "Department": 200,
    "Staff": 100,
    "Mobile": 30,
    "SphereOfPromulgation": 100,
    "TyperNotation": 30,
    "StatusCode": 2,
}

ORGAN_ID_RE = re.compile(r"^[0-9A-Z.]{1,35}$")
DOCUMENT_ID_RE = re.compile(
    r"^(?P<organ>[0-9A-Z.]{1,35}),(?P<date>\d{4}/\d{2}/\d{2}),(?P<code>[^,/]+/[^,]+)$"
)

BUSINESS_NEW, BUSINESS_REVOKE, BUSINESS_UPDATE, BUSINESS_REPLACE = 0, 1, 2, 3
BUSINESS_DOC_TYPES = (BUSINESS_NEW, BUSINESS_REVOKE, BUSINESS_UPDATE, BUSINESS_REPLACE)
STATUS_CODES = ("01", "02", "03", "04", "05", "06", "13", "15", "16")
PRIORITIES = (0, 1, 2, 3, 4)


# ---- errors ----------------------------------------------------------------------------------------------


class EdxmlError(DomainError):
    """A message that does not follow QCVN 102:2016 (answered with status 02, Decree 30/2020 art. 21.2)."""

    status = 400
    code = "edxml_invalid"


class SignatureRejected(EdxmlError):
    """Unsigned, wrongly signed, or signed by someone we do not trust for the sending agency."""

    status = 403
    code = "edxml_signature"


def _invalid(message: str, *, field_name: str = "", code: str = "edxml_invalid") -> EdxmlError:
    return EdxmlError(message, code=code, field=field_name or None)


# ---- data ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Organ:
    """From / To (1.1, 1.2): an agency by its electronic identifier (OrganId)."""

    organ_id: str
    organ_name: str = ""
    organization_in_charge: str = ""
    address: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass(frozen=True)
class DocumentType:
    """1.5: the type code (e.g. 18 = Công văn in one SDK, unconfirmed) and its name."""

    type: int
    name: str
    detail: str = ""


@dataclass(frozen=True)
class SignerInfo:
    """1.8: competence (TM., KT., Q., TL., TUQ., or "Trực tiếp"), position and full name of the signer."""

    competence: str = ""
    position: str = ""
    full_name: str = ""


@dataclass(frozen=True)
class StaffInfo:
    """2.2.5: the officer who sent the message."""

    department: str = ""
    staff: str = ""
    mobile: str = ""
    email: str = ""


@dataclass(frozen=True)
class ResponseFor:
    """1.12 (and the status message's ResponseFor): the document answered."""

    organ_id: str = ""
    code: str = ""
    promulgation_date: dt.date | None = None
    document_id: str = ""


@dataclass(frozen=True)
class ReplacementInfo:
    """Which earlier document (by DocumentId) an update or replacement supersedes, at which agencies."""

    document_id: str
    organ_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class TraceHeader:
    organ_id: str
    timestamp: dt.datetime


@dataclass(frozen=True)
class Attachment:
    """A file carried in base64 (AttachmentEncoded), linked to the manifest by its Content-ID."""

    name: str
    content_type: str
    data: bytes
    description: str = ""
    content_id: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class ParsedMessage:
    """A document message (gói tin văn bản) as parsed, every field of the header and the files."""

    sender: Organ
    receivers: list[Organ]
    code_number: str
    code_notation: str
    promulgation_place: str
    promulgation_date: dt.date
    document_type: DocumentType
    subject: str
    content: str
    signer: SignerInfo
    due_date: dt.date | None
    to_places: list[str]
    priority: int
    steering_type: int
    document_id: str
    business_doc_type: int
    business_doc_reason: str
    staff_info: StaffInfo | None
    paper: int
    replacement_info: list[ReplacementInfo]
    response_for: ResponseFor | None
    attachments: list[Attachment]
    traces: list[TraceHeader] = field(default_factory=list)
    page_amount: int = 0
    promulgation_amount: int = 0
    sphere_of_promulgation: str = ""
    typer_notation: str = ""
    appendixes: list[str] = field(default_factory=list)

    def metadata(self) -> dict:
        """The Appendix VI / edXML names ``documents.services.incoming_register_from_exchange`` reads."""
        return {
            "OrganId": self.sender.organ_id,
            "OrganName": self.sender.organ_name,
            "CodeNumber": self.code_number,
            "CodeNotation": self.code_notation,
            "PromulgationDate": self.promulgation_date,
            "Place": self.promulgation_place,
            "Type": self.document_type.type,
            "TypeName": self.document_type.name,
            "Subject": self.subject,
            "Content": self.content,
            "Priority": self.priority,
            "PageAmount": self.page_amount,
            "DueDate": self.due_date,
            "ToPlaces": list(self.to_places),
            "SignerInfo": {
                "Competence": self.signer.competence,
                "Position": self.signer.position,
                "FullName": self.signer.full_name,
            },
            "SteeringType": self.steering_type,
            "DocumentId": self.document_id,
        }


@dataclass
class StatusMessage:
    """A status message (gói tin trạng thái, §4.3)."""

    response_for: ResponseFor
    sender: Organ
    status_code: str
    description: str
    timestamp: dt.datetime
    staff_info: StaffInfo | None = None


def document_id_for(
    *, organ_id: str, promulgation_date: dt.date, code_number: str, code_notation: str
) -> str:
    """DocumentId (1.14): ``{senderOrganId},{YYYY/MM/DD},{number}/{notation}``."""
    return f"{organ_id},{promulgation_date:%Y/%m/%d},{code_number}/{code_notation}"


# ---- hardened parsing ------------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    # No DTD loading, no entity expansion, no network, no huge text nodes (libxml2's 10 MB default): the
    # XXE and "billion laughs" attacks have nothing to work with, and a DTD is refused outright below.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        collect_ids=False,
    )


# lxml parsers are not thread-safe to share; one per thread is enough.
_PARSERS = threading.local()


def hardened_parser() -> etree.XMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = _parser()
    return parser


def max_message_bytes() -> int:
    return int(conf.number("EGOV_EXCHANGE_MAX_MESSAGE_BYTES", 32 * 1024 * 1024))


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted bytes: size limit, no DTD, no entities, no processing outside the document."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise _invalid(_("Gói tin phải là dữ liệu nhị phân XML."), code="edxml_malformed")
    data = bytes(data)
    if len(data) > max_message_bytes():
        raise _invalid(
            _("Gói tin vượt quá dung lượng cho phép (%(limit)s byte).") % {"limit": max_message_bytes()},
            code="edxml_too_large",
        )
    if not data.strip():
        raise _invalid(_("Gói tin rỗng."), code="edxml_malformed")
    try:
        root = etree.fromstring(data, parser=hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise _invalid(
            _("Gói tin không phải XML hợp lệ: %(error)s") % {"error": str(exc)[:200]}, code="edxml_malformed"
        ) from exc
    _refuse_dtd(root)
    return root


def _refuse_dtd(root: etree._Element) -> None:
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _invalid(
            _("Gói tin không được chứa khai báo DTD hoặc thực thể (DOCTYPE/ENTITY)."), code="edxml_dtd"
        )
    for _entity in root.iter(etree.Entity):
        raise _invalid(_("Gói tin không được chứa tham chiếu thực thể."), code="edxml_dtd")


# ---- building --------------------------------------------------------------------------------------------


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _check_length(name: str, value: str, *, path: str = "") -> str:
    limit = MAX_LENGTHS.get(name)
    if limit is not None and len(value) > limit:
        raise _invalid(
            _("Trường %(field)s dài %(n)s ký tự, vượt quá %(limit)s ký tự cho phép.")
            % {"field": path or name, "n": len(value), "limit": limit},
            field_name=path or name,
            code="edxml_too_long",
        )
    return value


def _text(parent: etree._Element, tag: str, value, *, path: str = "") -> etree._Element:
    element = etree.SubElement(parent, _q(tag))
    if value is None:
        return element
    if isinstance(value, dt.datetime):
        text = value.astimezone(LOCAL_TZ).strftime(TIMESTAMP_FORMAT)
    elif isinstance(value, dt.date):
        text = value.strftime(DATE_FORMAT)
    else:
        text = str(value)
    _check_length(tag, text, path=path or tag)
    _check_chars(text, path or tag)
    element.text = text
    return element


# XML 1.0 forbids most control characters; lxml would raise a ValueError deep inside the builder.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _check_chars(text: str, path: str) -> None:
    if _BAD_CHARS.search(text):
        raise _invalid(
            _("Trường %(field)s chứa ký tự điều khiển không hợp lệ.") % {"field": path}, field_name=path
        )


def _organ(parent: etree._Element, tag: str, organ: Organ) -> None:
    if not ORGAN_ID_RE.match(organ.organ_id or ""):
        raise _invalid(
            _("Mã định danh cơ quan “%(id)s” không hợp lệ (tối đa 35 ký tự: chữ in hoa, số, dấu chấm).")
            % {"id": organ.organ_id},
            field_name=f"{tag}/OrganId",
        )
    element = etree.SubElement(parent, _q(tag))
    _text(element, "OrganId", organ.organ_id, path=f"{tag}/OrganId")
    _text(element, "OrganizationInCharge", organ.organization_in_charge, path=f"{tag}/OrganizationInCharge")
    _text(element, "OrganName", organ.organ_name, path=f"{tag}/OrganName")
    _text(element, "OrganAdd", organ.address, path=f"{tag}/OrganAdd")
    _text(element, "Email", organ.email, path=f"{tag}/Email")
    _text(element, "Telephone", organ.telephone, path=f"{tag}/Telephone")
    _text(element, "Fax", organ.fax, path=f"{tag}/Fax")
    _text(element, "Website", organ.website, path=f"{tag}/Website")


def _staff(parent: etree._Element, staff: StaffInfo | None) -> None:
    staff = staff or StaffInfo()
    element = etree.SubElement(parent, _q("StaffInfo"))
    _text(element, "Department", staff.department, path="StaffInfo/Department")
    _text(element, "Staff", staff.staff, path="StaffInfo/Staff")
    _text(element, "Mobile", staff.mobile, path="StaffInfo/Mobile")
    _text(element, "Email", staff.email, path="StaffInfo/Email")


def _response_for(parent: etree._Element, response_for: ResponseFor) -> None:
    element = etree.SubElement(parent, _q("ResponseFor"))
    _text(element, "OrganId", response_for.organ_id, path="ResponseFor/OrganId")
    _text(element, "Code", response_for.code, path="ResponseFor/Code")
    _text(element, "PromulgationDate", response_for.promulgation_date, path="ResponseFor/PromulgationDate")
    _text(element, "DocumentId", response_for.document_id, path="ResponseFor/DocumentId")


def _int_in(value, allowed: Iterable[int], path: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise _invalid(_("Trường %(field)s phải là số.") % {"field": path}, field_name=path) from exc
    if number not in allowed:
        raise _invalid(
            _("Trường %(field)s có giá trị %(value)s không được phép.") % {"field": path, "value": number},
            field_name=path,
        )
    return number


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def build_document_message(
    *,
    sender: Organ,
    receivers: Sequence[Organ],
    code_number: str,
    code_notation: str,
    promulgation_place: str,
    promulgation_date: dt.date,
    document_type: DocumentType,
    subject: str,
    content: str = "",
    signer: SignerInfo,
    due_date: dt.date | None = None,
    to_places: Sequence[str] = (),
    priority: int = 0,
    steering_type: int = 0,
    document_id: str,
    business_doc_type: int = BUSINESS_NEW,
    business_doc_reason: str = "",
    staff_info: StaffInfo | None = None,
    paper: int = 0,
    replacement_info: Sequence[ReplacementInfo] | None = None,
    response_for: ResponseFor | None = None,
    attachments: Sequence[Attachment] = (),
    page_amount: int = 0,
    promulgation_amount: int = 0,
    sphere_of_promulgation: str = "",
    typer_notation: str = "",
    appendixes: Sequence[str] = (),
    traces: Sequence[TraceHeader] = (),
    timestamp: dt.datetime | None = None,
) -> bytes:
    """An unsigned document message (QCVN 102:2016 §4.2); sign it with ``sign_message``.

    ``traces`` are earlier hops (TraceHeader); one for ``sender`` at ``timestamp`` (default now) is added.
    """
    if not receivers:
        raise _invalid(_("Gói tin phải có ít nhất một cơ quan nhận (To)."), field_name="To")
    if not (code_number or "").strip() or not (code_notation or "").strip():
        raise _invalid(_("Thiếu số hoặc ký hiệu văn bản (Code)."), field_name="Code")
    if not (subject or "").strip():
        raise _invalid(_("Thiếu trích yếu (Subject)."), field_name="Subject")
    if not DOCUMENT_ID_RE.match(document_id or ""):
        raise _invalid(
            _("DocumentId “%(id)s” không đúng dạng {mã cơ quan gửi},{YYYY/MM/DD},{số}/{ký hiệu}.")
            % {"id": document_id},
            field_name="DocumentId",
        )
    _int_in(priority, PRIORITIES, "OtherInfo/Priority")
    _int_in(business_doc_type, BUSINESS_DOC_TYPES, "Bussiness/BussinessDocType")
    _int_in(paper, (0, 1), "Bussiness/Paper")
    timestamp = timestamp or timezone.now()

    root = etree.Element(_q("edXML"), nsmap={None: NS, "xsi": XSI_NS, "xsd": XSD_NS})
    envelope = etree.SubElement(root, _q("edXMLEnvelope"), nsmap={"edXML": NS})
    header = etree.SubElement(envelope, _q("edXMLHeader"))
    message = etree.SubElement(header, _q("MessageHeader"))
    _organ(message, "From", sender)
    for receiver in receivers:
        _organ(message, "To", receiver)
    code = etree.SubElement(message, _q("Code"))
    _text(code, "CodeNumber", code_number.strip(), path="Code/CodeNumber")
    _text(code, "CodeNotation", code_notation.strip(), path="Code/CodeNotation")
    promulgation = etree.SubElement(message, _q("PromulgationInfo"))
    _text(promulgation, "Place", promulgation_place, path="PromulgationInfo/Place")
    _text(promulgation, "PromulgationDate", promulgation_date, path="PromulgationInfo/PromulgationDate")
    doc_type = etree.SubElement(message, _q("DocumentType"))
    _text(doc_type, "Type", int(document_type.type), path="DocumentType/Type")
    _text(doc_type, "TypeName", document_type.name, path="DocumentType/TypeName")
    if document_type.detail:
        _text(doc_type, "TypeDetail", document_type.detail, path="DocumentType/TypeDetail")
    _text(message, "Subject", subject.strip())
    _text(message, "Content", content or "")
    signer_element = etree.SubElement(message, _q("SignerInfo"))
    _text(signer_element, "Competence", signer.competence, path="SignerInfo/Competence")
    _text(signer_element, "Position", signer.position, path="SignerInfo/Position")
    _text(signer_element, "FullName", signer.full_name, path="SignerInfo/FullName")
    _text(message, "DueDate", due_date)
    places = etree.SubElement(message, _q("ToPlaces"))
    for place in to_places:
        _text(places, "Place", place, path="ToPlaces/Place")
    other = etree.SubElement(message, _q("OtherInfo"))
    _text(other, "Priority", int(priority), path="OtherInfo/Priority")
    _text(other, "SphereOfPromulgation", sphere_of_promulgation, path="OtherInfo/SphereOfPromulgation")
    _text(other, "TyperNotation", typer_notation, path="OtherInfo/TyperNotation")
    _text(other, "PromulgationAmount", int(promulgation_amount or 0), path="OtherInfo/PromulgationAmount")
    _text(other, "PageAmount", int(page_amount or 0), path="OtherInfo/PageAmount")
    appendix_list = etree.SubElement(other, _q("Appendixes"))
    for appendix in appendixes:
        _text(appendix_list, "Appendix", appendix, path="OtherInfo/Appendixes/Appendix")
    if response_for is not None:
        _response_for(message, response_for)
    _text(message, "SteeringType", int(steering_type or 0))
    _text(message, "DocumentId", document_id)

    trace_list = etree.SubElement(
        header,
        _q("TraceHeaderList"),
        {
            "id": "TraceHeaderList",
            "version": "1.0",
            "mustUnderstand": "1",
            "actor": "http://schemas.xmlsoap.org/soap/actor/next",
        },
    )
    for trace in [*traces, TraceHeader(organ_id=sender.organ_id, timestamp=timestamp)]:
        trace_element = etree.SubElement(trace_list, _q("TraceHeader"))
        _text(trace_element, "OrganId", trace.organ_id, path="TraceHeader/OrganId")
        _text(trace_element, "Timestamp", trace.timestamp, path="TraceHeader/Timestamp")
    business = etree.SubElement(trace_list, _q("Bussiness"))
    _text(business, "BussinessDocType", int(business_doc_type), path="Bussiness/BussinessDocType")
    _text(business, "BussinessDocReason", business_doc_reason or "", path="Bussiness/BussinessDocReason")
    info = etree.SubElement(business, _q("BussinessDocumentInfo"))
    etree.SubElement(info, _q("DocumentInfo")).text = "0"
    etree.SubElement(info, _q("DocumentReceiver")).text = "0"
    receiver_list = etree.SubElement(info, _q("ReceiverList"))
    for receiver in receivers:
        _text(receiver_list, "Receiver", receiver.organ_id, path="ReceiverList/Receiver")
    _text(business, "DocumentId", document_id, path="Bussiness/DocumentId")
    _staff(business, staff_info)
    _text(business, "Paper", int(paper), path="Bussiness/Paper")
    replacements = etree.SubElement(business, _q("ReplacementInfoList"))
    for replacement in replacement_info or ():
        item = etree.SubElement(replacements, _q("ReplacementInfo"))
        _text(item, "DocumentId", replacement.document_id, path="ReplacementInfo/DocumentId")
        organs = etree.SubElement(item, _q("OrganIdList"))
        for organ_id in replacement.organ_ids:
            _text(organs, "OrganId", organ_id, path="ReplacementInfo/OrganId")

    body = etree.SubElement(envelope, _q("edXMLBody"))
    manifest = etree.SubElement(body, _q("edXMLManifest"), {"version": "1.0"})
    encoded = etree.SubElement(root, _q("AttachmentEncoded"))
    seen: set[str] = set()
    for attachment in attachments:
        content_id = attachment.content_id or uuid.uuid4().hex
        if content_id in seen:
            raise _invalid(
                _("Hai tệp đính kèm trùng Content-ID %(cid)s.") % {"cid": content_id}, field_name="ContentId"
            )
        seen.add(content_id)
        if not (attachment.name or "").strip():
            raise _invalid(_("Tệp đính kèm thiếu tên (AttachmentName)."), field_name="AttachmentName")
        reference = etree.SubElement(
            manifest,
            _q("Reference"),
            {f"{{{XLINK_NS}}}href": f"cid:{content_id}", f"{{{XLINK_NS}}}type": "simple"},
            nsmap={"xlink": XLINK_NS},
        )
        _text(reference, "Description", attachment.description, path="Reference/Description")
        _text(reference, "AttachmentName", attachment.name, path="Reference/AttachmentName")
        _text(reference, "ContentType", attachment.content_type, path="Reference/ContentType")
        _text(reference, "ContentId", content_id, path="Reference/ContentId")
        item = etree.SubElement(encoded, _q("Attachment"))
        _text(item, "ContentType", attachment.content_type, path="Attachment/ContentType")
        _text(item, "ContentId", content_id, path="Attachment/ContentId")
        _text(item, "Description", attachment.description, path="Attachment/Description")
        etree.SubElement(item, _q("ContentTransferEncoded")).text = base64.b64encode(attachment.data).decode(
            "ascii"
        )
        _text(item, "AttachmentName", attachment.name, path="Attachment/AttachmentName")
    data = _serialize(root)
    if len(data) > max_message_bytes():
        raise _invalid(
            _("Gói tin vượt quá dung lượng cho phép (%(limit)s byte).") % {"limit": max_message_bytes()},
            code="edxml_too_large",
        )
    return data


def build_status_message(
    *,
    response_for: ResponseFor,
    sender: Organ,
    status_code: str,
    description: str = "",
    timestamp: dt.datetime | None = None,
    staff_info: StaffInfo | None = None,
) -> bytes:
    """An unsigned status message (§4.3): 01 arrived, 02 rejected, 03 registered, 04 assigned, 05 in progress,
    06 completed, 13 recall requested, 15 update/recall agreed, 16 refused."""
    if status_code not in STATUS_CODES:
        raise _invalid(
            _("Mã trạng thái %(code)s không hợp lệ.") % {"code": status_code}, field_name="StatusCode"
        )
    root = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"SOAP-ENV": SOAP_NS, "edXML": NS})
    header = etree.SubElement(root, f"{{{SOAP_NS}}}Header")
    status = etree.SubElement(header, _q("Status"))
    _response_for(status, response_for)
    _organ(status, "From", sender)
    _text(status, "StatusCode", status_code)
    _text(status, "Description", (description or "")[: MAX_LENGTHS["Description"]])
    _text(status, "Timestamp", timestamp or timezone.now())
    _staff(status, staff_info)
    etree.SubElement(root, f"{{{SOAP_NS}}}Body")
    return _serialize(root)


# ---- parsing ---------------------------------------------------------------------------------------------


class _Reader:
    """Strict reads of child elements by path, with the path in every error."""

    def __init__(self, element: etree._Element, path: str) -> None:
        self.element = element
        self.path = path

    def child(self, tag: str, *, required: bool = True) -> _Reader | None:
        found = self.element.find(_q(tag))
        if found is None:
            if required:
                raise _invalid(
                    _("Thiếu trường bắt buộc %(field)s.") % {"field": f"{self.path}/{tag}"},
                    field_name=f"{self.path}/{tag}",
                    code="edxml_missing_field",
                )
            return None
        return _Reader(found, f"{self.path}/{tag}")

    def children(self, tag: str) -> list[_Reader]:
        return [_Reader(e, f"{self.path}/{tag}") for e in self.element.findall(_q(tag))]

    def text(self, tag: str, *, required: bool = False) -> str:
        reader = self.child(tag, required=required)
        value = (reader.element.text or "").strip() if reader is not None else ""
        path = f"{self.path}/{tag}"
        if required and not value:
            raise _invalid(
                _("Trường bắt buộc %(field)s không có giá trị.") % {"field": path},
                field_name=path,
                code="edxml_missing_field",
            )
        return _check_length(tag, value, path=path)

    def integer(self, tag: str, *, required: bool = False, default: int = 0, allowed=None) -> int:
        value = self.text(tag, required=required)
        if not value:
            return default
        path = f"{self.path}/{tag}"
        if not re.fullmatch(r"-?\d{1,9}", value):
            raise _invalid(_("Trường %(field)s phải là số nguyên.") % {"field": path}, field_name=path)
        return _int_in(value, allowed, path) if allowed is not None else int(value)

    def date(self, tag: str, *, required: bool = False) -> dt.date | None:
        value = self.text(tag, required=required)
        if not value:
            return None
        path = f"{self.path}/{tag}"
        # yyyy/MM/dd per the SDKs; some senders add a time part, which is ignored.
        for pattern in (DATE_FORMAT, "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(value[:10], pattern).date()
            except ValueError:
                continue
        raise _invalid(_("Trường %(field)s phải là ngày dạng yyyy/MM/dd.") % {"field": path}, field_name=path)

    def timestamp(self, tag: str, *, required: bool = False) -> dt.datetime | None:
        value = self.text(tag, required=required)
        if not value:
            return None
        path = f"{self.path}/{tag}"
        for pattern in (TIMESTAMP_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
            try:
                return dt.datetime.strptime(value[:19], pattern).replace(tzinfo=LOCAL_TZ)
            except ValueError:
                continue
        raise _invalid(
            _("Trường %(field)s phải là thời điểm dạng yyyy/MM/dd HH:mm:ss.") % {"field": path},
            field_name=path,
        )


def _read_organ(reader: _Reader, *, name_required: bool) -> Organ:
    organ_id = reader.text("OrganId", required=True).upper()
    if not ORGAN_ID_RE.match(organ_id):
        raise _invalid(
            _("Mã định danh cơ quan “%(id)s” không hợp lệ.") % {"id": organ_id},
            field_name=f"{reader.path}/OrganId",
        )
    return Organ(
        organ_id=organ_id,
        organ_name=reader.text("OrganName", required=name_required),
        organization_in_charge=reader.text("OrganizationInCharge"),
        address=reader.text("OrganAdd"),
        email=reader.text("Email"),
        telephone=reader.text("Telephone"),
        fax=reader.text("Fax"),
        website=reader.text("Website"),
    )


def _read_staff(reader: _Reader | None) -> StaffInfo | None:
    if reader is None:
        return None
    return StaffInfo(
        department=reader.text("Department"),
        staff=reader.text("Staff"),
        mobile=reader.text("Mobile"),
        email=reader.text("Email"),
    )


def _read_response_for(reader: _Reader | None) -> ResponseFor | None:
    if reader is None:
        return None
    return ResponseFor(
        organ_id=reader.text("OrganId").upper(),
        code=reader.text("Code"),
        promulgation_date=reader.date("PromulgationDate"),
        document_id=reader.text("DocumentId"),
    )


def _read_replacement(item: _Reader) -> ReplacementInfo:
    organs = item.child("OrganIdList", required=False)
    organ_ids = [(e.text or "").strip().upper() for e in organs.element] if organs is not None else []
    return ReplacementInfo(
        document_id=item.text("DocumentId", required=True), organ_ids=tuple(o for o in organ_ids if o)
    )


def _root_of(data) -> etree._Element:
    if isinstance(data, etree._Element):
        _refuse_dtd(data)
        return data
    return parse_xml(data)


def _decode_base64(text: str, path: str) -> bytes:
    try:
        return base64.b64decode(text or "", validate=True)
    except (binascii.Error, ValueError):
        pass  # other senders wrap base64 in lines (MIME style): strip the whitespace and try again
    try:
        return base64.b64decode(re.sub(r"\s+", "", text or ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid(
            _("Tệp đính kèm %(field)s không phải base64 hợp lệ.") % {"field": path}, field_name=path
        ) from exc


def _read_attachments(root: _Reader, envelope: _Reader) -> list[Attachment]:
    body = envelope.child("edXMLBody")
    manifest = body.child("edXMLManifest", required=False)
    references: dict[str, _Reader] = {}
    for reference in manifest.children("Reference") if manifest is not None else []:
        href = reference.element.get(f"{{{XLINK_NS}}}href") or ""
        content_id = href[4:] if href.startswith("cid:") else reference.text("ContentId")
        if not content_id:
            raise _invalid(
                _('Mục %(field)s thiếu xlink:href="cid:...".') % {"field": reference.path},
                field_name=reference.path,
                code="edxml_manifest",
            )
        if content_id in references:
            raise _invalid(
                _("Danh mục tệp có hai mục trùng Content-ID %(cid)s.") % {"cid": content_id},
                field_name=reference.path,
                code="edxml_manifest",
            )
        references[content_id] = reference
    encoded = root.child("AttachmentEncoded", required=bool(references))
    attachments: list[Attachment] = []
    seen: set[str] = set()
    for item in encoded.children("Attachment") if encoded is not None else []:
        content_id = item.text("ContentId", required=True)
        if content_id.startswith("cid:"):
            content_id = content_id[4:]
        if content_id in seen:
            raise _invalid(
                _("Hai tệp đính kèm trùng Content-ID %(cid)s.") % {"cid": content_id},
                field_name=item.path,
                code="edxml_manifest",
            )
        seen.add(content_id)
        reference = references.get(content_id)
        if reference is None:
            raise _invalid(
                _("Tệp đính kèm %(cid)s không có trong danh mục (edXMLManifest).") % {"cid": content_id},
                field_name=item.path,
                code="edxml_manifest",
            )
        # Both copies of the metadata are checked: the manifest's and the attachment's own.
        listed = {tag: reference.text(tag) for tag in ("AttachmentName", "ContentType", "Description")}
        name = item.text("AttachmentName") or listed["AttachmentName"]
        if not name:
            raise _invalid(
                _("Tệp đính kèm %(cid)s thiếu tên (AttachmentName).") % {"cid": content_id},
                field_name=f"{item.path}/AttachmentName",
                code="edxml_missing_field",
            )
        payload = item.child("ContentTransferEncoded")
        attachments.append(
            Attachment(
                name=name,
                content_type=item.text("ContentType") or listed["ContentType"] or "application/octet-stream",
                data=_decode_base64(payload.element.text or "", payload.path),
                description=item.text("Description") or listed["Description"],
                content_id=content_id,
            )
        )
    missing = sorted(set(references) - seen)
    if missing:
        raise _invalid(
            _("Danh mục tệp nêu %(cid)s nhưng gói tin không có tệp đó.") % {"cid": ", ".join(missing)},
            field_name="AttachmentEncoded",
            code="edxml_manifest",
        )
    return attachments


def parse_document_message(data) -> ParsedMessage:
    """Parse a document message (bytes, or an element already parsed by ``parse_xml``), strictly."""
    root = _root_of(data)
    if root.tag != _q("edXML"):
        raise _invalid(_("Phần tử gốc phải là edXML (QCVN 102:2016)."), code="edxml_malformed")
    top = _Reader(root, "edXML")
    envelope = top.child("edXMLEnvelope")
    header = envelope.child("edXMLHeader")
    message = header.child("MessageHeader")
    sender = _read_organ(message.child("From"), name_required=True)
    receivers = [_read_organ(r, name_required=False) for r in message.children("To")]
    if not receivers:
        raise _invalid(
            _("Thiếu trường bắt buộc %(field)s.") % {"field": "MessageHeader/To"},
            field_name="MessageHeader/To",
            code="edxml_missing_field",
        )
    code = message.child("Code")
    promulgation = message.child("PromulgationInfo")
    doc_type = message.child("DocumentType")
    signer = message.child("SignerInfo")
    places = message.child("ToPlaces", required=False)
    other = message.child("OtherInfo")
    appendixes = other.child("Appendixes", required=False)
    document_id = message.text("DocumentId", required=True)
    trace_list = header.child("TraceHeaderList")
    business = trace_list.child("Bussiness")
    business_document_id = business.text("DocumentId")
    match = DOCUMENT_ID_RE.match(document_id)
    if match is None:
        raise _invalid(
            _("DocumentId “%(id)s” không đúng dạng {mã cơ quan gửi},{YYYY/MM/DD},{số}/{ký hiệu}.")
            % {"id": document_id},
            field_name="MessageHeader/DocumentId",
        )
    if business_document_id and business_document_id != document_id:
        raise _invalid(
            _("DocumentId trong Bussiness khác DocumentId trong MessageHeader."),
            field_name="Bussiness/DocumentId",
        )
    business_doc_type = business.integer("BussinessDocType", required=True, allowed=BUSINESS_DOC_TYPES)
    if business_doc_type == BUSINESS_NEW and match.group("organ") != sender.organ_id:
        raise _invalid(
            _("DocumentId phải bắt đầu bằng mã định danh của cơ quan gửi (%(id)s).")
            % {"id": sender.organ_id},
            field_name="MessageHeader/DocumentId",
        )
    replacements = business.child("ReplacementInfoList", required=False)
    traces = []
    for trace in trace_list.children("TraceHeader"):
        traces.append(
            TraceHeader(
                organ_id=trace.text("OrganId", required=True),
                timestamp=trace.timestamp("Timestamp", required=True),
            )
        )
    return ParsedMessage(
        sender=sender,
        receivers=receivers,
        code_number=code.text("CodeNumber", required=True),
        code_notation=code.text("CodeNotation", required=True),
        promulgation_place=promulgation.text("Place"),
        promulgation_date=promulgation.date("PromulgationDate", required=True),
        document_type=DocumentType(
            type=doc_type.integer("Type", required=True),
            name=doc_type.text("TypeName", required=True),
            detail=doc_type.text("TypeDetail"),
        ),
        subject=message.text("Subject", required=True),
        content=message.text("Content"),
        signer=SignerInfo(
            competence=signer.text("Competence"),
            position=signer.text("Position"),
            full_name=signer.text("FullName", required=True),
        ),
        due_date=message.date("DueDate"),
        to_places=[
            _check_length("Place", (e.text or "").strip(), path="ToPlaces/Place")
            for e in (places.element.findall(_q("Place")) if places is not None else [])
        ],
        priority=other.integer("Priority", required=True, allowed=PRIORITIES),
        steering_type=message.integer("SteeringType"),
        document_id=document_id,
        business_doc_type=business_doc_type,
        business_doc_reason=business.text("BussinessDocReason"),
        staff_info=_read_staff(business.child("StaffInfo", required=False)),
        paper=business.integer("Paper", allowed=(0, 1)),
        replacement_info=[
            _read_replacement(item)
            for item in (replacements.children("ReplacementInfo") if replacements is not None else [])
        ],
        response_for=_read_response_for(message.child("ResponseFor", required=False)),
        attachments=_read_attachments(top, envelope),
        traces=traces,
        page_amount=other.integer("PageAmount"),
        promulgation_amount=other.integer("PromulgationAmount"),
        sphere_of_promulgation=other.text("SphereOfPromulgation"),
        typer_notation=other.text("TyperNotation"),
        appendixes=[
            _check_length("Appendix", (e.text or "").strip(), path="OtherInfo/Appendixes/Appendix")
            for e in (appendixes.element.findall(_q("Appendix")) if appendixes is not None else [])
        ],
    )


def parse_status_message(data) -> StatusMessage:
    """Parse a status message (§4.3), strictly."""
    root = _root_of(data)
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise _invalid(_("Gói tin trạng thái phải là SOAP Envelope."), code="edxml_malformed")
    header = root.find(f"{{{SOAP_NS}}}Header")
    status_element = header.find(_q("Status")) if header is not None else None
    if status_element is None:
        raise _invalid(
            _("Thiếu trường bắt buộc %(field)s.") % {"field": "Header/Status"},
            field_name="Header/Status",
            code="edxml_missing_field",
        )
    status = _Reader(status_element, "Status")
    code = status.text("StatusCode", required=True)
    if code not in STATUS_CODES:
        raise _invalid(
            _("Mã trạng thái %(code)s không hợp lệ.") % {"code": code}, field_name="Status/StatusCode"
        )
    response_for = _read_response_for(status.child("ResponseFor"))
    assert response_for is not None
    if code != "02" and not response_for.document_id:
        raise _invalid(
            _("Trường bắt buộc %(field)s không có giá trị.") % {"field": "Status/ResponseFor/DocumentId"},
            field_name="Status/ResponseFor/DocumentId",
            code="edxml_missing_field",
        )
    return StatusMessage(
        response_for=response_for,
        sender=_read_organ(status.child("From"), name_required=False),
        status_code=code,
        description=status.text("Description"),
        timestamp=status.timestamp("Timestamp", required=True),
        staff_info=_read_staff(status.child("StaffInfo", required=False)),
    )


def message_kind(root: etree._Element) -> str:
    """``"document"`` for an edXML document message, ``"status"`` for a status message."""
    if root.tag == _q("edXML"):
        return "document"
    if root.tag == f"{{{SOAP_NS}}}Envelope":
        return "status"
    raise _invalid(
        _("Không nhận dạng được loại gói tin (edXML hoặc gói tin trạng thái)."), code="edxml_malformed"
    )


def sender_organ_id(root: etree._Element) -> str:
    """From/OrganId of a document or status message, or "" (used before the full parse, for errors)."""
    path = (
        f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader/{{{NS}}}MessageHeader/{{{NS}}}From/{{{NS}}}OrganId"
        if root.tag == _q("edXML")
        else f"{{{SOAP_NS}}}Header/{{{NS}}}Status/{{{NS}}}From/{{{NS}}}OrganId"
    )
    element = root.find(path)
    return (element.text or "").strip().upper() if element is not None else ""


# ---- signatures ------------------------------------------------------------------------------------------


_DEFAULT_ACCEPTED_METHODS = ("rsa-sha256", "rsa-sha384", "rsa-sha512", "ecdsa-sha256", "ecdsa-sha384")
_DEFAULT_ACCEPTED_DIGESTS = ("sha256", "sha384", "sha512")


def signature_method() -> SignatureMethod:
    """The signature algorithm (QCVN 102:2016's own algorithm is unconfirmed, reference §4.2: a setting)."""
    return _method(conf.setting("EGOV_EXCHANGE_SIGNATURE_METHOD", "rsa-sha256"))


def digest_algorithm() -> DigestAlgorithm:
    return _digest(conf.setting("EGOV_EXCHANGE_DIGEST_ALGORITHM", "sha256"))


@functools.lru_cache(maxsize=64)
def _method(name: str) -> SignatureMethod:
    return SignatureMethod.from_fragment(name) if "#" not in name else SignatureMethod(name)


@functools.lru_cache(maxsize=64)
def _digest(name: str) -> DigestAlgorithm:
    return DigestAlgorithm.from_fragment(name) if "#" not in name else DigestAlgorithm(name)


def accepted_signature_methods() -> frozenset[SignatureMethod]:
    """The configured method and ``EGOV_EXCHANGE_ACCEPTED_SIGNATURE_METHODS`` (SHA-1 only if listed there,
    for older axis SDKs); never HMAC: a shared-secret "signature" proves nothing about who sent a message."""
    names = conf.names("EGOV_EXCHANGE_ACCEPTED_SIGNATURE_METHODS", _DEFAULT_ACCEPTED_METHODS)
    return _accepted_methods(names, signature_method())


@functools.lru_cache(maxsize=64)
def _accepted_methods(names: tuple[str, ...], own: SignatureMethod) -> frozenset[SignatureMethod]:
    methods = {_method(n) for n in names} | {own}
    return frozenset(m for m in methods if not m.name.startswith("HMAC"))


def accepted_digest_algorithms() -> frozenset[DigestAlgorithm]:
    names = conf.names("EGOV_EXCHANGE_ACCEPTED_DIGEST_ALGORITHMS", _DEFAULT_ACCEPTED_DIGESTS)
    return frozenset({_digest(n) for n in names} | {digest_algorithm()})


def _signature_parent(root: etree._Element) -> etree._Element:
    if root.tag == _q("edXML"):
        parent = root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    elif root.tag == f"{{{SOAP_NS}}}Envelope":
        parent = root.find(f"{{{SOAP_NS}}}Header")
    else:
        parent = None
    if parent is None:
        raise _invalid(_("Không tìm thấy vị trí đặt chữ ký trong gói tin."), code="edxml_malformed")
    return parent


def _signature_location(root: etree._Element) -> str:
    if root.tag == _q("edXML"):
        return f"./{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader/"
    return f"./{{{SOAP_NS}}}Header/"


def sign_message(xml: bytes, key, cert: x509.Certificate | Sequence[x509.Certificate]) -> bytes:
    """Sign a message (enveloped XML-DSig over the whole message, exc-c14n, ``signature_method()``) with the
    sender's key; ``cert`` is its certificate, or its chain starting with it, written into KeyInfo."""
    root = parse_xml(xml)
    if next(root.iter(f"{{{DS_NS}}}Signature"), None) is not None:
        raise _invalid(_("Gói tin đã có chữ ký."), code="edxml_signed")
    chain = [cert] if isinstance(cert, x509.Certificate) else list(cert)
    placeholder = etree.SubElement(_signature_parent(root), f"{{{DS_NS}}}Signature", nsmap={"ds": DS_NS})
    placeholder.set("Id", "placeholder")
    signer = XMLSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=signature_method(),
        digest_algorithm=digest_algorithm(),
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signer._parser = hardened_parser()
    signed = signer.sign(root, key=key, cert=chain)
    return _serialize(signed)


@dataclass(frozen=True)
class TrustStore:
    """Certificates we accept as anchors for one peer (its CA, or the signers themselves)."""

    certificates: tuple[x509.Certificate, ...]

    @property
    def store(self) -> x509.verification.Store:
        return _store_for(self.certificates)

    @classmethod
    def from_pem(cls, pem: bytes | str) -> TrustStore:
        data = pem.encode() if isinstance(pem, str) else bytes(pem)
        return _trust_from_pem(data)

    def __bool__(self) -> bool:
        return bool(self.certificates)


@functools.lru_cache(maxsize=256)
def _trust_from_pem(data: bytes) -> TrustStore:
    certificates = tuple(x509.load_pem_x509_certificates(data)) if data.strip() else ()
    return TrustStore(certificates=certificates)


@functools.lru_cache(maxsize=256)
def _store_for(certificates: tuple[x509.Certificate, ...]) -> x509.verification.Store:
    return x509.verification.Store(list(certificates))


class _Verifier(XMLVerifier):
    """signxml's verifier reading with our hardened parser."""

    def __init__(self) -> None:
        super().__init__()
        self._parser = hardened_parser()


def _require_digital_signature(policy, cert, key_usage) -> None:
    if not key_usage.digital_signature:
        raise ValueError("certificate KeyUsage does not allow digitalSignature")


def _chain_leaf(
    certificates: list[x509.Certificate], store: x509.verification.Store, at: dt.datetime
) -> x509.Certificate:
    """Check that the KeyInfo chain leads to a trusted anchor; return the signer's (leaf) certificate.

    The same policy as signxml's own check (end entity with KeyUsage digitalSignature; CA certificates per
    the Web PKI profile), against an in-memory store instead of a CA file read from disk on every call.
    """
    ee_policy = x509.verification.ExtensionPolicy.permit_all().require_present(
        x509.KeyUsage, x509.verification.Criticality.AGNOSTIC, _require_digital_signature
    )
    verifier = (
        x509.verification.PolicyBuilder()
        .store(store)
        .time(at)
        .extension_policies(
            ee_policy=ee_policy, ca_policy=x509.verification.ExtensionPolicy.webpki_defaults_ca()
        )
        .build_client_verifier()
    )
    error: Exception | None = None
    # X509Data implies no order (XML-DSig §4.5.4): try the leaf first, then the reverse order.
    for ordered in (certificates, list(reversed(certificates))):
        try:
            return verifier.verify(ordered[0], ordered[1:]).chain[0]
        except (x509.verification.VerificationError, ValueError) as exc:
            error = exc
    raise SignatureRejected(
        _("Chứng thư số của người ký không được tin cậy: %(error)s") % {"error": str(error)[:300]},
        code="edxml_untrusted",
    )


@dataclass(frozen=True)
class SenderIdentity:
    """Who signed a verified message, and the signed content (signature removed) to read it from."""

    organ_id: str
    certificate: x509.Certificate
    fingerprint_sha256: str
    common_name: str
    signed_root: etree._Element
    kind: str


def certificate_uid(certificate: x509.Certificate) -> str:
    """The agency code our CA writes into the subject's UID attribute (``egov.signing.ca``)."""
    values = certificate.subject.get_attributes_for_oid(x509.oid.NameOID.USER_ID)
    return str(values[0].value).strip().upper() if values else ""


def certificate_common_name(certificate: x509.Certificate) -> str:
    values = certificate.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def verify_message(
    xml,
    *,
    trusted: TrustStore,
    organ_for_certificate: Callable[[x509.Certificate], str] | None = None,
    at: dt.datetime | None = None,
    parsed: etree._Element | None = None,
) -> SenderIdentity:
    """Check the message's signature and return who sent it (Decree 30/2020 art. 21.2: authenticity and
    integrity of an incoming electronic document).

    Refuses a message that is unsigned, carries more than one signature, signs less than the whole message,
    uses an algorithm not accepted, fails its digest or signature check (one changed byte anywhere), or whose
    certificate does not chain to ``trusted``. The signer must then be the sending agency: the agency code
    bound to the certificate (``organ_for_certificate``, default the subject's UID attribute) must equal
    From/OrganId. ``parsed``: the same bytes already parsed by ``parse_xml`` (saves a parse).
    """
    root = parsed if parsed is not None and isinstance(xml, (bytes, bytearray)) else _root_of(xml)
    kind = message_kind(root)
    signatures = list(root.iter(f"{{{DS_NS}}}Signature"))
    if not signatures:
        raise SignatureRejected(_("Gói tin chưa được ký số."), code="edxml_unsigned")
    if len(signatures) > 1:
        raise SignatureRejected(_("Gói tin có nhiều hơn một chữ ký."), code="edxml_signature")
    signature = signatures[0]
    if signature.getparent() is not _signature_parent(root):
        raise SignatureRejected(
            _("Chữ ký không nằm ở vị trí quy định trong gói tin."), code="edxml_signature"
        )
    references = signature.findall(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}Reference")
    if len(references) != 1 or references[0].get("URI") != "":
        raise SignatureRejected(
            _('Chữ ký phải bao trùm toàn bộ gói tin (Reference URI="").'), code="edxml_signature"
        )
    if not trusted:
        raise SignatureRejected(_("Chưa cấu hình chứng thư tin cậy cho bên gửi."), code="edxml_untrusted")
    config = SignatureConfiguration(
        require_x509=True,
        location=_signature_location(root),
        expect_references=1,
        signature_methods=accepted_signature_methods(),
        digest_algorithms=accepted_digest_algorithms(),
        verification_time=at,
    )
    certificates = []
    for element in signature.iterfind(f"{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/{{{DS_NS}}}X509Certificate"):
        try:
            certificates.append(
                x509.load_der_x509_certificate(base64.b64decode(re.sub(r"\s+", "", element.text or "")))
            )
        except (ValueError, binascii.Error) as exc:
            raise SignatureRejected(
                _("Chứng thư số trong chữ ký bị hỏng."), code="edxml_bad_signature"
            ) from exc
    if not certificates:
        raise SignatureRejected(_("Chữ ký không kèm chứng thư số X.509 của người ký."), code="edxml_unsigned")
    certificate = _chain_leaf(certificates, trusted.store, at or timezone.now())
    try:
        result = _Verifier().verify(
            xml if isinstance(xml, (bytes, bytearray)) else root, x509_cert=certificate, expect_config=config
        )
    except InvalidCertificate as exc:
        raise SignatureRejected(
            _("Chứng thư số của người ký không được tin cậy: %(error)s") % {"error": str(exc)[:300]},
            code="edxml_untrusted",
        ) from exc
    except (InvalidDigest, InvalidSignature) as exc:
        raise SignatureRejected(
            _("Chữ ký số không hợp lệ: nội dung gói tin đã bị thay đổi sau khi ký (%(error)s).")
            % {"error": str(exc)[:200]},
            code="edxml_bad_signature",
        ) from exc
    except (InvalidInput, SignXMLException, ValueError, etree.LxmlError) as exc:
        raise SignatureRejected(
            _("Chữ ký số không hợp lệ: %(error)s") % {"error": str(exc)[:300]}, code="edxml_bad_signature"
        ) from exc
    signed_root = result.signed_xml
    if signed_root is None:
        raise SignatureRejected(_("Không đọc được nội dung đã ký."), code="edxml_bad_signature")
    bound = (organ_for_certificate or certificate_uid)(certificate)
    sender = sender_organ_id(signed_root)
    if not bound or bound != sender:
        raise SignatureRejected(
            _("Người ký (%(signer)s) không phải cơ quan gửi %(organ)s.")
            % {"signer": bound or certificate_common_name(certificate), "organ": sender or "?"},
            code="edxml_signer_mismatch",
        )
    return SenderIdentity(
        organ_id=sender,
        certificate=certificate,
        fingerprint_sha256=fingerprint(certificate),
        common_name=certificate_common_name(certificate),
        signed_root=signed_root,
        kind=kind,
    )
