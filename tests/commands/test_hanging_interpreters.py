"""An examined environment whose startup hangs (a `.pth` or sitecustomize that waits for ever): bounded, said once.

When the probe itself hangs, the check cannot run: exit 3 and one line, after the probe's 30 s. When only a fix
trial hangs, the check runs and that fix stays untried, saying why. Both run side by side: one wait, not two.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
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


def _state(pid: int) -> str | None:
    """A process's state letter (R, S, Z, ...), or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=["term", "int", "hup"])
def test_a_check_stopped_by_a_signal_takes_its_hanging_trials_along(tmp_path: Path, signum: int) -> None:
    """A check whose fix trials hang, stopped by SIGTERM (a time limit), Ctrl-C or SIGHUP while it waits for them:
    it ends by that signal at once, without a traceback, and no child it started runs on after it."""
    trial_hangs = misbehaving_python(tmp_path / "trial", HANG, when="trial")
    env = child_env(SSL_CERT_FILE=str(tmp_path / "missing.pem"))  # a finding whose fixes are tried
    check = subprocess.Popen(
        [sys.executable, "-m", "cadoctor", "check", "--python", trial_hangs],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        children: list[int] = []
        while time.monotonic() < deadline and not children:
            time.sleep(0.2)
            children = [c for c in _children(check.pid) if "misbehaving" in Path("/proc/%d/cmdline" % c).read_text()]
        assert children, "no trial started"
        time.sleep(0.5)  # the child is hanging in its startup, the check waiting for it
        check.send_signal(signum)
        status = check.wait(timeout=10)
        stderr = check.stderr.read().decode() if check.stderr else ""
    finally:
        if check.poll() is None:
            check.kill()
            check.wait()
        if check.stderr is not None:
            check.stderr.close()
    time.sleep(0.3)
    running = [c for c in children if _state(c) not in (None, "Z")]  # killed: a zombie awaits its new parent
    for child in running:  # a test that fails leaves none of them hanging on the machine
        os.kill(child, signal.SIGKILL)
    assert status == -signum, stderr
    assert "Traceback" not in stderr
    assert running == []
