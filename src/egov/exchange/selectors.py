"""Reads of the exchange: what became of a document sent to, or received from, another agency."""

from __future__ import annotations

from django.db.models import QuerySet

from .choices import MessageDirection, MessageKind, StatusDirection
from .models import ExchangeMessage, ExchangeStatus


def statuses_for(document) -> QuerySet[ExchangeStatus]:
    """Statuses of an exchanged document, oldest first (QCVN 102:2016 §4.3): for an outgoing document those
    its recipients reported (01 arrived ... 06 completed, 02 rejected, 15/16 on a recall), for an incoming
    one those we reported to its sender."""
    from egov.documents.models import OutgoingDocument

    if isinstance(document, OutgoingDocument):
        queryset = ExchangeStatus.objects.filter(
            message__outgoing_document=document, direction=StatusDirection.RECEIVED
        )
    else:
        queryset = ExchangeStatus.objects.filter(
            message__incoming_document=document, direction=StatusDirection.SENT
        )
    # Timestamps have whole seconds (yyyy/MM/dd HH:mm:ss); within one second the lifecycle order of the
    # codes (01 < 03 < 04 < 05 < 06) is the order of events.
    return queryset.select_related("message").order_by("timestamp", "status_code", "id")


def deliveries_for(document) -> QuerySet[ExchangeMessage]:
    """The outbox messages carrying an outgoing document (one per recipient and business type), with their
    delivery state, attempts and next retry."""
    return (
        ExchangeMessage.objects.filter(
            direction=MessageDirection.OUT, kind=MessageKind.DOCUMENT, outgoing_document=document
        )
        .select_related("peer")
        .order_by("receiver_organ_id", "business_doc_type", "id")
    )


def exchange_summary(document) -> dict:
    """For the document page: deliveries and statuses, and the latest status per recipient agency."""
    statuses = list(statuses_for(document))
    latest: dict[str, ExchangeStatus] = {}
    for status in statuses:
        latest[status.organ_id] = status
    deliveries = list(deliveries_for(document)) if hasattr(document, "recipients") else []
    return {"deliveries": deliveries, "statuses": statuses, "latest": latest}


def page_section(document):
    """``documents.views.PAGE_SECTIONS`` entry: the exchange section of a document page, if it was exchanged."""
    summary = exchange_summary(document)
    if not (summary["deliveries"] or summary["statuses"]):
        return None
    return "exchange/_statuses.html", summary
