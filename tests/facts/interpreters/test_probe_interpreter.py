"""Another interpreter run for its facts: on every Python it supports, and given up on when it stays silent."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from helpers.interpreters import misbehaving_python, pythons

from cadoctor import InterpreterError
from cadoctor._facts.interpreters.run import probe_interpreter


def test_a_silent_interpreter_is_given_up_on_time(tmp_path: Path) -> None:
    """An interpreter that never answers is abandoned at the deadline (and killed), not waited for."""
    python = misbehaving_python(tmp_path, "import time; time.sleep(60)")
    started = time.monotonic()
    with pytest.raises(InterpreterError, match="no answer within"):
        probe_interpreter(python, timeout=0.5)
    assert time.monotonic() - started < 5


def test_an_interpreter_blocked_at_start_by_a_fifo_is_named_with_its_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FIFO in SSL_CERT_FILE, opened at start (pip-system-certs' .pth does): the error says which and why."""
    fifo = tmp_path / "ca.fifo"
    os.mkfifo(fifo)
    monkeypatch.setenv("SSL_CERT_FILE", str(fifo))
    python = misbehaving_python(tmp_path, "import os; open(os.environ['SSL_CERT_FILE']).read()")
    with pytest.raises(InterpreterError, match="no answer within") as raised:
        probe_interpreter(python, timeout=0.5)
    assert "SSL_CERT_FILE=%s names a FIFO or a device" % fifo in str(raised.value)


@pytest.mark.slow
def test_the_probe_answers_json_on_every_supported_python() -> None:
    """The stdlib-only probe runs unchanged on each Python from 3.8 on that this machine has."""
    found = 0
    for version in ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"):
        if version not in pythons():
            continue
        facts = probe_interpreter(pythons()[version][0])
        assert facts["python"]["version"].startswith(version + ".")
        assert json.loads(json.dumps(facts)) == facts  # JSON through and through, as the child answered
        found += 1
    if not found:
        pytest.skip("no other interpreters here (pyenv or pythonX.Y on PATH)")
