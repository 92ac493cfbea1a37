"""``state_of(request)``: the :class:`~labelf_testkit.mock_server.state.MockState` behind a request.

Its own module so endpoint modules can reach the state without importing ``state`` (which imports the
faults and the journal, which import the route table, which imports the endpoints).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

if TYPE_CHECKING:
    from .state import MockState

__all__ = ["state_of"]


def state_of(request: Request) -> MockState:
    """The :class:`MockState` of the app serving ``request``."""
    state: MockState = request.app.mock
    return state
