"""The human output on an 80-column terminal: folded at words to the width, and as it always was on a pipe or a file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from helpers.environment import child_env
from helpers.processes import WAIT, running
from helpers.runs import CHILD_TIMEOUT, COMMAND, on_terminal

from cadoctor._cli.app import app

ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # colours and styles, as rich writes them to a terminal
WIDTH = 80


def _piped(argv: list[str], env: dict[str, str]) -> str:
    """What `argv` writes to a pipe (stdout)."""
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def _shown(argv: list[str], env: dict[str, str], columns: int = WIDTH, *, stderr: bool = False) -> list[str]:
    """The rows a terminal `columns` wide shows for `argv` (stdout, and stderr when asked), styles taken out."""
    _, seen = on_terminal(argv, env, columns, stderr=stderr)
    return ESCAPE.sub("", seen).splitlines()


def _words(text: str | list[str]) -> list[str]:
    """The words of some text, in order: what folding at spaces must keep whole."""
    return (text if isinstance(text, str) else "\n".join(text)).split()


def _too_wide(rows: list[str], columns: int, pasted: Collection[str] = ()) -> list[str]:
    """The rows wider than the terminal, but for a line to paste and a word too long for any row (left whole)."""
    return [row for row in rows if len(row) > columns and row.strip() not in pasted and len(row.split()) > 1]


def _pasted(argv: list[str], env: dict[str, str]) -> set[str]:
    """Every line of every fix's ready-to-paste forms, from the JSON report."""
    report = json.loads(_piped([*argv, "--format", "json"], env))
    return {line for fix in report["fixes"] for text in fix["lines"].values() for line in text.splitlines()}


@pytest.fixture
def gone() -> Iterator[str]:
    """A short path to a file that does not exist (pytest's own tmp_path is longer than a finding's room)."""
    with tempfile.TemporaryDirectory(prefix="w", dir="/tmp") as folder:
        yield str(Path(folder) / "gone.pem")


def test_check_folds_at_words_to_80_columns_and_a_pipe_or_file_keeps_its_lines(gone: str, tmp_path: Path) -> None:
    """On 80 columns every row of the report fits, but for a line to paste or a word too long for any row, which
    stays whole; the words are the pipe's, in order; the pipe and --output keep each line whole, uncoloured."""
    env = child_env(SSL_CERT_FILE=gone, TERM="xterm")
    argv = [str(COMMAND), "check", "--python", sys.executable]
    piped = _piped(argv, env)
    written = tmp_path / "report.txt"
    status, seen = on_terminal([*argv, "--output", str(written)], env)
    rows = _shown(argv, env)
    assert (status, seen) == (1, "")
    assert written.read_text() == piped  # a file is written as a pipe is, though the command ran on a terminal
    assert "\x1b[" not in piped
    assert "env-path-invalid" in piped
    assert max(len(line) for line in piped.splitlines()) > WIDTH  # the pipe's lines were not folded
    assert len(rows) > len(piped.splitlines())  # the terminal's were
    assert _words(rows) == _words(piped)
    assert _too_wide(rows, WIDTH, _pasted(argv, env)) == []
    wrapped = [row for row in rows if row.startswith("  x env-path-invalid  ")]
    assert len(wrapped) == 1
    continued = rows[rows.index(wrapped[0]) + 1]
    assert continued.startswith(" " * len("  x env-path-invalid  ") + continued.strip())  # under the finding's text


def test_columns_sets_the_width_on_a_terminal_and_nothing_on_a_pipe(gone: str) -> None:
    """COLUMNS=60 folds a terminal's report to 60 columns, as rich and click read it; a pipe keeps its lines."""
    argv = [str(COMMAND), "check", "--python", sys.executable, "--no-verify"]
    plain = child_env(SSL_CERT_FILE=gone, TERM="xterm")
    narrow = {**plain, "COLUMNS": "60"}
    assert _piped(argv, narrow) == _piped(argv, plain)
    rows = _shown(argv, narrow)
    assert max(len(row) for row in rows) > 60  # a line to paste, left whole
    assert _too_wide(rows, 60, _pasted(argv, plain)) == []
    assert _words(rows) == _words(_piped(argv, plain))


def test_ps_rows_fit_80_columns_cut_at_their_command() -> None:
    """ps's table on 80 columns: a long command is cut with `...` at the edge, PID, USER, TRUST and USED BY whole;
    the pipe shows the whole command."""
    tail = "--an-argument-that-makes-the-command-long"  # the whole command stays under ps's own cap (200)
    argv = [str(COMMAND), "ps", "--fail-on", "never"]
    env = child_env(TERM="xterm")
    with running([sys.executable, "-c", "import ssl; " + WAIT, tail], child_env()) as child:
        rows = _shown(argv, env)
        piped = _piped(argv, env)
    assert _too_wide(rows, WIDTH) == []  # a library's path longer than a row may stand alone, as a word
    (row,) = [row for row in rows if row.startswith("  %7d  " % child.pid)]
    (whole,) = [line for line in piped.splitlines() if line.startswith("  %7d  " % child.pid)]
    assert re.match(r" +%d  \S+ +ok +python-ssl +/" % child.pid, row), row
    assert (len(row), row[:-3]) == (WIDTH, whole[: WIDTH - 3])
    assert row.endswith("...")
    assert whole.endswith("-c import ssl; %s %s" % (WAIT, tail))


def _command_help() -> dict[str, str]:
    """Each command's short help, as the app declares it."""
    group = typer.main.get_command(app)
    commands: dict[str, Any] = group.commands  # type: ignore[attr-defined]
    return {name: command.short_help for name, command in commands.items()}


def test_top_level_help_shows_each_command_whole_at_80_columns() -> None:
    """`cadoctor --help` on 80 columns lists every command with its description whole, on one row, nothing cut."""
    rows = _shown([str(COMMAND), "--help"], child_env(TERM="xterm"))
    assert all(len(row) <= WIDTH for row in rows)
    described = _command_help()
    assert set(described) == {"check", "explain", "inspect", "ps"}
    for name, short in described.items():
        assert short is not None
        assert any(re.fullmatch(r"  %s +%s" % (name, re.escape(short)), row) for row in rows), (name, rows)


@pytest.mark.parametrize("command", ["check", "ps", "inspect", "explain"])
def test_each_command_help_fits_80_columns(command: str) -> None:
    """Each command's --help on 80 columns: every row fits, no word split (the words of a 200-column pipe's)."""
    rows = _shown([str(COMMAND), command, "--help"], child_env(TERM="xterm"))
    assert rows[0] == "Usage: cadoctor %s [OPTIONS]%s" % (command, rows[0].split("[OPTIONS]", 1)[1])
    assert all(len(row) <= WIDTH for row in rows), rows
    assert _words(rows) == _words(_piped([str(COMMAND), command, "--help"], child_env(COLUMNS="200")))


def test_check_help_says_whose_python_it_examines() -> None:
    """`check --help` says the Python examined is the user's by default, and which options name another."""
    text = " ".join(_words(_piped([str(COMMAND), "check", "--help"], child_env())))
    assert "this interpreter's" not in text
    assert "The Python is yours by default: the active venv's, else the python3 on PATH (installed in an app's" in text
    assert "--python, --pid or --root examine another" in text


def test_a_usage_error_folds_on_a_terminal_and_stays_one_line_on_a_pipe() -> None:
    """A message on stderr wider than the terminal folds under its text; on a pipe it is one line."""
    argv = [str(COMMAND), "check", "--pid", "0"]
    _, seen = on_terminal(argv, child_env(TERM="xterm"), 60, stdout=False)
    piped = subprocess.run(argv, env=child_env(), capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False)
    rows = seen.splitlines()
    assert piped.returncode == 2
    assert piped.stderr.count("\n") == 1
    assert len(piped.stderr) > 60
    assert len(rows) > 1
    assert all(len(row) <= 60 for row in rows)
    assert all(row.startswith(" " * len("cadoctor: ")) for row in rows[1:])
    assert _words(rows) == _words(piped.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ["inspect", sys.executable, "/etc/ssl/certs"],
        ["explain", "certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)"],
        ["explain", "nothing any TLS library would print"],
    ],
    ids=["inspect", "explain", "explain-unknown"],
)
def test_inspect_and_explain_fold_at_words_to_80_columns(args: list[str]) -> None:
    """inspect's and explain's lines fit 80 columns (a command to run or a long word left whole), the pipe's words."""
    argv = [str(COMMAND), *args]
    rows = _shown(argv, child_env(TERM="xterm"))
    piped = _piped(argv, child_env())
    assert _too_wide(rows, WIDTH, {line.strip() for line in piped.splitlines() if line.startswith("   run: ")}) == []
    assert _words(rows) == _words(piped)
    assert [row for row in rows if row.startswith("   run: ")] == [
        line for line in piped.splitlines() if line.startswith("   run: ")
    ]
