"""`cadoctor ps` as JSON and as human lines."""

from __future__ import annotations

from cadoctor._model import SCHEMA_VERSION, Finding, plain
from cadoctor._redact import redacted_document
from cadoctor._render.terminal import cells, counted, cut, printable_lines, shown
from cadoctor._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._model.processes import ProcessEntry, ProcessScan


def to_document(result: ProcessScan, findings: tuple[Finding, ...]) -> dict[str, Any]:
    """The JSON document of a host scan and its findings (schema_version 1)."""
    return redacted_document(_document(result, findings))


def _document(result: ProcessScan, findings: tuple[Finding, ...]) -> dict[str, Any]:
    """The document before its secrets are masked."""
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


def _trust_word(process: ProcessEntry) -> str:
    """The TRUST column: ok, EMPTY, `own` (its stack trusts what the program sets: not read from outside), or ?."""
    trust = process.trust
    if trust is None:
        return "?"
    if trust.usable is None:
        return "own" if trust.judged else "?"
    return "ok" if trust.usable else "EMPTY"


def _used_by(process: ProcessEntry) -> str:
    """Whose stack the copy is in that process, with its version when its file holds it (`node 24.19.0`)."""
    return "%s %s" % (process.consumer, process.consumer_release) if process.consumer_release else process.consumer[:12]


def to_text(result: ProcessScan, findings: tuple[Finding, ...], width: int | None = None) -> str:
    """Human lines: each OpenSSL file with its trust and processes, then findings and unreadable PIDs.

    With a `width` (a terminal's), each line is folded to it and each table row cut to it at its command, as
    ps(1) cuts its own: the other columns are never split, and the pipe and --format json keep the command whole.
    """
    users = sum(len(g.processes) for g in result.groups)
    files = counted(len(result.groups), "OpenSSL file")
    lines: list[str | tuple[str, int | None]] = [
        "cadoctor ps: %s used by %s (%s examined, %s read, %d unreadable)"
        % (
            files,
            counted(users, "process", "processes"),
            counted(result.processes, "process", "processes"),
            counted(result.files_read, "file"),
            len(result.unreadable),
        ),
        "",
    ]

    def row(pid: int, user: str, middle: str, command: str) -> tuple[str, None]:
        """A table row, its command cut at the width: a row never folds (the full command is off a terminal)."""
        head = shown("  %7d  %-10s %s" % (pid, user[:10], middle))
        return head + (shown(command) if width is None else cut(shown(command), width - cells(head))), None

    for group in result.groups:
        library = group.library
        state = " (deleted)" if library.deleted else ""
        where = {True: "exists", False: "missing", None: "not set"}[library.openssldir_exists]
        lines.append("%s%s  [%s]" % (library.path, state, library.role))
        lines.append("  %s; OPENSSLDIR %s (%s)" % (library.version or "unknown version", library.openssldir, where))
        lines.append("  %7s  %-10s %-6s %-12s %s" % ("PID", "USER", "TRUST", "USED BY", "COMMAND"))
        for process in group.processes:  # TRUST: what it trusts by its stack's rules; USED BY: whose stack it is
            trust = _trust_word(process)
            lines.append(row(process.pid, process.user, "%-6s %-12s " % (trust, _used_by(process)), process.command))
        verdicts = {p.trust.detail + " [" + p.trust.source + "]" for p in group.processes if p.trust is not None}
        for detail in sorted(verdicts):
            lines.append(("  trust: %s" % detail, len("trust: ")))
        lines.append("")
    for other in result.others:
        lines.append("%s  [%s, not OpenSSL: not judged]" % (other.path, other.implementation))
        lines.extend(row(p.pid, p.user, "", p.command) for p in other.processes)
        lines.append("")
    if findings:
        lines.append("Findings")
        marks = {"error": "x", "warning": "!", "info": "i"}
        lines.extend(("  %s %s  %s" % (marks[f.severity.value], f.code, f.summary), len(f.code) + 4) for f in findings)
        lines.append("")
    if result.unreadable:
        lines.append("Not readable (they may use OpenSSL too)")
        for item in result.unreadable:  # the reason continues under the command (a PID's spaces lead the line)
            line = "  %7d  %-10s %s: %s" % (item.pid, item.user[:10], item.command, item.reason)
            lines.append((line, len("  %7d  %-10s " % (item.pid, "")) - (len(line) - len(line.lstrip(" ")))))
    while lines and not lines[-1]:
        lines.pop()
    return printable_lines(lines, width)
