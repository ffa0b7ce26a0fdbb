"""The rules of `cadoctor ps`, pure: copies whose trust is empty, missing OPENSSLDIRs, deleted files."""

from __future__ import annotations

from cadoctor._model import Finding, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._facts.scan import HostScan


def diagnose_host(result: HostScan) -> tuple[Finding, ...]:
    """The rules of a host scan, pure: copies whose trust is empty, missing OPENSSLDIRs, deleted libraries."""
    findings: list[Finding] = []
    for group in result.groups:
        library = group.library
        empty = [p for p in group.processes if p.trust is not None and not p.trust.usable]
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
        if library.openssldir_exists is False:
            findings.append(
                Finding(
                    "openssldir-missing",
                    Severity.WARNING,
                    "%s was compiled with OPENSSLDIR %s, which does not exist for PID %s"
                    % (library.path, library.openssldir, _pid_list(group.processes)),
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


def _pid_list(processes: Any) -> str:
    """PIDs in a short list."""
    pids = [str(p.pid) for p in processes]
    return ", ".join(pids[:10]) + (" and %d more" % (len(pids) - 10) if len(pids) > 10 else "")
