"""Smoke tests in Debian's Chromium: the public API entry points open in a real browser."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from django.conf import settings

pytestmark = pytest.mark.browser


def test_openapi_document_opens_in_the_browser(page):
    # GIVEN the platform running (live server)
    # WHEN another system's developer opens the OpenAPI document
    response = page.goto("/api/v1/openapi.json")

    # THEN it is an OpenAPI 3 document of version 1 of the API
    assert response is not None and response.ok
    document = json.loads(response.text())
    assert document["openapi"].startswith("3.")
    assert document["info"]["version"] == "1"


def test_api_docs_render_without_any_outside_host(page, live_server):
    if "ninja" not in settings.INSTALLED_APPS:
        pytest.skip("the docs page loads Swagger UI from a CDN until 'ninja' is in INSTALLED_APPS")
    # GIVEN a browser that records every request it makes
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))

    # WHEN a developer opens the interactive API docs
    page.goto("/api/v1/docs")

    # THEN the operations are listed, and nothing was fetched from outside the platform
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert hosts <= {urlsplit(live_server.url).netloc}
