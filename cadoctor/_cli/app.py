"""The full command line (typer): help, usage errors, and every option of every command."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import List, Optional

import typer

from cadoctor._cli.command import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    MIN_TIMEOUT,
    CheckOptions,
    FailOn,
    run_check,
)
from cadoctor._facts.tls.handshake import DEFAULT_TIMEOUT
from cadoctor._render.report import Format
from cadoctor._version import __version__

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Which CA certificates this Python trusts, why, and the smallest safe fix.",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: the metavars below as written, and cheap to print into a pipe
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    """Print the version and stop."""
    if value:
        typer.echo("cadoctor %s" % __version__)
        raise typer.Exit()


# Every command answers -V as the app does: a bug report can paste `cadoctor check -V` from any command line.
VERSION = typer.Option(False, "--version", "-V", callback=_version, is_eager=True, help="Show the version.")
FORMAT_HELP = "human or json."
FAIL_ON_HELP = "Exit 1 for findings at or above LEVEL: error, warning, info or never."


@app.callback()
def _root(version: bool = VERSION) -> None:
    """Which CA certificates this Python trusts, why, and the smallest safe fix."""


@app.command()
def check(
    fmt: Format = typer.Option(
        Format.HUMAN, "--format", "-f", metavar="human|json|env", help="human, json (schema_version 1) or env."
    ),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write the report to FILE instead of stdout."
    ),
    fail_on: FailOn = typer.Option(FailOn.ERROR, "--fail-on", metavar="LEVEL", help=FAIL_ON_HELP),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Try each fix in a fresh child interpreter."),
    host: Optional[List[str]] = typer.Option(
        None,
        "--host",
        metavar="HOST[:PORT]",
        help="Handshake with HOST (repeatable; default port 443) and explain a failure.",
    ),
    timeout: float = typer.Option(
        DEFAULT_TIMEOUT, "--timeout", min=MIN_TIMEOUT, metavar="SECONDS", help="Seconds per handshake."
    ),
    client_cert: Optional[str] = typer.Option(
        None, "--client-cert", metavar="FILE", help="PEM client certificate (and key) to present."
    ),
    client_key: Optional[str] = typer.Option(
        None, "--client-key", metavar="FILE", help="Key for --client-cert, if separate."
    ),
    python: Optional[str] = typer.Option(
        None,
        "--python",
        metavar="PATH",
        help="Diagnose this interpreter instead (3.8+; cadoctor need not be installed in it).",
    ),
    pid: Optional[int] = typer.Option(
        None,
        "--pid",
        metavar="PID",
        help="Diagnose this running process from outside (Linux; any program using OpenSSL).",
    ),
    root: Optional[str] = typer.Option(
        None, "--root", metavar="DIR", help="Diagnose an unpacked image or chroot from its files; nothing in it is run."
    ),
    version: bool = VERSION,
) -> None:
    """Diagnose this interpreter's CA trust path (and handshakes to --host) and suggest verified fixes."""
    options = CheckOptions(
        fmt=fmt,
        output=None if output is None else str(output),
        fail_on=fail_on,
        verify=verify,
        hosts=tuple(host or ()),
        timeout=timeout,
        client_cert=client_cert,
        client_key=client_key,
        python=python,
        pid=pid,
        root=root,
    )
    raise typer.Exit(run_check(options))


class Output(str, enum.Enum):
    """Output formats of `explain`, `inspect` and `ps`."""

    HUMAN = "human"
    JSON = "json"


@app.command()
def explain(
    text: Optional[List[str]] = typer.Argument(None, metavar="TEXT", hidden=True),
    fmt: Output = typer.Option(Output.HUMAN, "--format", "-f", metavar="human|json", help=FORMAT_HELP),
    version: bool = VERSION,
) -> None:
    """Decode a TLS error message or traceback into likely causes and the command that checks each.

    TEXT is the message (several words are joined); '-' or none reads it from stdin.
    """
    import json
    import sys

    from cadoctor._render.explanation import to_document, to_text
    from cadoctor._rules.explain.reading import INPUT_LIMIT
    from cadoctor._rules.explain.reading import explain as decode

    message = " ".join(text or [])
    if not text or text == ["-"]:
        message = sys.stdin.read(INPUT_LIMIT)
    result = decode(message)
    if fmt is Output.JSON:
        typer.echo(json.dumps(to_document(result, message), indent=2))
    else:
        typer.echo(to_text(result), nl=False)
    raise typer.Exit(EXIT_OK if result.known else EXIT_FINDINGS)


@app.command()
def inspect(
    paths: List[str] = typer.Argument(..., metavar="PATH", hidden=True),
    fmt: Output = typer.Option(Output.HUMAN, "--format", "-f", metavar="human|json", help=FORMAT_HELP),
    root: Optional[str] = typer.Option(
        None, "--root", metavar="DIR", help="Read the paths inside this unpacked image or chroot."
    ),
    version: bool = VERSION,
) -> None:
    """Read OpenSSL's version, OPENSSLDIR and linkage from binaries, or inventory CA bundles, running nothing.

    Each PATH is a library, a program, a CA file or a CA directory.
    """
    from cadoctor._cli.inspect import run_inspect

    raise typer.Exit(run_inspect(fmt.value, root, list(paths)))


@app.command()
def ps(
    fmt: Output = typer.Option(Output.HUMAN, "--format", "-f", metavar="human|json", help=FORMAT_HELP),
    fail_on: FailOn = typer.Option(FailOn.ERROR, "--fail-on", metavar="LEVEL", help=FAIL_ON_HELP),
    version: bool = VERSION,
) -> None:
    """List every process using OpenSSL, grouped by library file, with its OPENSSLDIR and trust (Linux)."""
    from cadoctor._cli.ps import run_ps

    raise typer.Exit(run_ps(fmt.value, fail_on.value))


def run(argv: list[str]) -> int:
    """Parse with typer and return the exit code instead of exiting."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="cadoctor", standalone_mode=True)
    except SystemExit as stop:
        code = stop.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_USAGE)
    return EXIT_OK
