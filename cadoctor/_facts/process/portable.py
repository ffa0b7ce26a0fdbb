"""Another process through psutil, where there is no /proc to read directly (macOS, Windows, the BSDs).

On Linux `process.py` reads /proc itself: measured over 268 processes, listing them with user and command line
took 5.5 ms that way and 12.3 ms through psutil, and the maps of 200 Pythons 16 ms against 341 ms (psutil
parses every field of every region, and drops the `(deleted)` mark that --pid reports). Elsewhere psutil is
what there is, so `ps` and `--pid` degrade to what it can tell instead of stopping: no deleted-file marks, no
container roots, and no library list where the platform gives none (macOS: the executable alone).
"""

from __future__ import annotations

import os

from cadoctor._errors import ProcessError
from cadoctor._facts.fs.fileroot import HOST
from cadoctor._facts.process.procfs import MappedFile, ProcessView

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    import psutil


def pids() -> list[int]:
    """Every process ID psutil lists, except this one."""
    import psutil

    own = os.getpid()
    return sorted(pid for pid in psutil.pids() if pid != own)


def _mapped(path: str, region: str) -> MappedFile:
    """One mapped file, keyed by the device and inode the file has now (`?` and 0 once it is gone)."""
    try:
        status = os.stat(path)
    except OSError:
        return MappedFile(path, "?", 0, True, region)
    return MappedFile(
        path, "%02x:%02x" % (os.major(status.st_dev), os.minor(status.st_dev)), status.st_ino, False, region
    )


def _maps(process: psutil.Process, exe: str | None) -> tuple[MappedFile, ...]:
    """The files the process mapped, or just its executable where psutil cannot list them (macOS)."""
    listing = getattr(process, "memory_maps", None)
    regions: Iterator[tuple[str, str]] = iter(())
    if listing is not None:
        regions = ((m.path, m.addr) for m in listing(grouped=False) if os.path.isabs(m.path))
    maps = tuple(_mapped(path, region) for path, region in regions)
    if not maps and exe:
        maps = (_mapped(exe, "0-0"),)
    return maps


def _failure(pid: int, exc: Exception) -> ProcessError:
    """The one line that explains why psutil could not read the process."""
    import psutil

    if isinstance(exc, psutil.ZombieProcess):
        return ProcessError("process %d is a zombie: it has exited and its parent has not collected it" % pid)
    if isinstance(exc, psutil.NoSuchProcess):
        return ProcessError("no process %d" % pid)
    if isinstance(exc, psutil.AccessDenied):
        return ProcessError("access denied to process %d: run as its owner or an administrator" % pid, denied=True)
    return ProcessError("cannot read process %d: %s" % (pid, exc))


def read_environ(pid: int) -> dict[str, str]:
    """The environment of a process (raises ProcessError)."""
    import psutil

    try:
        return dict(psutil.Process(pid).environ())
    except (psutil.Error, OSError) as exc:
        raise _failure(pid, exc) from None


def read_process(pid: int, *, environment: bool = True) -> ProcessView:
    """Read one process through psutil (raises ProcessError with the reason it cannot be read)."""
    import psutil

    if pid <= 0:
        raise ProcessError("%d is not a process ID" % pid)
    try:
        process = psutil.Process(pid)
        with process.oneshot():
            real, effective = process.uids()[:2] if hasattr(process, "uids") else (-1, -1)
            try:
                user = process.username()
            except psutil.AccessDenied:
                user = str(real)
            exe = process.exe() or None
            view = ProcessView(
                pid=pid,
                ppid=process.ppid(),
                uid=real,
                euid=effective,
                user=user,
                command=process.name(),
                cmdline=tuple(process.cmdline()),
                exe=exe,
                exe_deleted=False,
                environ=dict(process.environ()) if environment else {},
                maps=_maps(process, exe),
                start=int(process.create_time() * 100),
                root=HOST,
            )
    except (psutil.Error, OSError) as exc:
        raise _failure(pid, exc) from None
    if not view.maps:
        raise ProcessError("process %d (%s) shows no mapped files to psutil" % (pid, view.command))
    return view
