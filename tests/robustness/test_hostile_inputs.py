"""Inputs that once cost the server seconds of CPU, a 500 or unbounded memory; one test per kind.

Over a real socket where a client would send them, in-process where the point is memory.  Bounded in count;
nothing here measures time.  Config, TLS-directory and discovery cases live in ``tests/mock_server``
(``test_config.py``, ``test_cli_lifecycle.py``, ``test_revoke_and_discovery.py``).
"""

from __future__ import annotations

import gc
import tracemalloc

import httpx

from labelf_testkit import LabelfMock
from labelf_testkit.mock_server import InProcessTransport, create_app
from labelf_testkit.mock_server._tokens import TokenMinter
from labelf_testkit.mock_server.journal import CAPTURE_LIMIT
from tests.robustness.conftest import Tally

GRANT = {"grant_type": "client_credentials"}


def _field(name: str, value: str, boundary: str = "B") -> str:
    return f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'


def test_multipart_with_16k_parts_is_refused_and_the_server_keeps_serving(
    labelf_mock: LabelfMock, tally: Tally
) -> None:
    body = ("".join(_field(f"f{i}", "v" * 5) for i in range(16_000)) + "--B--\r\n").encode()
    assert 0.9e6 < len(body) <= 1 << 20
    with httpx.Client(timeout=30) as http:
        refused = http.post(
            labelf_mock.token_url, content=body, headers={"content-type": "multipart/form-data; boundary=B"}
        )
        tally.count(refused.status_code)
        normal = http.post(labelf_mock.token_url, data=GRANT, auth=labelf_mock.credentials.auth)
        tally.count(normal.status_code)
    # Go's ReadForm refuses a 1,001st part; fosite answers its "Unable to parse HTTP body" invalid_request.
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_request")
    assert "Unable to parse HTTP body" in refused.json()["error_description"]
    assert normal.status_code == 200
    assert tally.server_errors == 0


def test_multipart_nested_1000_deep_is_one_opaque_value(labelf_mock: LabelfMock, tally: Tally) -> None:
    nested = "".join(f"--N{i}\r\nContent-Type: multipart/mixed; boundary=N{i + 1}\r\n\r\n" for i in range(1000))
    body = (_field("grant_type", "client_credentials") + _field("nested", nested) + "--B--\r\n").encode()
    with httpx.Client(timeout=30) as http:
        response = http.post(
            labelf_mock.token_url,
            content=body,
            headers={"content-type": "multipart/form-data; boundary=B"},
            auth=labelf_mock.credentials.auth,
        )
    tally.count(response.status_code)
    assert response.status_code == 200, response.text
    assert tally.server_errors == 0


def test_lone_surrogates_in_texts_and_similarity_keys_become_replacement_characters(
    labelf_mock: LabelfMock, tally: Tally
) -> None:
    auth = {"authorization": f"Bearer {labelf_mock.issue_token()}", "content-type": "application/json"}
    bodies = {
        "/v2/models/1/inference": b'{"texts": ["a\\ud800b", "\\udfff"]}',
        "/v2/models/inference": b'{"texts": ["\\ud800"], "model_settings": [{"model_id": 1}]}',
        "/v2/similarity": b'{"top_n": 1, "base_texts": {"\\ud800": "x"}, "compare_to_texts": {"q\\udc00": "x"}}',
    }
    answers = {}
    with httpx.Client(base_url=labelf_mock.api_url.removesuffix("/v2"), timeout=30) as http:
        for path, body in bodies.items():
            response = http.post(path, content=body, headers=auth)
            tally.count(response.status_code)
            answers[path] = response
    assert {path: r.status_code for path, r in answers.items()} == dict.fromkeys(bodies, 200)
    assert [item["text"] for item in answers["/v2/models/1/inference"].json()] == ["a\ufffdb", "\ufffd"]
    assert answers["/v2/similarity"].json() == {"q\ufffd": [{"id": "\ufffd", "similarity": 1.0}]}
    assert tally.server_errors == 0


def test_multi_model_inference_is_bounded_by_the_workspace_models(labelf_mock: LabelfMock, tally: Tally) -> None:
    auth = {"authorization": f"Bearer {labelf_mock.issue_token()}"}
    texts = ["t"] * 8
    with httpx.Client(base_url=labelf_mock.api_url, timeout=30) as http:
        flood = {"texts": texts, "model_settings": [{"model_id": 1}] * 5_000}
        refused = http.post("/models/inference", json=flood, headers=auth)
        tally.count(refused.status_code)
        allowed = {"texts": texts, "model_settings": [{"model_id": m} for m in (1, 2, 3)]}
        answered = http.post("/models/inference", json=allowed, headers=auth)
        tally.count(answered.status_code)
        probe = http.get("/models", headers=auth)
        tally.count(probe.status_code)
    assert (refused.status_code, refused.json()["error_code"]) == (400, "TOO_MANY_MODELS")
    assert len(refused.content) < 1_000
    assert answered.status_code == 200 and probe.status_code == 200
    # The answer is the documented per-text output: every text, every model, every label once.
    labels = sum(len(m.labels) for m in labelf_mock.app.mock.config.models)
    assert len(answered.content) < len(texts) * (100 + labels * 80)
    assert tally.server_errors == 0


def test_revocations_cost_under_100_bytes_and_are_forgotten_once_expired() -> None:
    minter = TokenMinter(client_ids=("CLIENT_ID",))
    tokens = [minter.issue("CLIENT_ID", 1_000 + i // 4) for i in range(20_000)]
    gc.collect()
    tracemalloc.start()
    try:
        for token in tokens:
            assert minter.revoke(token, "CLIENT_ID", now=0)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    print(f"20,000 revocations hold {held / 20_000:.1f} bytes each")
    assert held / 20_000 <= 100
    assert minter.is_revoked(tokens[-1])
    late = [minter.issue("CLIENT_ID", 10_000 + i) for i in range(2_000)]
    for token in late:  # every earlier token has expired by now=9_000
        minter.revoke(token, "CLIENT_ID", now=9_000)
    assert minter.revoked_count == len(late)
    assert not minter.is_revoked(tokens[0])


def test_journal_keeps_a_bounded_prefix_of_huge_requests(tally: Tally) -> None:
    app = create_app()
    header, body = "h" * (100 * 1024), b"x" * (64 * 1024)
    gc.collect()
    tracemalloc.start()
    try:
        with httpx.Client(transport=InProcessTransport(app), base_url="http://mock") as http:
            baseline = tracemalloc.get_traced_memory()[0]
            for _ in range(1_200):
                response = http.post("/v2/models/1/inference", content=body, headers={"x-big": header})
                tally.count(response.status_code)
            grown = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    entries = app.mock.journal.entries()
    print(f"journal of {len(entries)} huge requests: {grown / 2**20:.1f} MiB")
    assert len(entries) == 1_000
    assert all(e.truncated and len(e.body) <= CAPTURE_LIMIT for e in entries)
    assert all(sum(len(k) + len(v) for k, v in e._raw_headers) <= CAPTURE_LIMIT for e in entries)
    assert grown < 50 * 2**20
    assert tally.server_errors == 0
    assert entries[-1].json() is None  # the cut body is not mistaken for JSON
