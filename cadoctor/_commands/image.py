"""An image's venvs examined with it: one report, the findings of each venv named by its interpreter.

`check --root DIR` alone describes the image's `python3`; an app in a venv (`/opt/venv`, a project's `.venv`)
has its own clients and stores, so each venv the image carries is examined too, from the same files, and its
findings and fixes join the report with the venv's path in their words (what the image as a whole shows, its OS
store or an anchor waiting, is said once). When `--python` or the image's PATH names the interpreter, that one
alone is examined.
"""

from __future__ import annotations

from collections.abc import Callable

from cadoctor._facts.subjects import Examinee
from cadoctor._facts.subjects.image import find_venvs
from cadoctor._model import Finding, Fix, Report
from cadoctor._record import replace
from cadoctor._rules.images import other_pythons


def _fix_key(fix: Fix) -> tuple[object, ...]:
    """What makes two fixes one change."""
    return fix.kind, tuple(sorted((fix.env or {}).items(), key=str)), fix.command, fix.cafile, fix.add_cafile


def with_venvs(
    examinee: Examinee,
    report: Report,
    report_of: Callable[[Examinee], Report],
    ranked: Callable[[tuple[Fix, ...], tuple[Finding, ...]], tuple[Fix, ...]],
) -> Report:
    """The image's report with its venvs' own findings and fixes, when no interpreter was named."""
    files = examinee.files
    if files is None or examinee.executable is not None or "PATH" in examinee.image_env:
        return report
    described = report.facts.subject.executable if report.facts.subject else None
    venvs = tuple(p for p in find_venvs(files) if p in report.facts.other_pythons and p != described)
    if not venvs:
        return report
    findings = [f for f in report.findings if f.code != "image-other-pythons"]
    fixes = list(report.fixes)
    said = {(f.code, f.summary) for f in findings}
    changes = {_fix_key(f) for f in fixes}
    for python in venvs:
        other = report_of(replace(examinee, executable=python))
        for finding in other.findings:
            if finding.code == "image-other-pythons" or (finding.code, finding.summary) in said:
                continue
            said.add((finding.code, finding.summary))
            findings.append(
                replace(
                    finding,
                    summary="%s: %s" % (python, finding.summary),
                    evidence={**finding.evidence, "python": python},
                )
            )
        for fix in other.fixes:
            if _fix_key(fix) in changes:
                continue
            changes.add(_fix_key(fix))
            where, sign, what = fix.summary.partition(": ")  # "In the image at DIR: ..." names the venv after DIR
            summary = (
                "%s, for %s: %s" % (where, python, what)
                if sign and where.startswith("In the image")
                else ("For %s: %s" % (python, fix.summary))
            )
            fixes.append(replace(fix, summary=summary))
    findings.extend(other_pythons(report.facts, venvs))
    ordered = tuple(sorted(findings, key=lambda f: -f.severity.rank))  # worst first; within one, as found
    return replace(report, findings=ordered, fixes=ranked(tuple(fixes), ordered))
