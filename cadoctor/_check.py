"""One check of this process: collect, diagnose, propose, verify."""

from __future__ import annotations

from cadoctor._collect import collect
from cadoctor._diagnose import diagnose
from cadoctor._model import Facts, Fix, Report
from cadoctor._remedy import KIND_RANK, propose
from cadoctor._verify import verify as run_trials


def _rank(fix: Fix) -> tuple[int, int]:
    """Smallest change first; within a kind, what was shown to work before what was not tried or failed."""
    return KIND_RANK[fix.kind], {True: 0, None: 1, False: 2}[fix.verified]


def report_for(facts: Facts, *, verify: bool = True) -> Report:
    """Diagnose collected facts and try the fixes."""
    findings = diagnose(facts)
    fixes = propose(facts, findings)
    if verify:
        fixes = run_trials(fixes, facts)
    return Report(facts=facts, findings=findings, fixes=tuple(sorted(fixes, key=_rank)))


def check(*, verify: bool = True) -> Report:
    """Examine the trust path of the running interpreter and return the report the CLI renders."""
    return report_for(collect(), verify=verify)
