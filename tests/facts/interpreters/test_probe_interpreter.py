"""Another interpreter run for its facts: on every Python it supports, and given up on when it stays silent."""

from __future__ import annotations

import json
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
