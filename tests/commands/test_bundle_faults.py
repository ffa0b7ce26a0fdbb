"""A CA bundle rewritten while the check reads it: a report every time, whatever moment the writer is at.

`update-ca-certificates` and configuration management rewrite bundles in place on running machines. A writer here
rewrites SSL_CERT_FILE's bundle without pause (whole, cut mid-certificate, empty, garbage) while checks run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers.environment import child_env
from helpers.os_store import system_bundle_or_skip
from helpers.runs import CHILD_TIMEOUT, exit_for


@pytest.mark.slow
def test_a_bundle_rewritten_during_the_check_gives_a_report_every_time(tmp_path: Path) -> None:
    """Twelve checks against a bundle rewritten thousands of times meanwhile: each a valid report, no traceback."""
    whole = Path(system_bundle_or_skip()).read_bytes()
    states = [whole, whole[: len(whole) // 2], b"", b"\x00garbage\xff" * 4096, whole[:-200]]
    target = tmp_path / "bundle.pem"
    target.write_bytes(whole)
    stop = threading.Event()
    writes = [0]

    def rewrite() -> None:
        while not stop.is_set():
            with open(target, "r+b") as handle:  # in place, as `cat new > bundle` does: readers see the middle
                handle.truncate(0)
                handle.write(states[writes[0] % len(states)])
            writes[0] += 1

    writer = threading.Thread(target=rewrite, daemon=True)
    writer.start()
    outcomes = []
    try:
        for _ in range(12):
            done = subprocess.run(
                [sys.executable, "-m", "cadoctor", "check", "--format", "json", "--no-verify"],
                env=child_env(SSL_CERT_FILE=str(target)),
                capture_output=True,
                text=True,
                timeout=CHILD_TIMEOUT,
            )
            assert "Traceback" not in done.stderr, done.stderr
            report = json.loads(done.stdout)
            assert done.returncode == exit_for(report), done.stderr
            outcomes.append(report["status"])
    finally:
        stop.set()
        writer.join(timeout=10)
    assert writes[0] > 100, writes[0]  # the writer really raced the readers
    assert set(outcomes) <= {"ok", "warning", "error"}
