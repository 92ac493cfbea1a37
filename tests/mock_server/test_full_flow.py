"""The whole path over a real socket: token, inference, similarity, revoke, 401, new token, 200."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import requests

from tests.conftest import ServedMock

SCRIPT = Path(__file__).parent.parent / "scripts" / "official_client_flow.py"


def test_official_client_style_script_with_only_hosts_changed(served_mock: ServedMock) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), served_mock.base_url, served_mock.base_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    steps = json.loads(result.stdout)
    status, body = steps["inference"]
    assert status == 200 and len(body[0]["predictions"]) == 2 and body[0]["predictions"][0]["label"] == "positive"
    status, body = steps["similarity"]
    assert status == 200 and body == {"example_compare_id1": [{"id": "example_id1", "similarity": 1.0}]}
    assert steps["revoke"] == [200, ""]
    assert steps["after_revoke"][0] == 401 and 'error="invalid_token"' in steps["after_revoke"][1]
    assert steps["fresh"] == 200


def test_full_flow_with_requests_session(served_mock: ServedMock) -> None:
    with requests.Session() as session:
        token = session.post(
            f"{served_mock.base_url}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=("CLIENT_ID", "CLIENT_SECRET"),
            timeout=10,
        ).json()["access_token"]
        session.headers["Authorization"] = f"Bearer {token}"
        assert session.get(f"{served_mock.base_url}/v2/models", timeout=10).status_code == 200
        session.post(
            f"{served_mock.base_url}/oauth2/revoke",
            data={"token": token},
            auth=("CLIENT_ID", "CLIENT_SECRET"),
            timeout=10,
        )
        assert session.get(f"{served_mock.base_url}/v2/models", timeout=10).status_code == 401


def test_full_flow_with_httpx(served_mock: ServedMock) -> None:
    with httpx.Client(base_url=served_mock.base_url) as http:

        def token() -> str:
            value: str = http.post(
                "/oauth2/token", data={"grant_type": "client_credentials"}, auth=("CLIENT_ID", "CLIENT_SECRET")
            ).json()["access_token"]
            return value

        first = token()
        auth = {"authorization": f"Bearer {first}"}
        assert (
            http.post("/v2/models/2/inference", json={"texts": ["billing question"]}, headers=auth).status_code == 200
        )
        assert (
            http.post(
                "/v2/similarity",
                json={"top_n": 1, "base_texts": {"a": "x"}, "compare_to_texts": {"b": "x"}},
                headers=auth,
            ).status_code
            == 200
        )
        assert (
            http.post("/oauth2/revoke", data={"token": first}, auth=("CLIENT_ID", "CLIENT_SECRET")).status_code == 200
        )
        assert http.get("/v2/models", headers=auth).status_code == 401
        assert http.get("/v2/models", headers={"authorization": f"Bearer {token()}"}).status_code == 200
