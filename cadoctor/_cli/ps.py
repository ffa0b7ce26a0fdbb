"""`cadoctor ps` from argv to exit status, without loading typer or the check machinery."""

from __future__ import annotations

_FAIL_ON = ("error", "warning", "info", "never")


def parse_ps(argv: list[str]) -> tuple[str, str] | None:
    """Read `ps [--format human|json] [--fail-on LEVEL]`; None for anything left to the full CLI (help, errors)."""
    if not argv or argv[0] != "ps":
        return None
    fmt, fail_on = "human", "error"
    rest = iter(argv[1:])
    for arg in rest:
        name, eq, inline = arg.partition("=")
        if name not in ("--format", "-f", "--fail-on") or (eq and not name.startswith("--")):
            return None
        value = inline if eq else next(rest, None)
        if name == "--fail-on" and value in _FAIL_ON:
            fail_on = value
        elif name != "--fail-on" and value in ("human", "json"):
            fmt = value
        else:
            return None
    return fmt, fail_on


def run_ps(fmt: str, fail_on: str) -> int:
    """Scan the host's processes, write the groups and findings, and turn them into an exit code."""
    import json
    import sys

    from cadoctor._cli.exits import EXIT_CANNOT_EXAMINE, EXIT_FINDINGS, EXIT_OK
    from cadoctor._errors import ProcessError
    from cadoctor._facts.subjects.scan import scan
    from cadoctor._model import Severity
    from cadoctor._render.scan import to_document, to_text
    from cadoctor._render.terminal import error
    from cadoctor._rules.processes import diagnose_ps, judge_trust

    try:
        result = judge_trust(scan())
    except ProcessError as exc:
        error(str(exc))
        return EXIT_CANNOT_EXAMINE
    findings = diagnose_ps(result)
    if fmt == "json":
        sys.stdout.write(json.dumps(to_document(result, findings), indent=2) + "\n")
    else:
        sys.stdout.write(to_text(result, findings))
    threshold = None if fail_on == "never" else Severity(fail_on)
    failed = threshold is not None and any(f.severity.rank >= threshold.rank for f in findings)
    return EXIT_FINDINGS if failed else EXIT_OK
