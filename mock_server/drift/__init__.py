"""The drift sentinel (``labelf-mock drift``) and workspace snapshot (``labelf-mock snapshot``).

``drift`` sends one request set to the live Labelf service and the same set to the mock in-process, and
reports, point by point, where the mock differs: status, meaningful headers, body structure and
deterministic values.  ``snapshot`` writes the live workspace's models as a mock configuration.  ``record``
writes a recording of what the live models answer (:mod:`..recordings`), and ``drift --recording`` reports the
recorded answers that changed.
Modules: :mod:`.cases` (what is sent), :mod:`.compare` (how a pair is compared), :mod:`.live` (live-side
safety), :mod:`.runner` (one run), :mod:`.baseline`, :mod:`.report`, :mod:`.snapshot`, :mod:`.command`;
for recordings :mod:`.record`, :mod:`.staleness`, :mod:`.recording_runs`, :mod:`.record_command`.
"""

from .baseline import Baseline, Verdict, classify
from .cases import CASES, Case
from .compare import Answer, Difference, compare_answers
from .live import DriftError
from .runner import DriftOptions, DriftRun, Finding, run_drift

__all__ = [
    "CASES",
    "Answer",
    "Baseline",
    "Case",
    "Difference",
    "DriftError",
    "DriftOptions",
    "DriftRun",
    "Finding",
    "Verdict",
    "classify",
    "compare_answers",
    "run_drift",
]
