"""Other processes read from outside, behind one switch: /proc directly on Linux (`procfs`), psutil elsewhere.

Contract:
- reads: a process's maps, environment, executable and root, without signalling, attaching to or running
  anything in it; both backends give the same `ProcessView` and `MappedFile` records;
- `copies` names the OpenSSL copies a process mapped and the one its program runs;
- declared error: `cadoctor.ProcessError` (gone, a zombie or kernel thread, or `denied=True`: not ours to read).
"""

from __future__ import annotations

import sys

from cadoctor._facts.process import portable
from cadoctor._facts.process import procfs as process
from cadoctor._facts.process.procfs import MappedFile, ProcessView

PROCFS = sys.platform.startswith("linux")  # tests set it False to run the psutil reader on Linux


def pids() -> list[int]:
    """Every process ID this platform lists, except this one."""
    return process.pids() if PROCFS else portable.pids()


def read_maps(pid: int) -> tuple[MappedFile, ...]:
    """The files a process mapped, where reading them first is cheap (/proc); else none, for read_process to find."""
    return process.read_maps(pid) if PROCFS else ()


def read_process(pid: int, *, environment: bool = True, maps: tuple[MappedFile, ...] | None = None) -> ProcessView:
    """Read one process (raises ProcessError with the reason it cannot be read); `maps` when read already."""
    if PROCFS:
        return process.read_process(pid, environment=environment, maps=maps)
    return portable.read_process(pid, environment=environment)


def read_environ(pid: int) -> dict[str, str]:
    """The environment of a process (raises ProcessError)."""
    return process.read_environ(pid) if PROCFS else portable.read_environ(pid)
