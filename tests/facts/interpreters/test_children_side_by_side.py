"""Children side by side (`run.run_all`): at most one per allowed CPU, answers in order, one shared deadline."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from helpers.environment import child_env

from cadoctor._facts.interpreters.proof import prove_python
from cadoctor._facts.interpreters.run import run_all, workers

# Each child notes when it ran (its start and end, from its own clock) and echoes its payload.
NOTE = (
    "import sys, time\n"
    "start = time.monotonic()\n"
    "word, pause = sys.stdin.read().split()\n"
    "time.sleep(float(pause))\n"
    "print(word, start, time.monotonic())\n"
)


def _spans(results: list[tuple[int, bytes, bytes] | str]) -> list[tuple[str, float, float]]:
    """Each child's word and the span of time it ran."""
    spans = []
    for result in results:
        assert not isinstance(result, str), result
        word, start, end = result[1].decode().split()
        spans.append((word, float(start), float(end)))
    return spans


def _most_at_once(spans: list[tuple[str, float, float]]) -> int:
    """The most children that ran at the same moment."""
    return max(sum(1 for _, start, end in spans if start <= moment < end) for _, moment, _ in spans)


@pytest.mark.parametrize("allowed", ["1", "2"])
def test_at_most_the_allowed_children_run_at_once(allowed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """CADOCTOR_TRIAL_WORKERS bounds the children running at once (never beyond the CPUs); answers keep their order."""
    monkeypatch.setenv("CADOCTOR_TRIAL_WORKERS", allowed)
    expected = min(int(allowed), len(os.sched_getaffinity(0)))
    assert workers() == expected
    jobs = [(b"job%d 0.3" % i, child_env(), None, 20.0) for i in range(4)]
    spans = _spans(run_all(prove_python(sys.executable), ["-c", NOTE], jobs))
    assert [word for word, _, _ in spans] == ["job0", "job1", "job2", "job3"]
    assert _most_at_once(spans) <= expected


def test_children_that_hang_cost_one_wait_not_one_each(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """One at a time, a child that hangs is killed at its limit; the next, whose limit has passed, is not started."""
    monkeypatch.setenv("CADOCTOR_TRIAL_WORKERS", "1")
    started = tmp_path / "started"
    hang = "import sys, time\nwith open(sys.argv[1], 'a') as log:\n    log.write('ran\\n')\ntime.sleep(60)\n"
    jobs = [(b"", child_env(), None, 1.0), (b"", child_env(), None, 1.0)]
    began = time.monotonic()
    results = run_all(prove_python(sys.executable), ["-c", hang, str(started)], jobs)
    assert time.monotonic() - began < 10
    assert results == ["no answer within 1 s", "no answer within 1 s"]
    assert started.read_text() == "ran\n"  # the first ran; the second never had a CPU before its time was up


def test_a_child_that_closes_its_output_and_lingers_costs_its_limit_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Late in its time it closes its output, then does not exit: killed when its one limit is up, not given the
    whole limit again to exit."""
    monkeypatch.setenv("CADOCTOR_TRIAL_WORKERS", "1")
    linger = (
        "import os, sys, time\nsys.stdin.read()\nlimit = float(sys.argv[1])\ntime.sleep(0.7 * limit)\n"
        "os.close(1)\nos.close(2)\ntime.sleep(3 * limit)\n"
    )
    limit = 2.0
    began = time.monotonic()
    (result,) = run_all(prove_python(sys.executable), ["-c", linger, str(limit)], [(b"", child_env(), None, limit)])
    took = time.monotonic() - began
    assert result == "closed its output but did not exit within 2 s"
    assert took < 1.4 * limit, took
