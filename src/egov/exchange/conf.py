"""Settings of the exchange, read from Django settings first, then from the environment (twelve-factor), with
safe defaults, so that an operator can tune retries or the signature algorithm without a code change.

| name | default | meaning |
| --- | --- | --- |
| ``EGOV_EXCHANGE_SIGNATURE_METHOD`` | ``rsa-sha256`` | XML-DSig algorithm we sign with (QCVN 102:2016's is unconfirmed) |
| ``EGOV_EXCHANGE_DIGEST_ALGORITHM`` | ``sha256`` | reference digest |
| ``EGOV_EXCHANGE_ACCEPTED_SIGNATURE_METHODS`` | RSA/ECDSA SHA-2 | comma-separated; HMAC is never accepted |
| ``EGOV_EXCHANGE_MAX_MESSAGE_BYTES`` | 32 MiB | larger messages are refused before parsing |
| ``EGOV_EXCHANGE_RETRY_BASE_SECONDS`` | 30 | first retry delay, doubled on each failure |
| ``EGOV_EXCHANGE_RETRY_MAX_SECONDS`` | 3600 | longest delay between attempts |
| ``EGOV_EXCHANGE_MAX_ATTEMPTS`` | 30 | then the message is marked failed |
| ``EGOV_EXCHANGE_SEND_TIMEOUT_SECONDS`` | 30 | HTTP timeout of one attempt |
| ``EGOV_EXCHANGE_SENDING_LEASE_SECONDS`` | timeout + 60 | after this a message stuck in "sending" is retried |
| ``EGOV_EXCHANGE_REGISTER_ASYNC`` | ``0`` | ``1``: answer 01 once verified and stored, register in a task (03 or 02 follows) |
| ``EGOV_EXCHANGE_INSTANCE_NAME`` | ``egov`` | our name in ``exchange_export_identity`` |
| ``EGOV_EXCHANGE_DEFAULT_ORGAN_ID`` | first agency with a seal | signs the 02 answer to a message naming none of ours |
| ``EGOV_EXCHANGE_TRUST_PEM`` | the signing app's CA | PEM file of the CA(s) our own seals chain to |
| ``EGOV_EXCHANGE_TLS_CLIENT_CERT`` / ``_KEY`` | none | TLS client certificate for HTTPS calls to peers |
| ``EGOV_EXCHANGE_TRANSPORT`` | HTTP | dotted path of another transport class |
"""

from __future__ import annotations

import os

from django.conf import settings


def setting(name: str, default=None):
    value = getattr(settings, name, None)
    if value is None or value == "":
        value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def number(name: str, default: float) -> float:
    return float(setting(name, default))


def names(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = setting(name, None)
    if value is None:
        return default
    if isinstance(value, str):
        value = value.split(",")
    return tuple(v.strip() for v in value if v and v.strip())
