"""Settings of the signing app, read with safe defaults.

``EGOV_SIGNING_DIR`` (default ``VAR_DIR / "signing"``) holds the development CA's keys and certificates,
the CRLs it publishes and cached font subsets; it is never inside the repository.
``EGOV_SIGNING_PASSPHRASE`` encrypts every private key at rest (PKCS#12 bundles in the database, CA keys
on disk). Outside development and tests it must be set; a fixed, publicly known passphrase is used
only when ``DEBUG`` or ``TESTING`` is on, so that a developer's keys survive a restart.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEV_PASSPHRASE = "egov-dev-only-not-a-secret"


def signing_dir() -> Path:
    configured = getattr(settings, "EGOV_SIGNING_DIR", None) or os.environ.get("EGOV_SIGNING_DIR")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "signing"


def passphrase() -> bytes:
    value = getattr(settings, "EGOV_SIGNING_PASSPHRASE", None) or os.environ.get("EGOV_SIGNING_PASSPHRASE")
    if value:
        return value.encode()
    if settings.DEBUG or getattr(settings, "TESTING", False):
        return DEV_PASSPHRASE.encode()
    raise ImproperlyConfigured(
        "EGOV_SIGNING_PASSPHRASE must be set: it encrypts the signing keys at rest "
        "(EGOV_DEBUG=1 uses a development passphrase)."
    )


def public_url() -> str:
    return str(getattr(settings, "EGOV_PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")


def font_dirs() -> list[str]:
    return [str(d) for d in getattr(settings, "EGOV_PDF_FONT_DIRS", []) or []]
