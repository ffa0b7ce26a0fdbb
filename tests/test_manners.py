"""Command-line manners: a closed pipe, -h and -V everywhere, real metavars, --output first, progress, summary."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CHILD_TIMEOUT, clean_env, run_cadoctor

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
            env=clean_env(),
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


def test_head_of_the_report_keeps_the_health_answer() -> None:
    """`cadoctor check | head -1` (and `--help | head -1`) exit 0 or 141, whichever side of the race wins."""
    if not Path("/bin/bash").exists():
        pytest.skip("no bash for PIPESTATUS")
    for args in ("check", "--help") * 3:
        done = subprocess.run(
            ["/bin/bash", "-c", '"$0" -m cadoctor %s | head -1; echo "${PIPESTATUS[0]}"' % args, sys.executable],
            env=clean_env(),
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
    helped = run_cadoctor([*command, "-h"], clean_env())
    assert helped.returncode == 0
    assert helped.stdout.startswith("Usage: cadoctor %s" % " ".join(command))
    for flag in ("-V", "--version"):
        shown = run_cadoctor([*command, flag], clean_env())
        assert (shown.returncode, shown.stdout) == (0, "cadoctor %s\n" % cadoctor.__version__)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_real_metavars(command: list[str]) -> None:
    """No `<bool>`, `<str>` or `<list[str]>` type placeholders: every value is named for what it is."""
    helped = run_cadoctor([*command, "--help"], clean_env(COLUMNS="200"))
    assert helped.returncode == 0
    assert not re.findall(r"<[a-z_\[\]| ]+>", helped.stdout), helped.stdout
