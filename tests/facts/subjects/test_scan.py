"""scan(), what ps reads: each file once, processes without TLS no further than their maps, and no judgement."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers.environment import child_env
from helpers.processes import WAIT, running

from cadoctor._facts.subjects.scan import scan
from cadoctor._rules.processes import judge_trust

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ps reads Linux's /proc")


def _settled(pid: int) -> None:
    """Wait until a process's maps stop changing (its loader is done)."""
    before = ""
    for _ in range(200):
        now = Path("/proc/%d/maps" % pid).read_text()
        if now == before:
            return
        before = now
        time.sleep(0.02)
    raise AssertionError("the maps of %d never settled" % pid)


def test_each_file_is_read_once_however_many_processes_map_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Five Pythons on one libcrypto, executable and _ssl module: one scan reads no file twice."""
    from cadoctor._facts.child import build_strings

    reads: list[str] = []
    real = build_strings.read_build_strings

    def counting(path: str, spans: Any = None) -> dict[str, Any]:
        reads.append(os.path.realpath(path))
        return real(path, spans)

    monkeypatch.setattr(build_strings, "read_build_strings", counting)
    code = "import ssl; " + WAIT
    with contextlib.ExitStack() as stack:
        ours = {stack.enter_context(running([sys.executable, "-c", code], child_env())).pid for _ in range(5)}
        result = scan()
    seen = {p.pid for g in result.groups for p in g.processes if p.pid in ours}
    assert seen == ours  # only the processes this test started count: others on the machine come and go
    assert reads  # the files were read here, through the counter
    assert len(reads) == len(set(reads)) == result.files_read


def test_processes_of_a_program_without_tls_are_read_no_further(monkeypatch: pytest.MonkeyPatch) -> None:
    """Four `sleep`s map the same files and no OpenSSL: at most one of them is read past its maps."""
    from cadoctor._facts import process as processes
    from cadoctor._facts.process import read_process as real

    reads: list[int] = []

    def counting(pid: int, **options: Any) -> Any:
        reads.append(pid)
        return real(pid, **options)

    monkeypatch.setattr(processes, "read_process", counting)
    with contextlib.ExitStack() as stack:
        ours = {stack.enter_context(running(["sleep", "60"], child_env(), mapped="bin/sleep")).pid for _ in range(4)}
        for pid in ours:
            _settled(pid)
        result = scan()
    assert len(ours & set(reads)) <= 1
    assert not {p.pid for g in result.groups for p in g.processes} & ours
    assert result.processes >= len(ours)


def test_the_scan_looks_and_the_ps_rules_judge() -> None:
    """scan() records what a process's CA locations hold and leaves `usable` unjudged; the ps rules decide it."""
    with running([sys.executable, "-c", "import ssl; " + WAIT], child_env()) as child:
        result = scan()
    (seen,) = [p for g in result.groups for p in g.processes if p.pid == child.pid]
    assert seen.trust is not None
    assert seen.trust.usable is None
    assert [b.path for b in seen.trust.looked] == [p for p in (seen.trust.cafile, *seen.trust.capaths) if p]
    (judged,) = [p for g in judge_trust(result).groups for p in g.processes if p.pid == child.pid]
    assert judged.trust is not None
    assert judged.trust.usable is True


@pytest.mark.root("to become another user")
def test_a_process_this_user_may_not_read_is_listed_not_dropped() -> None:
    """Run as nobody, ps lists this test's (root's) process as unreadable, with the reason."""
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(reader)
        try:
            os.setgid(65534)
            os.setuid(65534)
            found = [u.pid for u in scan().unreadable if "access denied" in u.reason]
            message = json.dumps(found)
        except BaseException as exc:  # reported to the parent, which fails the test
            message = json.dumps("crashed: %r" % exc)
        os.write(writer, message.encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        found = json.loads(pipe.read().decode())
    os.waitpid(child, 0)
    assert isinstance(found, list), found
    assert os.getpid() in found
