"""Real processes for --pid and ps: started, waited for until they are set up, and stopped."""

from __future__ import annotations

import contextlib
import select
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from helpers.runs import CHILD_TIMEOUT

WAIT = "import sys; print('ready', flush=True); sys.stdin.read()"


def maps_name(pid: int, part: str) -> bool:
    """Whether a process has mapped a file whose path contains `part`."""
    try:
        return part in Path("/proc/%d/maps" % pid).read_text()
    except OSError:
        return False


@contextlib.contextmanager
def running(args: list[str], env: dict[str, str], mapped: str | None = None) -> Iterator[subprocess.Popen[str]]:
    """Start a real process and wait until it is set up; stop it at the end.

    It is set up once it prints `ready`, or, with `mapped`, once it maps a file whose path contains that.
    """
    child = subprocess.Popen(
        args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        deadline = time.monotonic() + CHILD_TIMEOUT
        if mapped is not None:
            while not maps_name(child.pid, mapped):
                assert child.poll() is None, "the child exited before it was set up"
                assert time.monotonic() < deadline, "the child was not set up in time"
                time.sleep(0.01)
        else:
            assert child.stdout is not None
            started, _, _ = select.select([child.stdout], [], [], CHILD_TIMEOUT)
            line = child.stdout.readline() if started else ""
            assert line.strip() == "ready", "the child did not start: %r" % line
        yield child
    finally:
        child.kill()
        child.communicate(timeout=CHILD_TIMEOUT)
