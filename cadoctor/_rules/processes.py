"""The rules of `cadoctor ps`, pure: CA locations that hold nothing, missing OPENSSLDIRs, deleted libraries.

They judge this machine's processes (in `hosts.py`, a host is a TLS peer).
"""

from __future__ import annotations

from cadoctor._model import Finding, Severity
from cadoctor._model.processes import ProcessEntry, ProcessScan, TrustVerdict
from cadoctor._record import replace
from cadoctor._rules.stack_table import ALWAYS, SWITCHED, default_paths_of, keeps_own_roots, reads_paths, stack_rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


_EXTRA = "env:NODE_EXTRA_CA_CERTS"  # the role of the file node adds to whatever else it trusts


def usable(trust: TrustVerdict) -> bool:
    """Whether the CA locations hold anything OpenSSL would find: a file of some bytes, or a folder's hash link."""
    return any(
        bundle.kind == "file" and bool(bundle.size) if "in-effect:cafile" in bundle.roles else bundle.hash_links > 0
        for bundle in trust.looked
        if _EXTRA not in bundle.roles
    )


def judged(process: ProcessEntry) -> TrustVerdict | None:
    """The process's trust by its stack's rules: the copy's default paths, or node's own (the ps rules' verdict).

    node trusts its bundled roots unless --use-openssl-ca (or its build) puts the default paths in their place,
    reads those paths only with a switch, and adds NODE_EXTRA_CA_CERTS either way. A stack that does not read the
    paths (libpq without sslrootcert=system, librdkafka, grpc core, libcurl) trusts what the program sets, which
    is not read from outside: `usable` stays None, and the detail says what it trusts instead. Every other stack
    is judged by what the copy's default paths hold. A verdict already judged (`judged` set) is returned as it is.
    """
    trust = process.trust
    if trust is None or trust.usable is not None or trust.judged:
        return trust
    rule = stack_rule(process.consumer)
    if not rule.own_roots and not _reads_paths(process):
        when = default_paths_of(rule, process.consumer_version)
        unread = "not read without %s" % " or ".join(rule.switches) if when == SWITCHED else "not read"
        detail = "%s trusts %s; its OpenSSL's default paths, %s: %s" % (rule.title, rule.store, unread, trust.detail)
        return replace(trust, usable=None, judged=True, detail=detail)
    if not rule.own_roots:
        return replace(trust, usable=usable(trust), judged=True)
    own = keeps_own_roots(rule, process.options, process.build_switches)
    reads = _reads_paths(process)
    extras = [bundle for bundle in trust.looked if _EXTRA in bundle.roles]
    held = [bundle for bundle in extras if bundle.kind == "file" and bool(bundle.size)]
    if own:
        paths = trust.detail if reads else "not read without %s: %s" % (" or ".join(rule.switches), trust.detail)
        parts = [rule.own_roots, paths]
    else:  # given, or turned on by its build
        parts = ["%s in place of %s: %s" % (" or ".join(rule.replacing), rule.own_roots, trust.detail)]
    for extra in extras:
        holds = "%d bytes" % (extra.size or 0) if extra in held else extra.error or "empty"
        parts.append("NODE_EXTRA_CA_CERTS=%s: %s" % (extra.path, holds))
    return replace(trust, usable=own or (reads and usable(trust)) or bool(held), judged=True, detail="; ".join(parts))


def judge_trust(result: ProcessScan) -> ProcessScan:
    """The scan with each process's trust judged (`judged`), once per verdict and stack the scan shares."""
    verdicts: dict[Any, TrustVerdict | None] = {}  # the scan hands one verdict to every process reading the same

    def entry(process: ProcessEntry) -> ProcessEntry:
        """The process with its trust judged."""
        if process.trust is None:
            return process
        key = (id(process.trust), process.consumer, process.consumer_version, process.options, process.build_switches)
        if key not in verdicts:
            verdicts[key] = judged(process)
        return replace(process, trust=verdicts[key])

    groups = tuple(replace(g, processes=tuple(entry(p) for p in g.processes)) for g in result.groups)
    return replace(result, groups=groups)


def diagnose_ps(result: ProcessScan) -> tuple[Finding, ...]:
    """The rules of a scan of this machine's processes: empty trust, missing OPENSSLDIRs, deleted libraries."""
    findings: list[Finding] = []
    for group in result.groups:
        library = group.library
        # a process whose stack verifies without these paths (node, grpc core) trusts what its own rules say
        verdicts = [(p, judged(p)) for p in group.processes if _reads_paths(p)]
        empty = [(p, verdict) for p, verdict in verdicts if verdict is not None and not verdict.usable]
        if empty:
            findings.append(
                Finding(
                    "trust-store-empty",
                    Severity.ERROR,
                    "%d process(es) using %s trust nothing (%s): PID %s"
                    % (len(empty), library.path, empty[0][1].detail, _pid_list(p for p, _ in empty)),
                    {"library": library.path, "pids": [p.pid for p, _ in empty]},
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
    return reads_paths(stack_rule(process.consumer), process.consumer_version, process.options, process.build_switches)


def _pid_list(processes: Any) -> str:
    """PIDs in a short list."""
    pids = [str(p.pid) for p in processes]
    return ", ".join(pids[:10]) + (" and %d more" % (len(pids) - 10) if len(pids) > 10 else "")
