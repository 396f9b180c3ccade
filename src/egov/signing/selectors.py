"""Reads of the signing app."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .choices import CertificateKind, CertificateStatus
from .models import SigningCertificate


def certificate_usable_for(
    *, user=None, agency=None, at: dt.datetime | None = None
) -> SigningCertificate | None:
    """The newest active certificate of an official (personal) or an agency (seal) valid at ``at``."""
    at = at or timezone.now()
    queryset = SigningCertificate.objects.filter(
        status=CertificateStatus.ACTIVE, not_before__lte=at, not_after__gte=at
    )
    if user is not None:
        queryset = queryset.filter(kind=CertificateKind.PERSONAL, user=user)
    elif agency is not None:
        queryset = queryset.filter(kind=CertificateKind.AGENCY_SEAL, agency=agency)
    else:
        return None
    return queryset.order_by("-not_before", "-pk").first()
