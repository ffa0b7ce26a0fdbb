"""The full command line (typer): help, usage errors, and every option of every command, built from their tables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, List, Optional

import typer

from cadoctor._cli.check import CHECK, CheckOptions, plugin_usage_error, run_check
from cadoctor._cli.exits import EXIT_OK, EXIT_USAGE
from cadoctor._cli.explain import EXPLAIN, run_explain
from cadoctor._cli.inspect import INSPECT, run_inspect
from cadoctor._cli.options import Command, FailOn, Output
from cadoctor._cli.ps import PS, run_ps
from cadoctor._render.formats import Format
from cadoctor._render.terminal import error
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
# The fast paths leave it (and -h) to this app: it is the one option no command's table holds.
VERSION = typer.Option(False, "--version", "-V", callback=_version, is_eager=True, help="Show the version.")


def option(command: Command, name: str) -> Any:
    """The typer option the command's table declares for `name`: its spellings, default, metavar and help."""
    spec = command.option(name)
    flags = ("%s/%s" % (spec.flags[0], spec.off),) if spec.off else spec.flags
    default = None if spec.value == "repeated" else spec.default  # typer's "none given" for a list
    return typer.Option(default, *flags, metavar=spec.metavar, help=spec.help, min=spec.minimum)


def words(command: Command) -> Any:
    """The typer argument that collects the command's words, hidden: its help says what they are."""
    return typer.Argument(... if command.required else None, metavar=command.metavar, hidden=True)


@app.callback()
def _root(version: bool = VERSION) -> None:
    """Which CA certificates this Python trusts, why, and the smallest safe fix."""


# The top-level --help lists each command with its short help, whole; click would cut a longer one to fit.
@app.command(short_help="Diagnose a Python's CA trust path and suggest verified fixes.")
def check(
    fmt: Format = option(CHECK, "fmt"),
    output: Optional[Path] = option(CHECK, "output"),
    fail_on: FailOn = option(CHECK, "fail_on"),
    verify: bool = option(CHECK, "verify"),
    cache: bool = option(CHECK, "cache"),
    hosts: Optional[List[str]] = option(CHECK, "hosts"),
    timeout: float = option(CHECK, "timeout"),
    client_cert: Optional[str] = option(CHECK, "client_cert"),
    client_key: Optional[str] = option(CHECK, "client_key"),
    python: Optional[str] = option(CHECK, "python"),
    pid: Optional[int] = option(CHECK, "pid"),
    root: Optional[str] = option(CHECK, "root"),
    image_config: Optional[str] = option(CHECK, "image_config"),
    version: bool = VERSION,
) -> None:
    """Diagnose a Python's CA trust path (and handshakes to --host) and suggest verified fixes.

    The Python is yours by default: the active venv's, else the python3 on PATH (installed in an app's own venv,
    that venv's; run as `python -m cadoctor`, the one it runs in); --python, --pid or --root examine another.
    """
    options = CheckOptions(
        fmt=fmt,
        output=None if output is None else str(output),
        fail_on=fail_on,
        verify=verify,
        cache=cache,
        hosts=tuple(hosts or ()),
        timeout=timeout,
        client_cert=client_cert,
        client_key=client_key,
        python=python,
        pid=pid,
        root=root,
        image_config=image_config,
    )
    raise typer.Exit(run_check(options))


@app.command(short_help="Decode a TLS error message into likely causes and their checks.")
def explain(
    text: Optional[List[str]] = words(EXPLAIN),
    fmt: Output = option(EXPLAIN, "fmt"),
    version: bool = VERSION,
) -> None:
    """Decode a TLS error message or traceback into likely causes and the command that checks each.

    TEXT is the message (several words are joined); '-' or none reads it from stdin.
    """
    raise typer.Exit(run_explain(fmt, text or []))


@app.command(short_help="Read OpenSSL in binaries, or inventory CA bundles; runs nothing.")
def inspect(
    paths: List[str] = words(INSPECT),
    fmt: Output = option(INSPECT, "fmt"),
    root: Optional[str] = option(INSPECT, "root"),
    version: bool = VERSION,
) -> None:
    """Read OpenSSL's version, OPENSSLDIR and linkage from binaries, or inventory CA bundles, running nothing.

    Each PATH is a library, a program, a CA file or a CA directory.
    """
    raise typer.Exit(run_inspect(fmt, root, paths))


@app.command(short_help="List the processes using OpenSSL, with their trust (Linux).")
def ps(
    fmt: Output = option(PS, "fmt"),
    fail_on: FailOn = option(PS, "fail_on"),
    version: bool = VERSION,
) -> None:
    """List every process using OpenSSL, grouped by library file, with its OPENSSLDIR and trust (Linux)."""
    raise typer.Exit(run_ps(fmt, fail_on))


# click's base of usage errors, as this typer has it: click's own, or (typer 0.29) the copy typer vendors
_CLICK_ERRORS: Any = next(cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException")


def run(argv: list[str], plugin: bool = False) -> int:
    """Parse with typer and return the exit code instead of exiting.

    As a plugin (`check --format nagios`), a usage error is UNKNOWN, exit 3, with its line on stdout too.
    Otherwise a usage error is one line on stderr, as every other error: what is wrong, and where the help is
    (click's own three lines, `Usage:`, `Try ...` and `Error:`, would be the only error that is not one line).
    """
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="cadoctor", standalone_mode=False)
    except _CLICK_ERRORS as exc:  # a usage error: standalone, click would print it and exit 2
        message = exc.format_message()
        if plugin:
            return plugin_usage_error(message)
        if type(exc).__name__ == "NoArgsIsHelpError":  # `cadoctor` alone: the help, on stderr, exit 2 (click's)
            sys.stderr.write(message.rstrip("\n") + "\n")
            return EXIT_USAGE
        where = [word for word in argv[:1] if word in getattr(command, "commands", {})]  # the app's own commands
        error("%s (cadoctor %s-h shows the options)" % (message, "%s " % where[0] if where else ""))
        return EXIT_USAGE
    return code if isinstance(code, int) else EXIT_OK
