"""Certificates for https on loopback, from a throwaway CA (``trustme``), so clients keep verification on."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LoopbackTLS", "make_loopback_tls"]


@dataclass(frozen=True)
class LoopbackTLS:
    """Files for one server: its certificate chain and key, and the CA bundle clients should trust."""

    ca_bundle: Path
    cert_chain: Path
    private_key: Path


def make_loopback_tls(directory: str | Path | None = None, extra_names: Iterable[str] = ()) -> LoopbackTLS:
    """A fresh CA and a server certificate for ``localhost``, ``127.0.0.1``, ``::1`` and ``extra_names``.

    Files go to ``directory`` (a new temporary one by default); the key file is readable by its owner only.
    ``extra_names`` lets the pytest plugin serve Labelf's own host names from the same certificate.
    """
    import trustme  # imports cryptography: only for servers that serve https

    folder = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="labelf-mock-tls-"))
    folder.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="labelf-testkit throwaway CA")
    cert = ca.issue_cert("localhost", "127.0.0.1", "::1", *extra_names)
    tls = LoopbackTLS(folder / "ca.pem", folder / "server-chain.pem", folder / "server-key.pem")
    ca.cert_pem.write_to_path(str(tls.ca_bundle))
    for blob in cert.cert_chain_pems:
        blob.write_to_path(str(tls.cert_chain), append=True)
    tls.private_key.touch(mode=0o600)
    cert.private_key_pem.write_to_path(str(tls.private_key))
    return tls
