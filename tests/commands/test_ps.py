"""`cadoctor ps`: real processes on this host, grouped by the OpenSSL file they mapped."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.environment import child_env
from helpers.openssl import ForeignOpenSSL
from helpers.processes import WAIT, running
from helpers.runs import run_cadoctor

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ps reads Linux's /proc")


def _ps(*args: str) -> tuple[int, dict[str, Any]]:
    """Run `cadoctor ps --format json` and parse it."""
    result = run_cadoctor(["ps", "--format", "json", *args], child_env())
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def _group_of(document: dict[str, Any], pid: int) -> dict[str, Any]:
    """The group that lists a PID."""
    return next(g for g in document["groups"] if any(p["pid"] == pid for p in g["processes"]))


def test_processes_are_grouped_by_the_libcrypto_file_they_mapped(foreign_openssl: ForeignOpenSSL) -> None:
    """Two Pythons on the system libcrypto share a group; one on the foreign copy has its own, flagged empty."""
    code = "import ssl; " + WAIT
    foreign = child_env(LD_LIBRARY_PATH=str(foreign_openssl.directory))
    with (
        running([sys.executable, "-c", code], child_env()) as first,
        running([sys.executable, "-c", code], child_env()) as second,
        running([sys.executable, "-c", code], foreign) as third,
    ):
        status, document = _ps()
    system = _group_of(document, first.pid)
    assert system is _group_of(document, second.pid)
    assert system["library"]["openssldir"] == foreign_openssl.original
    other = _group_of(document, third.pid)
    assert other is not system
    assert other["library"]["path"] == str(foreign_openssl.libcrypto)
    assert other["library"]["openssldir"] == foreign_openssl.openssldir
    (entry,) = [p for p in other["processes"] if p["pid"] == third.pid]
    assert entry["trust"]["usable"] is False
    assert entry["user"] == next(p for p in system["processes"] if p["pid"] == first.pid)["user"]
    # Other processes on the machine may have empty stores of their own: only this test's PIDs are asserted on.
    empty = [f["evidence"]["pids"] for f in document["findings"] if f["code"] == "trust-store-empty"]
    assert any(third.pid in pids for pids in empty)
    assert not any(first.pid in pids or second.pid in pids for pids in empty)
    assert status == 1
    keys = {(g["device"], g["inode"]) for g in document["groups"]}
    assert len(keys) == len(document["groups"])  # one group per file


def test_an_env_override_is_judged_for_that_process(tmp_path: Path) -> None:
    """A process whose SSL_CERT_FILE names a missing file is flagged, though its library's defaults serve."""
    missing = str(tmp_path / "nothing.pem")
    env = child_env(SSL_CERT_FILE=missing, SSL_CERT_DIR=str(tmp_path))
    with running([sys.executable, "-c", "import ssl; " + WAIT], env) as child:
        status, document = _ps("--fail-on", "never")
    entry = next(p for p in _group_of(document, child.pid)["processes"] if p["pid"] == child.pid)
    assert entry["trust"]["cafile"] == missing
    assert entry["trust"]["usable"] is False
    assert "env:SSL_CERT_FILE" in entry["trust"]["source"]
    assert status == 0  # --fail-on never


def test_human_output_shows_groups_and_processes() -> None:
    """The human table names the library, its OPENSSLDIR and the PID of a process using it."""
    with running([sys.executable, "-c", "import ssl; " + WAIT], child_env()) as child:
        result = run_cadoctor(["ps", "--fail-on", "never"], child_env())
    assert result.returncode == 0
    assert "OPENSSLDIR" in result.stdout
    assert " %d " % child.pid in result.stdout
