"""`cadoctor explain` from its options to an exit status: the text, from the words given or from stdin."""

from __future__ import annotations

from collections.abc import Sequence

from cadoctor._cli.exits import EXIT_FINDINGS, EXIT_OK
from cadoctor._cli.options import FORMAT, Command, Output

EXPLAIN = Command("explain", (FORMAT,), words="text", metavar="TEXT")


def run_explain(fmt: Output, text: Sequence[str]) -> int:
    """Decode the message (the words joined; `-` or none reads stdin), write the reading, and give its exit code."""
    import json
    import sys

    import typer  # explain is parsed by the typer app alone, and writes as it always has, through typer's echo

    from cadoctor._commands.explain import explain
    from cadoctor._render.explanation import to_document, to_text
    from cadoctor._render.terminal import columns
    from cadoctor._rules.explain.reading import INPUT_LIMIT

    message = " ".join(text)
    if not text or list(text) == ["-"]:
        if sys.stdin.isatty():  # a person at a terminal, who would otherwise face a silent wait; a pipe is not told
            end = "Ctrl-Z, Enter" if sys.platform == "win32" else "Ctrl-D"
            sys.stderr.write("cadoctor: paste the error message, then %s (or pass it as an argument)\n" % end)
            sys.stderr.flush()
        message = sys.stdin.read(INPUT_LIMIT)
    result = explain(message)
    if fmt is Output.JSON:
        typer.echo(json.dumps(to_document(result, message), indent=2))
    else:
        typer.echo(to_text(result, columns(sys.stdout)), nl=False)
    return EXIT_OK if result.known else EXIT_FINDINGS
