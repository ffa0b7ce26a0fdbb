"""Another process, read from outside through /proc (Linux): its maps, environment, executable and root.

Nothing here signals, attaches to or runs anything in the process. The files it mapped are read through
`/proc/PID/map_files` when the kernel allows (the exact bytes, even when deleted or in another mount
namespace), otherwise by path inside the process's own root.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import sys
from collections.abc import Mapping

from cadoctor._errors import ProcessError
from cadoctor._facts.child import libraries
from cadoctor._facts.fs.fileroot import HOST, FileRoot
from cadoctor._record import field, record

PF_KTHREAD = 0x00200000  # the flags bit of a kernel thread in /proc/PID/stat


READ_LIMIT = 64 << 20  # maps of a large JVM are a few MiB; environments are at most a few MiB


_PYTHON_EXE = re.compile(r"^python(\d(\.\d+)?)?$")


# CPython's own files, by name: libpython3.11.so.1.0, _ssl.cpython-311-x86_64-linux-gnu.so, python3.11.
_PYTHON_FILE = re.compile(r"^libpython(\d)\.(\d+)|\.cpython-(\d)(\d+)|^python(\d)\.(\d+)$")


_SSL_MODULE = re.compile(r"^_ssl[.\w-]*\.so$")


_SHARED_OBJECT = re.compile(r"\.so(\.[\d.]+)?$")


@record
class MappedFile:
    """One file mapped into a process, as /proc/PID/maps names it."""

    path: str
    device: str
    inode: int
    deleted: bool
    range: str

    @property
    def key(self) -> tuple[str, int]:
        """The file's identity (device and inode), which no rename or deletion changes."""
        return self.device, self.inode


@record
class ProcessView:
    """What /proc tells about one process.

    Attributes:
        command: The kernel's short name (comm); `cmdline` the arguments it was started with.
        exe: Its executable as the process sees it (None for a kernel thread), `exe_deleted` if unlinked since.
        root: Its file system, where its paths are resolved (this host's unless it lives in a container).
        start: Its start time in clock ticks since boot: with the PID, it names one process for good.

    """

    pid: int
    ppid: int
    uid: int
    euid: int
    user: str
    command: str
    cmdline: tuple[str, ...]
    exe: str | None
    exe_deleted: bool
    environ: Mapping[str, str]
    maps: tuple[MappedFile, ...]
    start: int
    root: FileRoot = field(default=HOST, compare=False)


_USERS: dict[int, str] = {}  # uid -> account name, looked up once per run


def user_name(uid: int) -> str:
    """The account name of a uid, or the number when there is none."""
    if uid not in _USERS:
        try:
            import pwd

            _USERS[uid] = pwd.getpwuid(uid).pw_name
        except (ImportError, KeyError):
            _USERS[uid] = str(uid)
    return _USERS[uid]


@functools.lru_cache(maxsize=1)
def pid_limit() -> int:
    """The kernel's largest process ID (read once per run)."""
    try:
        with open("/proc/sys/kernel/pid_max", "rb") as handle:
            return int(handle.read(32))
    except (OSError, ValueError):
        return 4194304


class _Reader:
    """Reads files of /proc/PID and turns each failure into the one line that explains it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.started = False  # after the first read, a vanished file means the process exited meanwhile
        self.owner = "another user"

    def fail(self, name: str, exc: OSError) -> ProcessError:
        """The ProcessError that explains why /proc/PID/name could not be read."""
        if exc.errno in (errno.ENOENT, errno.ESRCH):
            if self.started:
                return ProcessError("process %d exited while it was being read" % self.pid)
            hidden = _hidepid()
            if hidden is not None and not (hasattr(os, "geteuid") and os.geteuid() == 0):
                return ProcessError(
                    "no process %d that this user may see: /proc is mounted with hidepid=%s, which hides other "
                    "users' processes (run as the process owner or root)" % (self.pid, hidden)
                )
            return ProcessError("no process %d" % self.pid)
        if exc.errno in (errno.EACCES, errno.EPERM):
            advice = "run as the process owner or root"
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                advice = "the kernel refuses even root (another user namespace, or a process that is not dumpable)"
            return ProcessError(
                "access denied to /proc/%d/%s (the process runs as %s): %s" % (self.pid, name, self.owner, advice),
                denied=True,
            )
        return ProcessError("cannot read /proc/%d/%s: %s" % (self.pid, name, exc.strerror or exc))

    def read(self, name: str) -> bytes:
        """The bytes of /proc/PID/name, at most READ_LIMIT of them (plain reads: `ps` does this thousands of times)."""
        chunks: list[bytes] = []
        total = 0
        try:
            fd = os.open("/proc/%d/%s" % (self.pid, name), os.O_RDONLY)
            try:
                while total < READ_LIMIT:
                    chunk = os.read(fd, min(1 << 16, READ_LIMIT - total))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    total += len(chunk)
            finally:
                os.close(fd)
        except OSError as exc:
            raise self.fail(name, exc) from None
        self.started = True
        return b"".join(chunks)

    def link(self, name: str) -> str:
        """The target of the /proc/PID/name link."""
        try:
            return os.readlink("/proc/%d/%s" % (self.pid, name))
        except OSError as exc:
            raise self.fail(name, exc) from None


def _hidepid() -> str | None:
    """The hidepid option /proc is mounted with (`2`, `invisible`, ...), or None when it hides nothing."""
    try:
        with open("/proc/self/mountinfo", "rb") as handle:
            lines = handle.read(1 << 20).splitlines()
    except OSError:
        return None
    found = None
    for line in lines:  # the last mount on /proc is the one seen there
        fields = line.split(b" ")
        if len(fields) > 4 and fields[4] == b"/proc":
            options = b",".join(fields[5:]).split(b",")  # the mount's and the superblock's (after " - ")
            value = next((o.partition(b"=")[2] for o in options if o.startswith(b"hidepid=")), None)
            text = value.decode("ascii", "replace") if value else None
            found = None if text in (None, "0", "off") else text
    return found


def _number(field: bytes) -> int:
    """A decimal field of a /proc file (bounded: a number the kernel writes has at most 20 digits)."""
    if not 0 < len(field) <= 20 or not field.lstrip(b"-").isdigit():
        raise ValueError("not a number")
    return int(field)


def _stat_fields(data: bytes) -> tuple[str, str, int, int, int]:
    """Name, state, parent, flags and start time from /proc/PID/stat (the name may hold spaces and parens).

    Raises ProcessError when the text is not what the kernel writes there.
    """
    head, _, rest = data.rpartition(b")")
    fields = rest.split()
    name = head.partition(b"(")[2].decode("utf-8", "replace")
    try:
        return name, fields[0].decode("ascii"), _number(fields[1]), _number(fields[6]), _number(fields[19])
    except (IndexError, ValueError):  # UnicodeDecodeError is a ValueError
        raise ProcessError("its /proc stat does not read as the kernel writes it") from None


def _uids(status: bytes) -> tuple[int, int]:
    """The real and effective uid from /proc/PID/status (-1 each where it does not say)."""
    at = status.find(b"\nUid:")
    end = status.find(b"\n", at + 5)
    values = status[at + 5 : end if end >= 0 else None].split() if at >= 0 else []
    try:
        return (_number(values[0]), _number(values[1])) if len(values) >= 2 else (-1, -1)
    except ValueError:
        return -1, -1


def parse_maps(text: str) -> tuple[MappedFile, ...]:
    """The files of a maps listing, once each, in address order."""
    return tuple(MappedFile(*entry) for entry in libraries.parse_maps(text))


def _environ(data: bytes) -> dict[str, str]:
    """The NUL-separated environment of a process."""
    found: dict[str, str] = {}
    for item in data.split(b"\0"):
        name, sep, value = item.partition(b"=")
        if sep and name:
            found[os.fsdecode(name)] = os.fsdecode(value)
    return found


@functools.lru_cache(maxsize=1)
def _own_root() -> tuple[str, int, int]:
    """Our own mount namespace and root directory (read once: `ps` compares thousands of processes)."""
    try:
        ours = os.stat("/")
        return os.readlink("/proc/self/ns/mnt"), ours.st_dev, ours.st_ino
    except OSError:
        return "", -1, -1


def _root_of(pid: int) -> FileRoot:
    """The process's file system: this host's, or what it sees through /proc/PID/root (a container's)."""
    try:
        namespace = os.readlink("/proc/%d/ns/mnt" % pid)
        theirs = os.stat("/proc/%d/root" % pid)
    except OSError:
        return FileRoot("/proc/%d/root" % pid)
    if (namespace, theirs.st_dev, theirs.st_ino) == _own_root():
        return HOST
    return FileRoot("/proc/%d/root" % pid)


def read_maps(pid: int) -> tuple[MappedFile, ...]:
    """The files a process mapped (raises ProcessError)."""
    return parse_maps(_Reader(pid).read("maps").decode("utf-8", "surrogateescape"))


def pids() -> list[int]:
    """Every process ID /proc lists, except this one."""
    own = os.getpid()
    return sorted(int(n) for n in os.listdir("/proc") if n.isdigit() and int(n) != own)


def read_environ(pid: int) -> dict[str, str]:
    """The environment of a process (raises ProcessError)."""
    return _environ(_Reader(pid).read("environ"))


def read_process(pid: int, *, environment: bool = True, maps: tuple[MappedFile, ...] | None = None) -> ProcessView:
    """Read one process from /proc (raises ProcessError with the reason it cannot be read).

    `maps` is its maps when the caller read them already (`ps` reads them first, to skip programs it judged).
    """
    if not sys.platform.startswith("linux"):
        raise ProcessError("reading another process needs Linux's /proc (this is %s)" % sys.platform)
    if pid <= 0:
        raise ProcessError("%d is not a process ID: PIDs start at 1 (0 is the kernel's idle task)" % pid)
    limit = pid_limit()
    if pid > limit:
        raise ProcessError("no process %d: the kernel's largest PID is %d" % (pid, limit))
    reader = _Reader(pid)
    name, state, ppid, flags, start = _stat_fields(reader.read("stat"))
    uid, euid = _uids(reader.read("status"))
    reader.owner = user_name(euid)
    if flags & PF_KTHREAD:
        raise ProcessError("PID %d is a kernel thread (%s): it runs no program and maps no OpenSSL" % (pid, name))
    if state in ("Z", "X"):
        raise ProcessError(
            "process %d (%s) is a zombie: it has exited and its parent (PID %d) has not collected it"
            % (pid, name, ppid)
        )
    if maps is None:
        maps = parse_maps(reader.read("maps").decode("utf-8", "surrogateescape"))
    environ = _environ(reader.read("environ")) if environment else {}
    cmdline = tuple(os.fsdecode(a) for a in reader.read("cmdline").split(b"\0")[:-1])
    exe: str | None = reader.link("exe")
    deleted = exe is not None and exe.endswith(" (deleted)")
    if deleted and exe is not None:
        exe = exe[: -len(" (deleted)")]
    root = _root_of(pid)
    # The same PID and start time: what was read belongs to one process, which had not exited meanwhile; the
    # same program (exec keeps the PID and the start time, and replaces the maps, the command and the executable).
    again = _stat_fields(reader.read("stat"))
    if again[4] != start or again[1] in ("Z", "X") or not maps:
        raise ProcessError("process %d exited while it was being read" % pid)
    if again[0] != name or reader.link("exe") != (exe + " (deleted)" if deleted and exe else exe):
        raise ProcessError("process %d started another program (exec) while it was being read: examine it again" % pid)
    return ProcessView(
        pid=pid,
        ppid=ppid,
        uid=uid,
        euid=euid,
        user=user_name(uid),
        command=name,
        cmdline=cmdline,
        exe=exe,
        exe_deleted=deleted,
        environ=environ,
        maps=maps,
        start=start,
        root=root,
    )


def openssl_candidates(view: ProcessView) -> list[tuple[MappedFile, str]]:
    """The mapped files that may hold OpenSSL, each with its role, to be read for build strings.

    `libcrypto`/`libssl` by name; `static` for the executable and a `_ssl` module (OpenSSL linked into what
    Python's `ssl` runs); `linked` for any other shared object, which may carry its own copy (librdkafka, grpc's
    `cygrpc`, curl_cffi) — except the system libraries every process maps, which never do.
    """
    from cadoctor._facts.binary.stacks import never_tls

    found: list[tuple[MappedFile, str]] = []
    for mapped in view.maps:
        name = os.path.basename(mapped.path)
        if libraries.LIBRARY_NAME.match(name):
            found.append((mapped, libraries.role_of(mapped.path)))
        elif mapped.path == view.exe or _SSL_MODULE.match(name):
            found.append((mapped, "static"))
        elif _SHARED_OBJECT.search(name) and not never_tls(name):
            found.append((mapped, "linked"))
    return found


def mapped_source(view: ProcessView, mapped: MappedFile) -> str:
    """Where to read the bytes a process mapped: its map_files entry when the kernel lets us, else the path."""
    entry = "/proc/%d/map_files/%s" % (view.pid, mapped.range)
    if os.access(entry, os.R_OK):
        return entry
    return view.root.host(mapped.path)


def python_version(view: ProcessView) -> str | None:
    """`X.Y` when CPython runs in the process, "" when its version is unreadable, None when it is not Python.

    Only file names count (a libpython, a CPython extension module, an executable named pythonX.Y), never
    folders: node installed under `lib/python3.11/site-packages` is not Python.
    """
    exe_name = os.path.basename(view.exe or "")
    for name in [*(os.path.basename(m.path) for m in view.maps), exe_name]:
        match = _PYTHON_FILE.search(name)
        if match:
            major, minor = [g for g in match.groups() if g is not None]
            return "%s.%s" % (major, minor)
    return "" if _PYTHON_EXE.match(exe_name) else None
