"""``@pytest.mark.labelf_recording("recordings/support.toml", strict=True)``: a test answered from recordings.

Paths are relative to the test file's folder.  Markers on a class or module and on the test add up, the
closest applied last (so its recording wins a text held by both); ``strict`` is the closest marker's.  The
recordings are gone when the test ends, like every per-test state of ``labelf_mock``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .handle import LabelfMock
    from .remote import RemoteMock

__all__ = ["MARKER", "use_marked_recordings"]

MARKER = "labelf_recording"
#: The line ``pytest --markers`` shows.
MARKER_HELP = (
    f"{MARKER}(*files, strict=None): answer the labelf_mock fixture's inference and similarity from these "
    "recordings of live answers (labelf-mock record), paths relative to the test file; strict=True makes a text "
    "no recording holds a 400 TEXT_NOT_RECORDED."
)


def use_marked_recordings(request: pytest.FixtureRequest, handle: LabelfMock | RemoteMock) -> None:
    """Load the test's ``labelf_recording`` markers' files into ``handle`` (in process, or sent to a remote mock's
    session); a bad one fails the test's setup."""
    __tracebackhide__ = True
    markers = list(request.node.iter_markers(MARKER))  # closest first
    if not markers:
        return
    from .mock_server import RecordingError

    strict: bool | None = None
    for marker in markers:
        if unknown := sorted(set(marker.kwargs) - {"strict"}):
            raise TypeError(
                f"@pytest.mark.{MARKER} got unknown keyword(s) {', '.join(map(repr, unknown))}; it takes strict."
            )
        if strict is None and "strict" in marker.kwargs:
            strict = bool(marker.kwargs["strict"])
    folder = request.node.path.parent
    try:
        for marker in reversed(markers):
            if not marker.args:
                raise TypeError(f"@pytest.mark.{MARKER} needs at least one recording file.")
            for path in marker.args:
                handle.use_recording(folder / path, strict=strict)
    except RecordingError as exc:
        pytest.fail(f"@pytest.mark.{MARKER}: {exc}", pytrace=False)
