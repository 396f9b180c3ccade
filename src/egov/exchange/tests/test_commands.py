"""``exchange_export_identity``, ``exchange_add_peer`` and ``exchange_retry``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from egov.accounts.selectors import user_for_token
from egov.exchange.models import Peer, PeerAgency

from .conftest import OUR_CODE, REMOTE_CODE, ca_pem


@pytest.mark.django_db
def test_export_then_add_peer_on_the_other_side(world, tmp_path, remote_ca):
    out = io.StringIO()
    call_command("exchange_export_identity", "--agency", OUR_CODE, stdout=out)
    exported = json.loads(out.getvalue())
    assert exported["agencies"][0]["code"] == OUR_CODE
    assert "BEGIN CERTIFICATE" in exported["ca_pem"]
    assert "PRIVATE" not in out.getvalue()

    # The other side's identity, added here under a new name with its token for us
    identity_file = tmp_path / "b.json"
    identity_file.write_text(
        json.dumps(
            {
                "name": "b",
                "url": "http://b.test",
                "agencies": [{"code": "000.00.03.H27", "name": "UBND B"}],
                "ca_pem": ca_pem(remote_ca),
            }
        )
    )
    out = io.StringIO()
    call_command(
        "exchange_add_peer",
        "--name",
        "b",
        "--identity-file",
        str(identity_file),
        "--token",
        "t-b",
        stdout=out,
    )
    peer = Peer.objects.get(name="b")
    assert peer.outbound_token == "t-b"
    assert PeerAgency.objects.get(organ_id="000.00.03.H27").peer == peer
    token = next(
        line.split("=", 1)[1] for line in out.getvalue().splitlines() if line.startswith("INBOUND_TOKEN=")
    )
    assert user_for_token(token) == peer.system_user
    # Updating only the token issues no new inbound token
    out = io.StringIO()
    call_command("exchange_add_peer", "--name", "b", "--token", "t-b2", stdout=out)
    assert "INBOUND_TOKEN" not in out.getvalue()
    peer.refresh_from_db()
    assert peer.outbound_token == "t-b2"


@pytest.mark.django_db
def test_add_peer_with_flags_and_retry_command(world, tmp_path, remote_ca):
    pem = tmp_path / "ca.pem"
    pem.write_text(ca_pem(remote_ca))
    call_command(
        "exchange_add_peer",
        "--name",
        "c",
        "--url",
        "http://c.test",
        "--cert-file",
        str(pem),
        "--agency",
        "000.00.04.H27=UBND C",
        stdout=io.StringIO(),
    )
    assert PeerAgency.objects.get(organ_id="000.00.04.H27").name == "UBND C"
    out = io.StringIO()
    call_command("exchange_retry", stdout=out)
    assert "0" in out.getvalue()
    assert REMOTE_CODE in PeerAgency.objects.values_list("organ_id", flat=True)
