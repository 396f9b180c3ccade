"""Public pages of the signing app: verify a signed PDF, and the CA's published CRLs and certificates.

Anyone may use them (no log-in): citizens check a result they received, other agencies check an
official document, and relying software fetches our CRLs from the URL printed in every certificate
(RFC 5280 §4.2.1.13).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from egov.core.errors import DomainError, NotFound

from . import ca, services
from .forms import VerifyForm
from .verification import pdf_verify


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Upload a PDF and see, per signature: signer, time, integrity, trust, validity, revocation."""
    result = None
    error = None
    status = 200
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = pdf_verify(form.cleaned_data["file"].read())
            except DomainError as exc:
                error = exc.message
                status = exc.status
        else:
            status = 400
    else:
        form = VerifyForm()
    return render(
        request, "signing/verify.html", {"form": form, "result": result, "error": error}, status=status
    )


@require_GET
def crl(request: HttpRequest, name: str) -> HttpResponse:
    """The CRL of CA ``name`` in DER (``application/pkix-crl``, RFC 5280 §5), re-issued when near expiry."""
    try:
        data = services.crl_current(name=name)
    except (NotFound, ca.CaNotInitialised) as exc:
        raise Http404(str(exc)) from exc
    response = HttpResponse(data, content_type="application/pkix-crl")
    # Relying parties may cache it a little; a revocation must still show within minutes.
    response["Cache-Control"] = "public, max-age=300"
    response["Content-Disposition"] = f'inline; filename="{name}.crl"'
    return response


@require_GET
def ca_certificate(request: HttpRequest, name: str) -> HttpResponse:
    """A CA certificate in DER (``application/pkix-cert``), the target of the AIA caIssuers URL."""
    if name not in ca.CA_NAMES:
        raise Http404(name)
    authority = ca.DevCertificateAuthority()
    try:
        cert = authority.certificate(name)
    except ca.CaNotInitialised as exc:
        raise Http404(str(exc)) from exc
    from cryptography.hazmat.primitives import serialization

    response = HttpResponse(
        cert.public_bytes(serialization.Encoding.DER), content_type="application/pkix-cert"
    )
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Disposition"] = f'attachment; filename="{name}.crt"'
    return response
