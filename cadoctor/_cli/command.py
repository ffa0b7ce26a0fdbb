"""`cadoctor check` without the CLI framework: the common invocations are parsed and run here.

Importing typer (and the click, rich and pydantic it pulls in) costs more than a whole healthy check, and
build scripts run `cadoctor check --format json` on every image. So the closed set of `check` options is
parsed here; anything else — help, other commands, unknown options, invalid values — goes to the typer app,
which owns every message and usage error. A test keeps both parsers agreeing on what this one accepts.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import sys
from collections.abc import Callable, Iterator

from cadoctor._cli.exits import EXIT_CANNOT_EXAMINE, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from cadoctor._errors import CheckError, ClientCertificateError, InterpreterError, ProcessError, RootError
from cadoctor._facts.tls.handshake import DEFAULT_TIMEOUT
from cadoctor._record import record
from cadoctor._render.report import Format
from cadoctor._render.terminal import error
from cadoctor._text import printable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

MIN_TIMEOUT = 0.001
PROGRESS_AFTER = 1.0  # seconds of silence before a terminal is told what the check waits for


class FailOn(str, enum.Enum):
    """The lowest severity that makes `check` exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    NEVER = "never"


@record
class CheckOptions:
    """The options of one `cadoctor check` run, whichever parser read them."""

    fmt: Format = Format.HUMAN
    output: str | None = None
    fail_on: FailOn = FailOn.ERROR
    verify: bool = True
    hosts: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    client_cert: str | None = None
    client_key: str | None = None
    python: str | None = None
    pid: int | None = None
    root: str | None = None


_VALUED = {
    "--format": "fmt",
    "-f": "fmt",
    "--output": "output",
    "-o": "output",
    "--fail-on": "fail_on",
    "--host": "hosts",
    "--timeout": "timeout",
    "--client-cert": "client_cert",
    "--client-key": "client_key",
    "--python": "python",
    "--pid": "pid",
    "--root": "root",
}


_FLAGS = {"--verify": True, "--no-verify": False}


def parse_check(argv: list[str]) -> CheckOptions | None:
    """Read `check` and its options; None for anything this small parser leaves to the full CLI."""
    if not argv or argv[0] != "check":
        return None
    values: dict[str, str] = {}
    hosts: list[str] = []
    verify = True
    rest = iter(argv[1:])
    for arg in rest:
        if arg in _FLAGS:
            verify = _FLAGS[arg]
            continue
        name, eq, inline = arg.partition("=")
        if name not in _VALUED or (eq and not name.startswith("--")):
            return None
        value = inline if eq else next(rest, None)
        if not value or value.startswith("-"):
            return None
        if name == "--host":
            hosts.append(value)
        else:
            values[_VALUED[name]] = value
    try:
        timeout = float(values.get("timeout", DEFAULT_TIMEOUT))
        if not MIN_TIMEOUT <= timeout < float("inf"):
            return None
        pid = int(values["pid"]) if "pid" in values else None
        return CheckOptions(
            fmt=Format(values.get("fmt", Format.HUMAN.value)),
            output=values.get("output"),
            fail_on=FailOn(values.get("fail_on", FailOn.ERROR.value)),
            verify=verify,
            hosts=tuple(hosts),
            timeout=timeout,
            client_cert=values.get("client_cert"),
            client_key=values.get("client_key"),
            python=values.get("python"),
            pid=pid,
            root=values.get("root"),
        )
    except ValueError:
        return None


def unwritable(path: str) -> str | None:
    """Why a report could not be written to `path`, asked before the check spends seconds on handshakes."""
    if os.path.isdir(path):
        return "it is a directory"
    if os.path.lexists(path):
        return None if os.access(path, os.W_OK) else os.strerror(errno.EACCES)
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        return os.strerror(errno.ENOENT) + " (no folder %s)" % folder
    return None if os.access(folder, os.W_OK | os.X_OK) else os.strerror(errno.EACCES)


@contextlib.contextmanager
def progress(hosts: tuple[str, ...]) -> Iterator[None]:
    """Say on a terminal's stderr what the check waits for, once a handshake has taken more than a second."""
    if not hosts or not sys.stderr.isatty():
        yield
        return
    import threading

    shown = threading.Event()

    def show() -> None:
        """One line that the report will not have to share: it is erased when the check ends."""
        shown.set()
        sys.stderr.write("cadoctor: waiting for %s ...\r" % printable(", ".join(hosts)))
        sys.stderr.flush()

    timer = threading.Timer(PROGRESS_AFTER, show)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if shown.is_set():
            sys.stderr.write("\x1b[2K\r")
            sys.stderr.flush()


def started_as_command() -> bool:
    """Whether this process is the `cadoctor` console script (pipx, uv tool, a venv's bin), not `python -m cadoctor`."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return name in ("cadoctor", "cadoctor.exe")


def _users_python(options: CheckOptions) -> CheckOptions:
    """Examine the user's Python instead of the command's own environment, saying so first (stderr)."""
    from cadoctor._facts.interpreters.user_python import user_python
    from cadoctor._record import replace

    found = user_python(os.environ)
    if found is None:
        return options
    if found.path is None:
        error(
            "%s is %s (%s): examining %s, which cadoctor runs in; --python PATH examines another"
            % (found.origin, found.found, found.why, sys.executable)
        )
        return options
    error(
        "examining %s, %s (not %s, which cadoctor runs in); --python PATH examines another"
        % (found.path, found.origin, sys.executable)
    )
    return replace(options, python=found.path)


def run_check(options: CheckOptions) -> int:
    """Check this interpreter, write the report, and turn the outcome into an exit code."""
    from cadoctor._commands.check import check
    from cadoctor._model import Severity
    from cadoctor._render.report import render

    if options.pid is not None and options.pid < 1:
        error("--pid %d is not a process ID: they start at 1 (0 is the kernel's idle task)" % options.pid)
        return EXIT_USAGE
    subjects = [
        name
        for name, value in (("--python", options.python), ("--pid", options.pid), ("--root", options.root))
        if value is not None
    ]
    if len(subjects) > 1:
        error("%s name different subjects: choose one" % " and ".join(subjects))
        return EXIT_USAGE
    if subjects and subjects[0] != "--python" and options.hosts:
        error("--host cannot be combined with %s: the handshake would come from here" % subjects[0])
        return EXIT_USAGE
    if not subjects and started_as_command():
        options = _users_python(options)
    reason = None if options.output is None else unwritable(options.output)
    if reason is not None:
        error("cannot write %s: %s" % (options.output, reason))
        return EXIT_USAGE
    try:
        with progress(options.hosts):
            report = check(
                verify=options.verify,
                hosts=options.hosts,
                timeout=options.timeout,
                client_cert=options.client_cert,
                client_key=options.client_key,
                python=options.python,
                pid=options.pid,
                root=options.root,
            )
    except ClientCertificateError as exc:
        error(str(exc))
        return EXIT_USAGE
    except CheckError as exc:
        return _cannot_check(options, exc)
    except Exception as exc:  # the probe never raises by design: anything here is a bug, reported in one line
        if os.environ.get("CADOCTOR_DEBUG"):
            raise
        return _cannot_check(options, exc)
    threshold = None if options.fail_on is FailOn.NEVER else Severity(options.fail_on.value)
    if not _deliver(options, lambda stream: render(report, options.fmt, stream)):
        return EXIT_USAGE
    return EXIT_FINDINGS if report.fails(threshold) else EXIT_OK


_KINDS = {InterpreterError: "interpreter", ProcessError: "process", RootError: "root"}


def _cannot_check(options: CheckOptions, exc: Exception) -> int:
    """Exit 3 with one line on stderr and, with --format json, a document holding an `error` where the report goes."""
    kind = next((name for cls, name in _KINDS.items() if isinstance(exc, cls)), "internal")
    if kind == "interpreter":
        message = "cannot probe %s" % exc
    elif kind == "internal":
        message = "the probe could not run: %s: %s (CADOCTOR_DEBUG=1 shows where)" % (type(exc).__name__, exc)
    else:
        message = str(exc)
    error(message)
    if options.fmt is Format.JSON:
        from cadoctor._render.failure import render_failure

        _deliver(options, lambda stream: stream.write(render_failure(kind, message)))
    return EXIT_CANNOT_EXAMINE


def _deliver(options: CheckOptions, write: Callable[[TextIO], object]) -> bool:
    """Write to stdout or the --output file; False (after one line on stderr) when the file cannot be written."""
    if options.output is None:
        write(sys.stdout)
        return True
    try:
        with open(options.output, "w", encoding="utf-8") as stream:
            write(stream)
    except OSError as exc:
        error("cannot write %s: %s" % (options.output, exc.strerror or exc))
        return False
    return True
