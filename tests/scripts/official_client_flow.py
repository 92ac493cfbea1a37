"""Calls the service the way the official client ``labelf-api`` 0.1.1 does, hosts swapped.

Its ``_get_bearer_token`` and ``_request_with_retry`` (PyPI ``labelf-api`` 0.1.1; L9 in docs/fidelity.md).

Usage: python official_client_flow.py AUTH_BASE API_BASE
Prints one JSON line: what each step returned.
"""

from __future__ import annotations

import json
import sys

import requests

AUTH, API = sys.argv[1], sys.argv[2]
CLIENT_ID, CLIENT_SECRET = "CLIENT_ID", "CLIENT_SECRET"


def get_bearer_token() -> str:
    response = requests.post(
        f"{AUTH}/oauth2/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10
    )
    if response.status_code != 200:
        raise RuntimeError("Error obtaining bearer token: " + response.text)
    return str(response.json()["access_token"])


def call(token: str, path: str, body: dict[str, object]) -> requests.Response:
    return requests.post(f"{API}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)


token = get_bearer_token()
inference = call(token, "/v2/models/1/inference", {"texts": ["I am positive about this"], "max_predictions": 2})
similarity = call(
    token,
    "/v2/similarity",
    {"top_n": 1, "base_texts": {"example_id1": "hello"}, "compare_to_texts": {"example_compare_id1": "hello"}},
)
revoked = requests.post(f"{AUTH}/oauth2/revoke", data={"token": token}, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
after_revoke = call(token, "/v2/models/1/inference", {"texts": ["again"]})
fresh = call(get_bearer_token(), "/v2/models/1/inference", {"texts": ["again"]})
print(
    json.dumps(
        {
            "inference": [inference.status_code, inference.json()],
            "similarity": [similarity.status_code, similarity.json()],
            "revoke": [revoked.status_code, revoked.text],
            "after_revoke": [after_revoke.status_code, after_revoke.headers.get("WWW-Authenticate")],
            "fresh": fresh.status_code,
        }
    )
)
