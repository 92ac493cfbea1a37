"""The control API's OpenAPI document describes exactly the routes it serves."""

from __future__ import annotations

import re

import httpx
from starlette.routing import Route

from labelf_testkit.mock_server.control import ControlledApp, control_openapi

from .conftest import BASE


def _served(controlled: ControlledApp) -> set[tuple[str, str]]:
    routes = [r for r in controlled._control.routes if isinstance(r, Route)]
    return {(r.path, m.lower()) for r in routes for m in (r.methods or ()) if m != "HEAD" and r.path != "/__labelf/"}


def test_every_served_route_is_documented_and_nothing_else(controlled: ControlledApp) -> None:
    document = control_openapi()
    documented = {
        (path, method) for path, item in document["paths"].items() for method in item if method != "parameters"
    }
    assert documented == _served(controlled)


def test_the_document_is_served_with_its_servers_url(http: httpx.Client) -> None:
    document = http.get("/__labelf/openapi.json").json()
    assert document["openapi"] == "3.1.0" and document["servers"] == [{"url": BASE}]
    for path, item in document["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        declared = {p["name"] for p in item.get("parameters", [])} | {
            p["name"] for op in item.values() if isinstance(op, dict) for p in op.get("parameters", [])
        }
        assert names <= declared, path
