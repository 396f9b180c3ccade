"""How an edXML message reaches a peer: ``POST {base_url}/api/v1/exchange/edxml`` with the signed bytes.

Production runs over HTTPS with a TLS client certificate (``EGOV_EXCHANGE_TLS_CLIENT_CERT`` and
``EGOV_EXCHANGE_TLS_CLIENT_KEY``, see docs/exchange.md); the bearer token identifies the calling system
and the XML signature the sending agency. Tests use loopback HTTP or ``FakeTransport``.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Protocol

from django.utils.module_loading import import_string

from egov.exchange import conf


class TransportError(Exception):
    """The peer could not be reached or did not answer (retried with back-off)."""


@dataclass(frozen=True)
class TransportResponse:
    status: int
    body: bytes
    content_type: str = ""


class Transport(Protocol):
    def post(
        self, *, url: str, data: bytes, token: str, timeout: float, tls_ca_pem: str = ""
    ) -> TransportResponse: ...


def _ssl_context(tls_ca_pem: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=tls_ca_pem or None)
    cert = conf.setting("EGOV_EXCHANGE_TLS_CLIENT_CERT", "")
    if cert:
        context.load_cert_chain(cert, conf.setting("EGOV_EXCHANGE_TLS_CLIENT_KEY", "") or None)
    return context


class HttpTransport:
    """``http.client`` with one keep-alive connection per host and thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _connection(self, parts: urllib.parse.SplitResult, timeout: float, tls_ca_pem: str):
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        key = (parts.scheme, parts.netloc, tls_ca_pem)
        connection = pool.get(key)
        if connection is None:
            if parts.scheme == "https":
                connection = http.client.HTTPSConnection(
                    parts.hostname, parts.port or 443, timeout=timeout, context=_ssl_context(tls_ca_pem)
                )
            elif parts.scheme == "http":
                connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
            else:
                raise TransportError(f"unsupported URL scheme {parts.scheme!r}")
            pool[key] = connection
        connection.timeout = timeout
        return key, connection

    def post(
        self, *, url: str, data: bytes, token: str, timeout: float, tls_ca_pem: str = ""
    ) -> TransportResponse:
        parts = urllib.parse.urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {
            "Content-Type": "application/xml; charset=utf-8",
            "Accept": "application/xml",
            "Authorization": f"Bearer {token}",
        }
        key, connection = self._connection(parts, timeout, tls_ca_pem)
        try:
            connection.request("POST", path, body=data, headers=headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            self._local.pool.pop(key, None)
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        if response.will_close:
            connection.close()
            self._local.pool.pop(key, None)
        return TransportResponse(
            status=response.status, body=body, content_type=response.getheader("Content-Type", "") or ""
        )


@dataclass
class FakeTransport:
    """Answers from a callable (tests): ``handler(url, data, token) -> TransportResponse`` or raises."""

    handler: object = None
    calls: list = field(default_factory=list)

    def post(
        self, *, url: str, data: bytes, token: str, timeout: float, tls_ca_pem: str = ""
    ) -> TransportResponse:
        self.calls.append((url, data, token))
        if self.handler is None:
            raise TransportError("no handler")
        return self.handler(url, data, token)


_default: Transport | None = None


def get_transport() -> Transport:
    """The transport named by ``EGOV_EXCHANGE_TRANSPORT`` (a dotted path), default ``HttpTransport``."""
    global _default
    if _default is None:
        path = conf.setting("EGOV_EXCHANGE_TRANSPORT", "")
        _default = import_string(path)() if path else HttpTransport()
    return _default


def set_transport(transport: Transport | None) -> Transport | None:
    """Swap the transport (tests); returns the previous one. ``None`` resets to the configured default."""
    global _default
    previous, _default = _default, transport
    return previous
