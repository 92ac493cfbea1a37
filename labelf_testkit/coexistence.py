"""Labelf's hosts reach the mock even when a test also uses responses, respx or vcrpy.

Those tools answer a request before any socket is opened, so by themselves they would swallow the requests
interception routes to the mock (responses: "Connection refused by Responses"; respx: "not mocked!"; vcrpy:
a cassette recording the mock, then replaying past it).  While interception is active, each tool already
imported by the test is told to pass Labelf's hosts through, through the same path it uses for its own
pass-through feature: ``responses.RequestsMock._on_request`` sends them to the real adapter (as
``add_passthru`` does), respx's ``Mocker.handler`` raises ``PassThrough`` (as ``route.pass_through()`` does),
and vcrpy's ``Cassette`` neither plays nor records them (as ``ignore_hosts`` does).  Every other request is
the tool's, exactly as without labelf-testkit; a test that does not intercept is never touched.
pytest-httpx is configured at collection instead, through its ``should_mock`` option
(:func:`let_httpx_mock_pass_labelf`).

Nothing here imports a tool: a tool the test never imported needs no patch.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

__all__ = ["let_httpx_mock_pass_labelf", "tool_patches"]

_Patch = tuple[Any, str, Any]


def tool_patches(routed: Callable[[str], bool]) -> list[_Patch]:
    """Patches for the tools already imported, given ``routed(host)`` (does this host go to the mock now)."""
    patches: list[_Patch] = []
    if "responses" in sys.modules:
        patches += _responses(routed)
    if "respx.mocks" in sys.modules:
        patches += _respx(routed)
    if "vcr.cassette" in sys.modules:
        patches += _vcr(routed)
    return patches


def _host(url: object) -> str:
    return urlsplit(str(url)).hostname or ""


def _responses(routed: Callable[[str], bool]) -> list[_Patch]:
    mock_class = sys.modules["responses"].RequestsMock
    original = mock_class.__dict__["_on_request"]

    def _on_request(self: Any, adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if routed(_host(request.url)):
            kwargs.pop("retries", None)  # as responses' own pass-through: the real adapter retries itself
            return self._real_send(adapter, request, **kwargs)
        return original(self, adapter, request, *args, **kwargs)

    return [(mock_class, "_on_request", _on_request)]


def _respx(routed: Callable[[str], bool]) -> list[_Patch]:
    mocks = sys.modules["respx.mocks"]
    mocker, pass_through = mocks.Mocker, mocks.PassThrough
    sync_handler, async_handler = mocker.__dict__["handler"].__func__, mocker.__dict__["async_handler"].__func__

    def check(request: Any) -> None:
        if routed(request.url.host):
            raise pass_through("labelf-testkit: Labelf hosts go to the mock", request=request, origin=None)

    def handler(cls: Any, request: Any) -> Any:
        check(request)
        return sync_handler(cls, request)

    async def async_handler_(cls: Any, request: Any) -> Any:
        check(request)
        return await async_handler(cls, request)

    return [(mocker, "handler", classmethod(handler)), (mocker, "async_handler", classmethod(async_handler_))]


def _vcr(routed: Callable[[str], bool]) -> list[_Patch]:
    cassette = sys.modules["vcr.cassette"].Cassette
    can_play, append, filter_request = (
        cassette.__dict__[name] for name in ("can_play_response_for", "append", "filter_request")
    )

    def can_play_response_for(self: Any, request: Any) -> Any:
        return False if routed(request.host) else can_play(self, request)

    def append_(self: Any, request: Any, response: Any) -> None:
        if not routed(request.host):
            append(self, request, response)

    def filter_request_(self: Any, request: Any) -> Any:
        return None if routed(request.host) else filter_request(self, request)

    return [
        (cassette, "can_play_response_for", can_play_response_for),
        (cassette, "append", append_),
        (cassette, "filter_request", filter_request_),
    ]


def let_httpx_mock_pass_labelf(item: Any) -> None:
    """Mark a test that uses both ``httpx_mock`` and ``labelf_intercept`` so that pytest-httpx leaves Labelf's
    hosts to the mock: its ``should_mock`` option becomes "not a Labelf host, and whatever the test said"."""
    import pytest

    from .mock_server.internal import LABELF_HOSTS, normalize_host

    own = next((m.kwargs["should_mock"] for m in item.iter_markers("httpx_mock") if "should_mock" in m.kwargs), None)

    def should_mock(request: Any) -> bool:
        if normalize_host(request.url.host) in LABELF_HOSTS:
            return False
        return True if own is None else bool(own(request))

    # pytest-httpx merges its markers closest first, so this one (put first) decides should_mock.
    item.add_marker(pytest.mark.httpx_mock(should_mock=should_mock), append=False)
