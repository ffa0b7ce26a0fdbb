"""`cadoctor ps` from its options to an exit status, without loading typer or the check machinery."""

from __future__ import annotations

from cadoctor._cli.exits import EXIT_CANNOT_EXAMINE, EXIT_FINDINGS, EXIT_OK
from cadoctor._cli.options import FAIL_ON, FORMAT, Command, FailOn, Output

PS = Command("ps", (FORMAT, FAIL_ON))


def run_ps(fmt: Output, fail_on: FailOn) -> int:
    """List this machine's processes using OpenSSL, write the groups and findings, and turn them into an exit code."""
    import json
    import sys

    from cadoctor._commands.ps import ps
    from cadoctor._errors import ProcessError
    from cadoctor._render.scan import to_document, to_text
    from cadoctor._render.terminal import columns, error

    try:
        result, findings = ps()
    except ProcessError as exc:
        error(str(exc))
        return EXIT_CANNOT_EXAMINE
    if fmt is Output.JSON:
        sys.stdout.write(json.dumps(to_document(result, findings), indent=2) + "\n")
    else:
        sys.stdout.write(to_text(result, findings, columns(sys.stdout)))
    return EXIT_FINDINGS if fail_on.reached(findings) else EXIT_OK
