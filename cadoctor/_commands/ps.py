"""`ps`: every process on this machine that uses OpenSSL, grouped by library file, judged by the ps rules."""

from __future__ import annotations

from cadoctor._facts.subjects.scan import scan
from cadoctor._model import Finding
from cadoctor._model.processes import ProcessScan
from cadoctor._rules.processes import diagnose_ps, judge_trust


def ps() -> tuple[ProcessScan, tuple[Finding, ...]]:
    """The scan with each process's trust judged, and its findings (raises ProcessError when none can be listed)."""
    judged = judge_trust(scan())
    return judged, diagnose_ps(judged)
