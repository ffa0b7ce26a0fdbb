"""The rules of `cadoctor ps`, pure: copies whose trust is empty, missing OPENSSLDIRs, deleted files."""

from __future__ import annotations

from cadoctor._model import Finding, Severity
from cadoctor._rules.stack_table import ALWAYS, SWITCHED, default_paths_of, reads_paths, stack_rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._facts.subjects.scan import HostScan, ProcessEntry


def diagnose_host(result: HostScan) -> tuple[Finding, ...]:
    """The rules of a host scan, pure: copies whose trust is empty, missing OPENSSLDIRs, deleted libraries."""
    findings: list[Finding] = []
    for group in result.groups:
        library = group.library
        # a process whose stack verifies without these paths (node, grpc core) trusts what its own rules say
        empty = [p for p in group.processes if p.trust is not None and not p.trust.usable and _reads_paths(p)]
        if empty:
            findings.append(
                Finding(
                    "trust-store-empty",
                    Severity.ERROR,
                    "%d process(es) using %s trust nothing (%s): PID %s"
                    % (len(empty), library.path, empty[0].trust.detail if empty[0].trust else "", _pid_list(empty)),
                    {"library": library.path, "pids": [p.pid for p in empty]},
                )
            )
        rules = {p.consumer: (stack_rule(p.consumer), p.consumer_version) for p in group.processes}
        depending = [r for r, version in rules.values() if default_paths_of(r, version) in (ALWAYS, SWITCHED)]
        if library.openssldir_exists is False and depending:
            needs = "; ".join(
                "%s finds no roots there%s (fix: %s)"
                % (r.title, " with " + r.switches[0] if r.default_paths == SWITCHED else "", r.fix)
                for r in depending
            )
            findings.append(
                Finding(
                    "openssldir-missing",
                    Severity.WARNING,
                    "%s was compiled with OPENSSLDIR %s, which does not exist for PID %s: %s"
                    % (library.path, library.openssldir, _pid_list(group.processes), needs),
                    {
                        "library": library.path,
                        "openssldir": library.openssldir,
                        "pids": [p.pid for p in group.processes],
                    },
                )
            )
        if library.deleted:
            findings.append(
                Finding(
                    "library-deleted",
                    Severity.WARNING,
                    "%s was deleted after PID %s mapped it: restart them to load the current one"
                    % (library.path, _pid_list(group.processes)),
                    {"path": library.path, "pids": [p.pid for p in group.processes]},
                )
            )
    return tuple(sorted(findings, key=lambda f: -f.severity.rank))


def _reads_paths(process: ProcessEntry) -> bool:
    """Whether this process's stack for the copy reads its default paths: always, or with a switch it was given."""
    return reads_paths(stack_rule(process.consumer), process.consumer_version, process.options)


def _pid_list(processes: Any) -> str:
    """PIDs in a short list."""
    pids = [str(p.pid) for p in processes]
    return ", ".join(pids[:10]) + (" and %d more" % (len(pids) - 10) if len(pids) > 10 else "")
