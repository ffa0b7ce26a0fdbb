"""The rules of `cadoctor ps`, pure: CA locations that hold nothing, missing OPENSSLDIRs, deleted libraries.

They judge this machine's processes (in `hosts.py`, a host is a TLS peer).
"""

from __future__ import annotations

from cadoctor._model import Finding, Severity
from cadoctor._model.processes import ProcessEntry, ProcessScan, TrustVerdict
from cadoctor._record import replace
from cadoctor._rules.stack_table import ALWAYS, SWITCHED, default_paths_of, reads_paths, stack_rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def usable(trust: TrustVerdict) -> bool:
    """Whether the CA locations hold anything OpenSSL would find: a file of some bytes, or a folder's hash link."""
    return any(
        bundle.kind == "file" and bool(bundle.size) if "in-effect:cafile" in bundle.roles else bundle.hash_links > 0
        for bundle in trust.looked
    )


def judge_trust(result: ProcessScan) -> ProcessScan:
    """The scan with each process's CA locations judged `usable`, once per verdict the scan shares between them."""
    judged: dict[int, TrustVerdict] = {}  # by identity: the scan hands one verdict to every process reading the same

    def entry(process: ProcessEntry) -> ProcessEntry:
        """The process with its trust judged."""
        if process.trust is None:
            return process
        trust = judged.get(id(process.trust))
        if trust is None:
            trust = judged[id(process.trust)] = replace(process.trust, usable=usable(process.trust))
        return replace(process, trust=trust)

    groups = tuple(replace(g, processes=tuple(entry(p) for p in g.processes)) for g in result.groups)
    return replace(result, groups=groups)


def diagnose_ps(result: ProcessScan) -> tuple[Finding, ...]:
    """The rules of a scan of this machine's processes: empty trust, missing OPENSSLDIRs, deleted libraries."""
    findings: list[Finding] = []
    for group in result.groups:
        library = group.library
        # a process whose stack verifies without these paths (node, grpc core) trusts what its own rules say
        empty = [p for p in group.processes if p.trust is not None and not usable(p.trust) and _reads_paths(p)]
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
