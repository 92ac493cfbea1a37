"""The endpoint addresses every mock handle derives from its ``base_url``, local (:class:`~labelf_testkit.LabelfMock`)
or remote (:class:`~labelf_testkit.RemoteMock`)."""

from __future__ import annotations

from .mock_server.internal import API_PREFIX, REVOKE_PATH, TOKEN_PATH

__all__ = ["MockAddresses"]


class MockAddresses:
    """``token_url``, ``revoke_url`` and ``api_url``, each read from ``base_url`` and the endpoint table."""

    #: Where the mock serves Labelf's endpoints, with no trailing slash.
    base_url: str

    @property
    def token_url(self) -> str:
        """The token endpoint (``{base_url}/oauth2/token``)."""
        return f"{self.base_url}{TOKEN_PATH}"

    @property
    def revoke_url(self) -> str:
        """The revocation endpoint (``{base_url}/oauth2/revoke``)."""
        return f"{self.base_url}{REVOKE_PATH}"

    @property
    def api_url(self) -> str:
        """The API base (``{base_url}/v2``): it includes ``/v2``, so ``api_url + "/models"``."""
        return f"{self.base_url}{API_PREFIX}"
