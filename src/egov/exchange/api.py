"""``POST /api/v1/exchange/edxml``: receive an edXML message (QCVN 102:2016) from another instance or axis.

Authentication is mutual: the caller presents the bearer token we issued to its system account
(``manage.py exchange_add_peer``), and every message is signed by the sending agency with a certificate
chaining to the CA we trust for that caller. The answer is a signed status message (application/xml):
01 arrived (15/16 for a recall or update) with HTTP 200, or 02 rejected with the reason and HTTP 4xx.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from egov.core.api_support import error_response

from . import services
from .models import Peer

router = Router(tags=["exchange"])

_XML_TYPES = ("application/xml", "text/xml", "application/edxml+xml")


def _bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@router.post(
    "/edxml",
    summary="Nhận gói tin edXML (QCVN 102:2016)",
    description=(
        "Thân yêu cầu là gói tin edXML đã ký số (application/xml). Trả lời là gói tin trạng thái đã ký: "
        "01 (đã đến) hoặc 15/16 (đồng ý/từ chối thu hồi, cập nhật) với HTTP 200; 02 (từ chối tiếp nhận) "
        "kèm lý do với HTTP 4xx. Gửi lại cùng DocumentId nhận lại đúng câu trả lời lần đầu."
    ),
    # Status codes as numbers, like ninja's own: a "200" string next to ninja's 200 would become two
    # "200" keys in the JSON, which Swagger UI refuses to parse.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
        },
        "responses": {
            200: {"description": "Gói tin trạng thái 01/15/16", "content": {"application/xml": {}}},
            400: {
                "description": "Gói tin trạng thái 02: gói tin sai cấu trúc",
                "content": {"application/xml": {}},
            },
            401: {"description": "Thiếu hoặc sai mã truy cập"},
            403: {
                "description": "Gói tin trạng thái 02: chưa ký, chữ ký sai hoặc người ký không được tin cậy"
            },
            413: {"description": "Gói tin quá lớn"},
            415: {"description": "Không phải application/xml"},
            422: {"description": "Gói tin trạng thái 02: gửi nhầm nơi nhận hoặc không tiếp nhận được"},
        },
    },
)
def receive_edxml(request: HttpRequest):
    from egov.accounts.selectors import user_for_token

    token = _bearer(request)
    user = user_for_token(token) if token else None
    if user is None:
        return error_response(
            401, "unauthorized", _("Cần mã truy cập hợp lệ (Authorization: Bearer <token>).")
        )
    peer = Peer.objects.filter(system_user=user, is_active=True).first()
    if peer is None:
        return error_response(
            403, "not_a_peer", _("Tài khoản này không phải hệ thống liên thông đã đăng ký với hệ thống này.")
        )
    content_type = (request.content_type or "").lower()
    if content_type not in _XML_TYPES:
        return error_response(
            415, "unsupported_media_type", _("Gói tin edXML phải gửi với kiểu application/xml.")
        )
    result = services.message_receive(data=request.body, peer=peer)
    return HttpResponse(result.body, status=result.http_status, content_type=result.content_type)
