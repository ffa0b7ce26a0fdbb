"""`cadoctor check` from its options to an exit status: its table, the checks before the work, the delivery."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Callable, Iterator

from cadoctor._cli.exits import (
    EXIT_CANNOT_EXAMINE,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    PLUGIN_CRITICAL,
    PLUGIN_OK,
    PLUGIN_UNKNOWN,
    PLUGIN_WARNING,
)
from cadoctor._cli.options import FAIL_ON, Command, FailOn, Option
from cadoctor._errors import CheckError, ClientCertificateError, InterpreterError, ProcessError, RootError
from cadoctor._facts.tls.handshake import DEFAULT_TIMEOUT, parse_target
from cadoctor._record import record
from cadoctor._render.formats import Format
from cadoctor._render.terminal import columns, cut, error, shown

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from cadoctor._model import Report
    from cadoctor._render.run import Run

MIN_TIMEOUT = 0.001
PROGRESS_AFTER = 1.0  # seconds of silence before a terminal is told what the check waits for

CHECK = Command(
    "check",
    (
        Option(
            "fmt",
            ("--format", "-f"),
            "human, json (schema_version 1), env, prometheus (node_exporter's textfile collector) or nagios (a "
            "monitoring plugin: one status line, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).",
            metavar="human|json|env|prometheus|nagios",
            choices=Format,
            default=Format.HUMAN,
        ),
        Option("output", ("--output", "-o"), "Write the report to FILE instead of stdout.", metavar="FILE"),
        FAIL_ON,
        Option(
            "verify",
            ("--verify",),
            "Try each fix in a fresh child interpreter.",
            value="switch",
            default=True,
            off="--no-verify",
        ),
        Option(
            "cache",
            ("--cache",),
            "Reuse what earlier checks kept: a fix's verdicts while nothing they followed from changed (with a "
            "host: the same chain, its certificates still valid), and the certificates they parsed.",
            value="switch",
            default=True,
            off="--no-cache",
        ),
        Option(
            "hosts",
            ("--host",),
            "Handshake with HOST (repeatable; default port 443) and explain a failure.",
            metavar="HOST[:PORT]",
            value="repeated",
            default=(),
        ),
        Option(
            "timeout",
            ("--timeout",),
            "Seconds per handshake.",
            metavar="SECONDS",
            value="float",
            default=DEFAULT_TIMEOUT,
            minimum=MIN_TIMEOUT,
        ),
        Option("client_cert", ("--client-cert",), "PEM client certificate (and key) to present.", metavar="FILE"),
        Option("client_key", ("--client-key",), "Key for --client-cert, if separate.", metavar="FILE"),
        Option(
            "python",
            ("--python",),
            "Diagnose this interpreter instead (3.8+; cadoctor need not be installed in it); with --root, a path "
            "inside the image (a venv's python), read and never run.",
            metavar="PATH",
        ),
        Option(
            "pid",
            ("--pid",),
            "Diagnose this running process from outside (Linux; any program using OpenSSL).",
            metavar="PID",
            value="int",
        ),
        Option(
            "root",
            ("--root",),
            "Diagnose an unpacked image or chroot from its files; nothing in it is run.",
            metavar="DIR",
        ),
        Option(
            "image_config",
            ("--image-config",),
            "With --root: the image's config (config.json, docker inspect's output) or its Dockerfile, for the "
            "ENV its programs start with (PATH, CA variables).",
            metavar="FILE",
        ),
    ),
)


@record
class CheckOptions:
    """The options of one `cadoctor check` run, whichever parser read them (the names are `CHECK`'s)."""

    fmt: Format = Format.HUMAN
    output: str | None = None
    fail_on: FailOn = FailOn.ERROR
    verify: bool = True
    cache: bool = True
    hosts: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    client_cert: str | None = None
    client_key: str | None = None
    python: str | None = None
    pid: int | None = None
    root: str | None = None
    image_config: str | None = None


def unwritable(path: str) -> str | None:
    """Why a report could not be written to `path`, asked before the check spends seconds on handshakes."""
    if os.path.isdir(path):
        return "it is a directory"
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        return os.strerror(errno.ENOENT) + " (no folder %s)" % folder
    special = os.path.exists(path) and not os.path.isfile(path)  # /dev/stdout, a FIFO: written in place
    needs_folder = not special  # a regular file is replaced by a new one: the folder must take it
    if (os.path.lexists(path) and not os.access(path, os.W_OK)) or (
        needs_folder and not os.access(folder, os.W_OK | os.X_OK)
    ):
        try:
            read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
        except OSError:
            read_only = False
        return os.strerror(errno.EROFS if read_only else errno.EACCES)
    return None


@contextlib.contextmanager
def progress(hosts: tuple[str, ...]) -> Iterator[None]:
    """Say on a terminal's stderr what the check waits for, once a handshake has taken more than a second."""
    if not hosts or not sys.stderr.isatty():
        yield
        return
    import threading

    said = threading.Event()

    def show() -> None:
        """One line that the report will not have to share: it is erased when the check ends."""
        said.set()
        line = "cadoctor: waiting for %s ..." % shown(", ".join(hosts))
        width = columns(sys.stderr)
        sys.stderr.write((cut(line, width - 1) if width else line) + "\r")  # one row: the erase clears it all
        sys.stderr.flush()

    timer = threading.Timer(PROGRESS_AFTER, show)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if said.is_set():
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
    own = "the environment %s made for cadoctor" % found.installer if found.installer else "which cadoctor runs in"
    if found.path is None:
        error(
            "%s is %s (%s): examining %s, %s; --python PATH examines another"
            % (found.origin, found.found, found.why, sys.executable, own)
        )
        return options
    error(
        "examining %s, %s (not %s, %s); --python PATH examines another"
        % (found.path, found.origin, sys.executable, own)
    )
    return replace(options, python=found.path)


def usage_error(options: CheckOptions, message: str) -> int:
    """A usage error: one line on stderr, exit 2; as a plugin (`--format nagios`), UNKNOWN (`plugin_usage_error`)."""
    if options.fmt is Format.NAGIOS:
        return plugin_usage_error(message)
    error(message)
    return EXIT_USAGE


def plugin_usage_error(message: str) -> int:
    """A plugin called wrongly: the line on stderr as ever, and UNKNOWN on stdout, where its runner reads; exit 3."""
    from cadoctor._render.nagios import render_nagios_unknown

    error(message)
    sys.stdout.write(render_nagios_unknown(message))  # never --output's file: the runner reads stdout
    return PLUGIN_UNKNOWN


def run_check(options: CheckOptions) -> int:
    """Check this interpreter, write the report, and turn the outcome into an exit code."""
    import time

    from cadoctor._commands.check import check  # the whole machinery: `check --help` (typer) never loads it
    from cadoctor._render.formats import render

    if options.pid is not None and options.pid < 1:
        return usage_error(
            options, "--pid %d is not a process ID: they start at 1 (0 is the kernel's idle task)" % options.pid
        )
    subjects = [  # --python with --root names an interpreter inside the image: one subject
        name
        for name, value in (("--python", options.python), ("--pid", options.pid), ("--root", options.root))
        if value is not None and not (name == "--python" and options.root is not None)
    ]
    if len(subjects) > 1:
        return usage_error(options, "%s name different subjects: choose one" % " and ".join(subjects))
    if subjects and subjects[0] != "--python" and options.hosts:
        return usage_error(
            options, "--host cannot be combined with %s: the handshake would come from here" % subjects[0]
        )
    for target in options.hosts:
        try:
            parse_target(target)
        except ValueError as exc:
            return usage_error(options, "--host: %s" % exc)
    if options.image_config is not None and options.root is None:
        return usage_error(options, "--image-config describes the image --root names: give --root DIR too")
    image_env = None
    if options.image_config is not None:
        from cadoctor._facts.subjects.image_config import ImageConfigError, read_image_config

        try:
            image_env = read_image_config(options.image_config)
        except ImageConfigError as exc:
            return usage_error(options, str(exc))
    started = time.monotonic()
    from cadoctor._facts.child.openssl_paths import blocking_configuration

    blocked = blocking_configuration()  # OpenSSL reads it when it loads (ssl, hashlib): no part of a check could run
    if blocked is not None:
        return _cannot_check(
            options, InterpreterError("this interpreter's OpenSSL: %s" % blocked), _run(options, started)
        )
    if not subjects and started_as_command():
        options = _users_python(options)
    reason = None if options.output is None else unwritable(options.output)
    if reason is not None:
        return usage_error(options, "cannot write %s: %s" % (options.output, reason))
    try:
        with progress(options.hosts):
            report = check(
                verify=options.verify,
                cache=options.cache,
                hosts=options.hosts,
                timeout=options.timeout,
                client_cert=options.client_cert,
                client_key=options.client_key,
                python=options.python,
                pid=options.pid,
                root=options.root,
                image_env=image_env,
            )
    except ClientCertificateError as exc:
        return usage_error(options, str(exc))
    except CheckError as exc:
        return _cannot_check(options, exc, _run(options, started))
    except Exception as exc:  # the probe never raises by design: anything here is a bug, reported in one line
        if os.environ.get("CADOCTOR_DEBUG"):
            raise
        return _cannot_check(options, exc, _run(options, started))
    code = exit_code(report, options.fail_on)
    state = plugin_state(report, options.fail_on)
    run = _run(options, started, state)
    failed = _deliver(options, lambda stream: render(report, options.fmt, stream, run))
    if failed is not None:
        return usage_error(options, failed)
    return state if options.fmt is Format.NAGIOS else code


def exit_code(report: Report, fail_on: FailOn) -> int:
    """1 for a trust finding at --fail-on; else 4 when a host gave no TLS answer (never with `never`); else 0."""
    if fail_on.reached(report.trust_findings):
        return EXIT_FINDINGS
    return EXIT_UNREACHABLE if report.unreachable and fail_on is not FailOn.NEVER else EXIT_OK


def plugin_state(report: Report, fail_on: FailOn) -> int:
    """The monitoring-plugin state (`--format nagios`), from the exit code the other formats give.

    CRITICAL where they exit non-zero (a trust finding at --fail-on, or a --host without a TLS answer); WARNING
    where they exit 0 but the verdict is not ok, or a host gave no TLS answer (`--fail-on never`); else OK.
    """
    if exit_code(report, fail_on) != EXIT_OK:
        return PLUGIN_CRITICAL
    return PLUGIN_WARNING if report.status != "ok" or report.unreachable else PLUGIN_OK


def _run(options: CheckOptions, started: float, state: int = PLUGIN_UNKNOWN) -> Run:
    """How the check ran, for the monitoring formats: its end, its length, its state and what is CRITICAL."""
    import time

    from cadoctor._model import Severity
    from cadoctor._render.run import Run

    critical = None if options.fail_on is FailOn.NEVER else Severity(options.fail_on.value)
    file = os.path.basename(options.output) if options.output else None
    return Run(finished=time.time(), seconds=time.monotonic() - started, state=state, critical=critical, file=file)


_KINDS = {InterpreterError: "interpreter", ProcessError: "process", RootError: "root"}


def _cannot_check(options: CheckOptions, exc: Exception, run: Run) -> int:
    """Exit 3 with one line on stderr and, where the report goes, what the format says of a check that did not run.

    JSON: a document holding an `error`; prometheus: `cadoctor_check_success 0`; nagios: an UNKNOWN status line.
    """
    kind = next((name for cls, name in _KINDS.items() if isinstance(exc, cls)), "internal")
    if kind == "interpreter":
        message = "cannot probe %s" % exc
    elif kind == "internal":
        message = "the probe could not run: %s: %s (CADOCTOR_DEBUG=1 shows where)" % (type(exc).__name__, exc)
    else:
        message = str(exc)
    error(message)
    document = None
    if options.fmt is Format.JSON:
        from cadoctor._render.failure import render_failure

        document = render_failure(kind, message)
    elif options.fmt is Format.PROMETHEUS:
        from cadoctor._render.prometheus import render_prometheus_failure

        document = render_prometheus_failure(run)
    elif options.fmt is Format.NAGIOS:
        from cadoctor._render.nagios import render_nagios_unknown

        document = render_nagios_unknown(message)
    if document is not None:
        text: str = document
        failed = _deliver(options, lambda stream: stream.write(text))
        if failed is not None:
            error(failed)
    return EXIT_CANNOT_EXAMINE  # 3, UNKNOWN as a plugin too


def _deliver(options: CheckOptions, write: Callable[[TextIO], object]) -> str | None:
    """Write to stdout or the --output file, whole or not at all; why it could not be, or None when it was."""
    if options.output is None:
        write(sys.stdout)
        return None
    from cadoctor._cli.output import write_atomically

    try:
        write_atomically(options.output, write)
    except OSError as exc:
        return "cannot write %s: %s" % (options.output, exc.strerror or exc)
    return None
