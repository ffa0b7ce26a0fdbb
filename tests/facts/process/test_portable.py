"""Where there is no /proc, psutil reads other processes: `--pid` and `ps` degrade instead of stopping."""

from __future__ import annotations

import sys

import pytest
from helpers.environment import child_env
from helpers.openssl import ForeignOpenSSL
from helpers.processes import WAIT, running

import cadoctor
from cadoctor._facts import process as processes
from cadoctor._facts.process import portable
from cadoctor._facts.subjects.scan import scan

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="compared with Linux's /proc reader")


def _codes(report: cadoctor.Report) -> set[str]:
    """The finding codes of a report."""
    return {f.code for f in report.findings}


def test_pid_through_psutil_finds_what_proc_finds(
    foreign_openssl: ForeignOpenSSL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Python on a foreign libcrypto, read through psutil, is diagnosed as through /proc: same copy, same codes."""
    env = child_env(LD_LIBRARY_PATH=str(foreign_openssl.directory))
    with running([sys.executable, "-c", "import ssl; " + WAIT], env) as child:
        direct = cadoctor.check(pid=child.pid, verify=False)
        monkeypatch.setattr(processes, "PROCFS", False)
        through = cadoctor.check(pid=child.pid, verify=False)
    assert through.facts.ssl_library is not None
    assert through.facts.ssl_library.path == str(foreign_openssl.libcrypto)
    assert through.facts.ssl_library.openssldir == foreign_openssl.openssldir
    assert "trust-store-empty" in _codes(through)
    assert _codes(through) == _codes(direct)


def test_ps_through_psutil_groups_this_tests_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """`ps` with psutil as the reader lists a Python this test started in the group of the libcrypto it mapped."""
    monkeypatch.setattr(processes, "PROCFS", False)
    with running([sys.executable, "-c", "import ssl; " + WAIT], child_env()) as child:
        result = scan()
    (group,) = [g for g in result.groups if any(p.pid == child.pid for p in g.processes)]
    assert "libcrypto" in group.library.path
    assert group.library.openssldir


def test_a_missing_process_is_one_line_through_psutil() -> None:
    """psutil's reader turns a PID that does not exist into a ProcessError naming it."""
    with running([sys.executable, "-c", WAIT], child_env()) as child:
        gone = child.pid
    with pytest.raises(cadoctor.ProcessError, match="no process %d" % gone):
        portable.read_process(gone)
