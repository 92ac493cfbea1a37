"""Certificates for https on loopback, from a throwaway CA (``trustme``), so clients keep verification on."""

from __future__ import annotations

import os
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
    # Every file is rewritten whole, so a directory can be reused: a chain appended to an old one would no
    # longer match the new key (OpenSSL's KEY_VALUES_MISMATCH).
    _write(tls.ca_bundle, ca.cert_pem.bytes(), 0o644)
    _write(tls.cert_chain, b"".join(blob.bytes() for blob in cert.cert_chain_pems), 0o644)
    _write(tls.private_key, cert.private_key_pem.bytes(), 0o600)
    return tls


def _write(path: Path, data: bytes, mode: int) -> None:
    """Replace ``path`` with ``data``: written beside it, then renamed over it, so a reader never sees half a
    file and the key is never readable by others, not even for a moment."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(descriptor, "wb") as out:
            os.fchmod(out.fileno(), mode)  # the umask may have narrowed it, or an old file widened it
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
