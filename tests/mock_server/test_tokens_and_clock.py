"""Self-validating tokens, revocation bookkeeping and the clock."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labelf_testkit.mock_server._tokens import TokenMinter, TokenRejected
from labelf_testkit.mock_server.clock import ManualClock


def _valid(minter: TokenMinter, token: str, now: float) -> bool:
    try:
        minter.validate(token, now)
    except TokenRejected:
        return False
    return True


def test_issued_token_validates_until_expiry() -> None:
    minter = TokenMinter(client_ids=("a",))
    token = minter.issue("a", expires_at=1000)
    issued = minter.validate(token, now=999)
    assert issued.client_id == "a" and issued.expires_at == 1000
    with pytest.raises(TokenRejected, match="expired"):
        minter.validate(token, now=1000)


def test_token_from_another_key_is_foreign() -> None:
    token = TokenMinter(client_ids=("a",)).issue("a", 10**10)
    assert not _valid(TokenMinter(client_ids=("a",)), token, 0)


@pytest.mark.parametrize("size", [1, 32, 64, 65, 200])
def test_same_key_validates_across_instances(size: int) -> None:
    # Several workers sharing a key agree without sharing memory, whatever the key's length.
    key = b"k" * size
    token = TokenMinter(key, ("a",)).issue("a", 10**10)
    assert _valid(TokenMinter(key, ("a",)), token, 0)
    assert not _valid(TokenMinter(b"j" * size, ("a",)), token, 0)


@given(st.integers(min_value=0, max_value=86), st.sampled_from("ABCabc0_-"))
def test_any_changed_character_invalidates(position: int, replacement: str) -> None:
    minter = TokenMinter(b"x" * 32, ("a",))
    token = minter.issue("a", 10**10)
    index = len("ory_at_") + position
    tampered = token[:index] + replacement + token[index + 1 :]
    if tampered != token:
        assert not _valid(minter, tampered, 0)


@pytest.mark.parametrize("index", [len("ory_at_") + 42, len("ory_at_") + 86])
def test_non_canonical_base64_spelling_is_refused(index: int) -> None:
    # 43 base64 characters carry 258 bits for 256: the last one has two unused bits.  Flipping one of them
    # decodes to the same bytes, so only the canonical spelling may validate.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    minter = TokenMinter(b"x" * 32, ("a",))
    token = minter.issue("a", 10**10)
    twin = token[:index] + alphabet[alphabet.index(token[index]) ^ 1] + token[index + 1 :]
    assert twin != token
    assert _valid(minter, token, 0)
    assert not _valid(minter, twin, 0)


@given(st.text(max_size=120))
def test_arbitrary_strings_never_validate_or_raise(text: str) -> None:
    assert not _valid(TokenMinter(client_ids=("a",)), text, 0)


def test_revocation_is_per_client_and_pruned_after_expiry() -> None:
    minter = TokenMinter(client_ids=("a", "b"))
    token = minter.issue("a", expires_at=100)
    assert minter.revoke(token, "b", now=0) is False
    assert minter.revoke(token, "a", now=0) is True
    assert not _valid(minter, token, now=50)
    for i in range(1100):  # crosses the prune interval
        minter.revoke(minter.issue("a", expires_at=200 + i), "a", now=150)
    assert not minter.is_revoked(token)  # expired, so forgotten
    assert minter.revoked_count == 1100  # entries still alive are kept
    minter.clear_revocations()
    assert minter.revoked_count == 0


def test_manual_clock_freezes_and_advances() -> None:
    clock = ManualClock()
    clock.freeze(at=1_000)
    assert clock.now() == 1_000
    clock.advance(30)
    assert clock.now() == 1_030
    clock.reset()
    assert abs(clock.now() - time.time()) < 5
    clock.advance(3600)
    assert clock.now() > time.time() + 3500
    with pytest.raises(ValueError, match="non-negative"):
        clock.advance(-1)
