"""Command-line manners: a closed pipe, -h and -V everywhere, real metavars, --output first, progress on a terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.environment import child_env
from helpers.runs import CHILD_TIMEOUT, on_terminal, run_cadoctor
from helpers.servers import never_answer, serve

import cadoctor

COMMANDS = [[], ["check"], ["inspect"], ["explain"], ["ps"]]
READER_LEFT = 141  # 128 + SIGPIPE, what `set -o pipefail` reports for a writer whose reader left


def _into_closed_pipe(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m cadoctor ARGS` with stdout a pipe whose reader has already gone."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return subprocess.run(
            [sys.executable, "-m", "cadoctor", *args],
            stdout=writer,
            stderr=subprocess.PIPE,
            env=child_env(),
            timeout=CHILD_TIMEOUT,
            check=False,
        )
    finally:
        os.close(writer)


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["check", "--format", "json", "--no-verify"],
        ["--help"],
        ["check", "--help"],
        ["explain", "unable to get local issuer certificate"],
        ["inspect", "/etc/ssl/certs"],
        ["ps", "--fail-on", "never"],
        ["--version"],
    ],
)
def test_a_reader_that_left_is_not_a_finding(args: list[str]) -> None:
    """Writing into a pipe whose reader has gone exits 141, silently: never 1 (findings), never a traceback."""
    result = _into_closed_pipe(args)
    assert (result.returncode, result.stderr.decode()) == (READER_LEFT, "")


def test_head_of_the_report_keeps_the_health_answer(pip_conf: str) -> None:
    """`cadoctor check | head -1` (and `--help | head -1`) exit 0 or 141, whichever side of the race wins."""
    if not Path("/bin/bash").exists():
        pytest.skip("no bash for PIPESTATUS")
    for args in ("check", "--help") * 3:
        done = subprocess.run(
            ["/bin/bash", "-c", '"$0" -m cadoctor %s | head -1; echo "${PIPESTATUS[0]}"' % args, sys.executable],
            env=child_env(PIP_CONFIG_FILE=pip_conf),
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
        status = done.stdout.splitlines()[-1]
        assert args != "check" or done.stdout.startswith("cadoctor: OK")
        assert status in ("0", "141"), (args, done.stderr)
        assert done.stderr == ""


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_answers_h_and_version(command: list[str]) -> None:
    """-h prints the help and -V/--version the version, on the app and on every command, exit 0."""
    helped = run_cadoctor([*command, "-h"], child_env())
    assert helped.returncode == 0
    assert helped.stdout.startswith("Usage: cadoctor %s" % " ".join(command))
    for flag in ("-V", "--version"):
        shown = run_cadoctor([*command, flag], child_env())
        assert (shown.returncode, shown.stdout) == (0, "cadoctor %s\n" % cadoctor.__version__)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_real_metavars(command: list[str]) -> None:
    """No `<bool>`, `<str>` or `<list[str]>` type placeholders: every value is named for what it is."""
    helped = run_cadoctor([*command, "--help"], child_env(COLUMNS="200"))
    assert helped.returncode == 0
    assert not re.findall(r"<[a-z_\[\]| ]+>", helped.stdout), helped.stdout


def test_unwritable_output_stops_before_the_work(tmp_path: Path) -> None:
    """An --output that cannot be written exits 2 in one line before the probe runs (a missing PID is not reached)."""
    for target in (tmp_path / "no" / "such" / "dir.json", tmp_path):
        result = run_cadoctor(["check", "--pid", "999999999", "--output", str(target)], child_env())
        assert result.returncode == 2
        assert result.stderr.startswith("cadoctor: cannot write %s: " % target)
        assert result.stderr.count("\n") == 1


def _stderr_on_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run cadoctor with stderr on a pseudo-terminal (stdout discarded); its exit status and what the terminal got."""
    return on_terminal([sys.executable, "-m", "cadoctor", *args], env, stdout=False)


@pytest.mark.slow
def test_progress_only_on_a_terminal_while_a_host_is_slow() -> None:
    """A handshake that hangs for more than a second names the host on a terminal's stderr, and never on a pipe."""
    with serve(never_answer) as port:
        target = "localhost:%d" % port
        args = ["check", "--host", target, "--timeout", "2.5", "--no-verify", "--format", "json"]
        started = time.monotonic()
        status, terminal = _stderr_on_terminal(args, child_env())
        assert time.monotonic() - started > 1
        piped = run_cadoctor(args, child_env())
    assert status == piped.returncode == 4  # the host gave no TLS answer (docs/exit-codes.md)
    assert "waiting for %s" % target in terminal
    assert terminal.endswith("\x1b[2K\r")  # erased before the report
    assert piped.stderr == ""


def test_explain_says_what_it_waits_for_on_a_terminal_and_nothing_on_a_pipe() -> None:
    """With stdin a terminal, explain tells stderr to paste the message and end it; from a pipe, it stays silent."""
    message = b"curl: (60) SSL certificate problem: unable to get local issuer certificate"
    leader, follower = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "cadoctor", "explain"],
        env=child_env(),
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(follower)
    try:
        assert child.stderr is not None
        ready, _, _ = select.select([child.stderr], [], [], CHILD_TIMEOUT)
        prompt = child.stderr.readline() if ready else b""  # said before anything was typed
        os.write(leader, message + b"\n\x04")  # the line, then Ctrl-D at the start of the next: end of input
        out, rest = child.communicate(timeout=CHILD_TIMEOUT)
    finally:
        os.close(leader)
    assert prompt == b"cadoctor: paste the error message, then Ctrl-D (or pass it as an argument)\n"
    assert (child.returncode, rest) == (0, b"")
    assert b"host-unknown-ca" in out
    piped = run_cadoctor(["explain"], child_env(), input=message.decode())
    assert (piped.returncode, piped.stderr) == (0, "")
    assert piped.stdout == out.decode()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["check", "--bogus"], "No such option: --bogus"),
        (["check", "--timeout", "soon"], "Invalid value for '--timeout'"),
        (["inspect"], "Missing argument 'PATH'"),
        (["ps", "--format", "json", "--verbose"], "No such option: --verbose"),
        (["nosuch"], "No such command 'nosuch'"),
    ],
    ids=["option", "value", "argument", "ps-option", "command"],
)
def test_a_usage_error_is_one_line_naming_the_help(args: list[str], said: str) -> None:
    """Every usage error, typer's own included, is one line on stderr (as every other error is), exit 2, saying
    what is wrong and which -h shows the options; stdout stays empty."""
    done = run_cadoctor(args, child_env())
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("cadoctor: %s" % said), done.stderr
    command = "cadoctor %s-h" % ("%s " % args[0] if args[0] != "nosuch" else "")
    assert done.stderr.rstrip().endswith("(%s shows the options)" % command), done.stderr
