"""Errors of the control API: a 4xx a person can act on, naming the field and the values it takes.

Every refusal has one JSON shape, ``{"error", "message", "field", "allowed"}`` (``field`` and ``allowed`` are
``null`` when they do not apply), so a script prints ``message`` and a program branches on ``error``.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.responses import JSONResponse

__all__ = ["ControlError", "bad_field"]


class ControlError(Exception):
    """A control request the mock refuses; :meth:`response` is its JSON answer."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        field: str | None = None,
        allowed: Sequence[object] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.field = field
        self.allowed = list(allowed) if allowed is not None else None
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        """The JSON body: ``error``, ``message``, ``field``, ``allowed``."""
        return {"error": self.error, "message": self.message, "field": self.field, "allowed": self.allowed}

    def response(self) -> JSONResponse:
        """The answer, with ``Cache-Control: no-store`` like every control answer."""
        return JSONResponse(self.body(), self.status, headers={"cache-control": "no-store", **self.headers})


def bad_field(field: str, message: str, allowed: Sequence[object] | None = None, status: int = 400) -> ControlError:
    """400 (or ``status``) ``invalid_field`` naming ``field``, with what it takes."""
    return ControlError(status, "invalid_field", message, field, allowed)
