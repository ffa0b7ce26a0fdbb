"""`cadoctor ps` as JSON and as human lines."""

from __future__ import annotations

from cadoctor._model import SCHEMA_VERSION, Finding, plain
from cadoctor._render.terminal import printable_lines
from cadoctor._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._model.processes import ProcessEntry, ProcessScan


def to_document(result: ProcessScan, findings: tuple[Finding, ...]) -> dict[str, Any]:
    """The JSON document of a host scan and its findings (schema_version 1)."""
    worst = max((f.severity.rank for f in findings), default=-1)
    return {
        "schema_version": SCHEMA_VERSION,
        "cadoctor_version": __version__,
        "status": "error" if worst >= 2 else "warning" if worst == 1 else "ok",
        "findings": plain(findings),
        "groups": plain(result.groups),
        "unreadable": plain(result.unreadable),
        "other_stacks": plain(result.others),
        "processes_examined": result.processes,
        "files_read": result.files_read,
    }


def _used_by(process: ProcessEntry) -> str:
    """Whose stack the copy is in that process, with its version when its file holds it (`node 24.19.0`)."""
    return "%s %s" % (process.consumer, process.consumer_release) if process.consumer_release else process.consumer[:12]


def to_text(result: ProcessScan, findings: tuple[Finding, ...]) -> str:
    """Human lines: each OpenSSL file with its trust and processes, then findings and unreadable PIDs."""
    users = sum(len(g.processes) for g in result.groups)
    lines = [
        "cadoctor ps: %d OpenSSL files used by %d processes (%d processes examined, %d files read, %d unreadable)"
        % (len(result.groups), users, result.processes, result.files_read, len(result.unreadable)),
        "",
    ]
    for group in result.groups:
        library = group.library
        state = " (deleted)" if library.deleted else ""
        where = {True: "exists", False: "missing", None: "not set"}[library.openssldir_exists]
        lines.append("%s%s  [%s]" % (library.path, state, library.role))
        lines.append("  %s; OPENSSLDIR %s (%s)" % (library.version or "unknown version", library.openssldir, where))
        lines.append("  %7s  %-10s %-6s %-12s %s" % ("PID", "USER", "TRUST", "USED BY", "COMMAND"))
        for process in group.processes:  # TRUST: what it trusts by its stack's rules; USED BY: whose stack it is
            trust = "?" if process.trust is None else "ok" if process.trust.usable else "EMPTY"
            row = (process.pid, process.user[:10], trust, _used_by(process), process.command)
            lines.append("  %7d  %-10s %-6s %-12s %s" % row)
        verdicts = {p.trust.detail + " [" + p.trust.source + "]" for p in group.processes if p.trust is not None}
        for detail in sorted(verdicts):
            lines.append("  trust: %s" % detail)
        lines.append("")
    for other in result.others:
        lines.append("%s  [%s, not OpenSSL: not judged]" % (other.path, other.implementation))
        lines.extend("  %7d  %-10s %s" % (p.pid, p.user[:10], p.command) for p in other.processes)
        lines.append("")
    if findings:
        lines.append("Findings")
        marks = {"error": "x", "warning": "!", "info": "i"}
        lines.extend("  %s %s  %s" % (marks[f.severity.value], f.code, f.summary) for f in findings)
        lines.append("")
    if result.unreadable:
        lines.append("Not readable (they may use OpenSSL too)")
        for item in result.unreadable:
            lines.append("  %7d  %-10s %s: %s" % (item.pid, item.user[:10], item.command, item.reason))
    while lines and not lines[-1]:
        lines.pop()
    return printable_lines(lines)
