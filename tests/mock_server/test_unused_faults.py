"""One report of unused faults for the plugin and the control API: the same faults, the same requests, the same
reasons, whichever side shows them."""

from __future__ import annotations

import httpx

from labelf_testkit import route
from labelf_testkit.mock_server import Fault, InProcessTransport, MockConfig, RequestMatch, create_app
from labelf_testkit.mock_server.control import ControlAccess, ControlledApp, SessionLimits
from labelf_testkit.mock_server.internal import describe_unused
from labelf_testkit.mock_server.unused_faults import UnusedFault, unused_faults


def test_the_plugin_and_the_control_api_share_one_implementation() -> None:
    assert route.describe_unused is describe_unused


def test_both_sides_show_the_same_faults_requests_and_reasons() -> None:
    controlled = ControlledApp(create_app(MockConfig()), ControlAccess(), SessionLimits(max_sessions=1))
    plan = controlled.mock.faults
    plan.add(Fault("inference", "status", status=503, match=RequestMatch.from_args({"model_id": 3})))
    plan.add(Fault("similarity", "status", status=503, match=RequestMatch.from_args({"match_json": {"a": 1}})))
    plan.add(Fault("token", "status", status=500, times=3))
    with httpx.Client(transport=InProcessTransport(controlled), base_url="http://127.0.0.1:8080") as http:
        token = http.post(
            "/oauth2/token", data={"grant_type": "client_credentials"}, auth=("CLIENT_ID", "CLIENT_SECRET")
        )
        assert token.status_code == 500  # the token fault fires once of three
        http.post("/v2/models/1/inference", json={"texts": ["a"]})
        http.post("/v2/models/2/inference", json={"texts": ["b"]})
        shown = http.get("/__labelf/sessions/default/unused_faults").json()["unused"]
    entries = controlled.mock.journal.entries()
    found = unused_faults(plan.unused(), entries)
    assert [u.fault for u in found] == plan.unused() and len(found) == 3
    inference, similarity, token_fault = found
    assert [entry.path for entry, _ in inference.received] == ["/v2/models/1/inference", "/v2/models/2/inference"]
    assert all(why and why.startswith("model") for _, why in inference.received)
    assert similarity.received == () and token_fault == UnusedFault(token_fault.fault)
    # The control API's JSON and the plugin's text say the same, fault by fault and request by request.
    assert shown == [
        {
            "fault": u.fault.describe(),
            "received": [{"request": str(entry), "differs": why} for entry, why in u.received],
        }
        for u in found
    ]
    text = describe_unused(plan.unused(), entries)
    for u in found:
        assert f"  - {u.fault.describe()}" in text
        for entry, why in u.received:
            assert f"      {entry} — differs: {why}" in text
    assert "      (no request reached 'similarity')" in text
