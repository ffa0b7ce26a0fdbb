"""An examined environment whose startup hangs (a `.pth` or sitecustomize that waits for ever): bounded, said once.

When the probe itself hangs, the check cannot run: exit 3 and one line, after the probe's 30 s. When only a fix
trial hangs, the check runs and that fix stays untried, saying why. Both run side by side: one wait, not two.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers.environment import child_env
from helpers.interpreters import misbehaving_python
from helpers.openssl import ForeignOpenSSL
from helpers.runs import run_cadoctor

HANG = "import time\nwhile True: time.sleep(60)"
PROBE_TIMEOUT = 30.0  # cadoctor's wait for another interpreter's answer (docs/exit-codes.md), and a fix trial's


@pytest.mark.slow
def test_a_hanging_probe_or_trial_ends_within_its_timeout(tmp_path: Path, foreign_openssl: ForeignOpenSSL) -> None:
    """The probe hangs: exit 3 naming the wait. A trial hangs: a report whose fixes say they were not shown."""
    probe_hangs = misbehaving_python(tmp_path / "probe", HANG, when="probe")
    trial_hangs = misbehaving_python(tmp_path / "trial", HANG, when="trial")
    broken = child_env(LD_LIBRARY_PATH=str(foreign_openssl.directory))  # a finding whose fixes are tried

    def timed(python: str, env: dict[str, str]) -> tuple[float, int, str, str]:
        started = time.monotonic()
        done = run_cadoctor(["check", "--format", "json", "--python", python], env)
        return time.monotonic() - started, done.returncode, done.stdout, done.stderr

    with ThreadPoolExecutor(max_workers=2) as pool:
        probe, trial = pool.map(lambda args: timed(*args), [(probe_hangs, child_env()), (trial_hangs, broken)])
    seconds, status, stdout, stderr = probe
    assert status == 3, stderr
    assert json.loads(stdout)["status"] == "failed"
    assert stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr
    assert seconds < PROBE_TIMEOUT + 15, seconds
    seconds, status, stdout, stderr = trial
    report = json.loads(stdout)
    assert status == 1, stderr
    assert "trust-store-empty" in {f["code"] for f in report["findings"]}
    tried = [f for f in report["fixes"] if f["kind"] == "env"]
    assert tried
    assert all(f["verified"] is not True for f in tried), tried
    assert any("30 s" in (f["evidence"] or "") for f in tried), [f["evidence"] for f in tried]
    assert seconds < 2 * PROBE_TIMEOUT + 30, seconds  # trials run side by side; each bounded
