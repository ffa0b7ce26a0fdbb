"""The `cadoctor` command. The one place where failures become exit codes."""

from __future__ import annotations

import enum
import sys
from pathlib import Path

import typer

from cadoctor import __version__
from cadoctor._render import Format

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_PROBE = 0, 1, 2, 3

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Which CA certificates this Python trusts, why, and the smallest safe fix.",
    pretty_exceptions_enable=False,
)


class FailOn(str, enum.Enum):
    """The lowest severity that makes `check` exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    NEVER = "never"


def _version(value: bool) -> None:
    """Print the version and stop."""
    if value:
        typer.echo("cadoctor %s" % __version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Which CA certificates this Python trusts, why, and the smallest safe fix."""


@app.command()
def check(
    fmt: Format = typer.Option(Format.HUMAN, "--format", "-f", help="human, json (schema_version 1) or env."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to FILE instead of stdout."),
    fail_on: FailOn = typer.Option(FailOn.ERROR, "--fail-on", help="Exit 1 for findings at or above this severity."),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Try each fix in a fresh child interpreter."),
) -> None:
    """Diagnose this interpreter's CA trust path and suggest verified fixes."""
    from cadoctor._check import check as run_check
    from cadoctor._model import Severity
    from cadoctor._render import render

    report = run_check(verify=verify)
    threshold = None if fail_on is FailOn.NEVER else Severity(fail_on.value)
    if output is None:
        render(report, fmt, sys.stdout)
    else:
        try:
            with open(output, "w", encoding="utf-8") as stream:
                render(report, fmt, stream)
        except OSError as exc:
            typer.echo("cadoctor: cannot write %s: %s" % (output, exc.strerror or exc), err=True)
            raise typer.Exit(EXIT_USAGE) from None
    raise typer.Exit(EXIT_FINDINGS if report.fails(threshold) else EXIT_OK)


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code instead of exiting."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="cadoctor", standalone_mode=True)
    except SystemExit as stop:
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    return EXIT_OK
