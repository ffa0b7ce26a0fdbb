"""Which files are proven CPython interpreters: the only programs cadoctor ever runs with arguments it chose.

A name proves nothing (node lives in `site-packages`, a frozen app may call itself `python3`), so the proof
comes from files: the real executable is the interpreter that a Python installation's own `bin/pythonX.Y`
names (or a byte-identical copy of it in a venv whose `pyvenv.cfg` says so), that installation's standard
library lies beside it, the binary carries or needs libpython, and nothing of a frozen application
(PyInstaller, cx_Freeze, Nuitka, PyOxidizer) sits next to it. Nothing is run to decide.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping

from cadoctor._facts.binary.elf import MAGIC, elf_at
from cadoctor._record import record

_MACH_O = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")


_ENTRY_POINTS = ("Py_BytesMain", "Py_Main")  # in the dynamic string table of a CPython program (3.8+, older)


_LIBPYTHON = re.compile(r"^libpython(\d)\.(\d+)")


_VERSIONED = re.compile(r"^python(\d)\.(\d+)(\.exe)?$")


_COPY_LIMIT = 64 << 20  # bytes compared between a venv's copied interpreter and its base


# Files beside (or one folder above) an executable that mark a frozen application, not an interpreter.
FROZEN_MARKERS = (
    ("_internal/base_library.zip", "a PyInstaller application"),
    ("base_library.zip", "a PyInstaller application"),
    ("lib/library.zip", "a cx_Freeze application"),
    ("library.zip", "a cx_Freeze application"),
)


# Variables a frozen application's bootloader sets in its own process.
FROZEN_VARIABLES = (
    ("_PYI_ARCHIVE_FILE", "a PyInstaller application"),
    ("_PYI_APPLICATION_HOME_DIR", "a PyInstaller application"),
    ("_MEIPASS2", "a PyInstaller application"),
    ("NUITKA_ONEFILE_PARENT", "a Nuitka application"),
)


class NotProven(Exception):
    """The file is not a CPython interpreter cadoctor may run; the message says what it is instead."""


@record
class ProvenPython:
    """A CPython interpreter proven from its files.

    Attributes:
        path: As given (a venv's `bin/python` stays the venv's, which decides its site-packages).
        real: The executable file itself, every link resolved.
        prefix: The installation whose `lib/pythonX.Y` is its standard library.
        version: Major and minor, from the installation's layout.

    """

    path: str
    real: str
    prefix: str
    version: tuple[int, int]


def frozen_marker(real: str, environ: Mapping[str, str] | None = None) -> str | None:
    """What frozen application an executable (or a process's environment) shows it is, if any."""
    for variable, what in FROZEN_VARIABLES:
        if environ and variable in environ:
            return "%s (its process sets %s)" % (what, variable)
    folder = os.path.dirname(real)
    for name, what in FROZEN_MARKERS:
        if os.path.lexists(os.path.join(folder, name)):
            return "%s (%s lies beside it)" % (what, name)
    return None


def _head(path: str) -> bytes:
    """The first bytes of a regular file, never blocking on a FIFO or a device."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise NotProven("cannot be read: %s" % (exc.strerror or exc)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotProven("not a regular file")
        return os.read(fd, 256)
    finally:
        os.close(fd)


def _kind_of(real: str) -> str:
    """`elf`, `mach-o` or `pe`; anything else (a script, text, garbage) is refused with what it is."""
    head = _head(real)
    if head.startswith(b"#!"):
        line = head[2:].split(b"\n", 1)[0].strip().decode("utf-8", "replace")
        raise NotProven("a script (#!%s), not an interpreter: name the interpreter it starts" % line[:60])
    if head.startswith(MAGIC):
        return "elf"
    if head[:4] in _MACH_O:
        return "mach-o"
    if head.startswith(b"MZ"):
        return "pe"
    if not head:
        raise NotProven("an empty file")
    raise NotProven("not a program (neither ELF, Mach-O nor PE)")


def _carries_python(real: str) -> None:
    """Refuse an ELF file that is not a program linking CPython (a library, node, a frozen app's loader)."""
    elf = elf_at(real, _ENTRY_POINTS)
    if elf is None:
        raise NotProven("a damaged ELF file")
    if elf.kind not in ("executable", "position-independent executable"):
        raise NotProven("an ELF %s, not a program" % elf.kind)
    if not any(_LIBPYTHON.match(n) for n in elf.needed) and not elf.symbols:
        raise NotProven("a program that neither needs libpython nor carries CPython's entry point")


def _same_bytes(a: str, b: str) -> bool:
    """Whether two files hold the same bytes (a venv made with --copies copies its base interpreter)."""
    try:
        if os.path.getsize(a) != os.path.getsize(b) or os.path.getsize(a) > _COPY_LIMIT:
            return False
        with open(a, "rb") as left, open(b, "rb") as right:
            while True:
                chunk = left.read(1 << 20)
                if chunk != right.read(1 << 20):
                    return False
                if not chunk:
                    return True
    except OSError:
        return False


def _home(path: str) -> str | None:
    """The `home` folder a venv's pyvenv.cfg names for the interpreter at `path`, if it is in a venv."""
    for folder in (os.path.dirname(os.path.dirname(path)), os.path.dirname(path)):
        try:
            with open(os.path.join(folder, "pyvenv.cfg"), encoding="utf-8", errors="replace") as handle:
                text = handle.read(65536)
        except OSError:
            continue
        return venv_value(text, "home")
    return None


def venv_value(text: str, key: str, *, last: bool = False) -> str | None:
    """A key's value in a pyvenv.cfg, read line by line as CPython reads it (`key = value`, the key any case).

    getpath takes the first `home`; site.py the last `include-system-site-packages` (`last`).
    """
    found = None
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip().lower() == key:
            found = value.strip()
            if not last:
                break
    return found


def _installation(real: str, kind: str) -> tuple[str, tuple[int, int], str] | None:
    """The prefix, version and interpreter file of the installation whose own interpreter `real` is."""
    folder = os.path.dirname(real)
    prefixes = (folder,) if kind == "pe" else (os.path.dirname(folder),)
    for prefix in prefixes:
        binaries = folder if kind == "pe" else os.path.join(prefix, "bin")
        try:
            names = sorted(os.listdir(binaries))
        except OSError:
            continue
        for name in names:
            match = _VERSIONED.match(name)
            candidate = os.path.join(binaries, name)
            if match is None or not _is_same_file(candidate, real):
                continue
            version = (int(match.group(1)), int(match.group(2)))
            for lib in ("lib", "lib64"):  # Fedora and SUSE keep the standard library in lib64
                if os.path.isfile(os.path.join(prefix, lib, "python%d.%d" % version, "os.py")):
                    return prefix, version, candidate
    if kind == "pe":  # Windows keeps python.exe, python3X.dll and Lib\os.py together
        dll = next((n for n in _listdir(folder) if re.match(r"^python3(\d+)\.dll$", n, re.I)), None)
        if dll and os.path.isfile(os.path.join(folder, "Lib", "os.py")):
            return folder, (3, int(dll[7:-4])), real
    return None


def _listdir(folder: str) -> list[str]:
    """A folder's names, or none when it cannot be listed."""
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _is_same_file(a: str, b: str) -> bool:
    """Whether two paths name one file."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def prove_python(path: str, environ: Mapping[str, str] | None = None) -> ProvenPython:
    """Prove from files that `path` is a CPython interpreter (raises NotProven with the reason it is not)."""
    if not path:
        raise NotProven("an empty path: name an interpreter")
    if os.path.isdir(path):
        raise NotProven("a directory, not an interpreter")
    real = os.path.realpath(path)
    if not os.path.lexists(real):
        raise NotProven("no such file")
    kind = _kind_of(real)
    frozen = frozen_marker(real, environ)
    if frozen is not None:
        raise NotProven("%s, not an interpreter" % frozen)
    if kind == "elf":
        _carries_python(real)
    found = _installation(real, kind)
    home = _home(path) if found is None else None
    if home:
        # A venv's `python` copies its base's `pythonX.Y`; Debian's /usr/bin has no `python` of that name.
        names = [os.path.basename(path), *sorted(n for n in _listdir(home) if _VERSIONED.match(n))]
        for name in names:
            base = _installation(os.path.realpath(os.path.join(home, name)), kind)
            if base is not None and _same_bytes(real, base[2]):
                found = base
                break
    if found is None:
        raise NotProven(
            "not the interpreter of a Python installation (no bin/pythonX.Y beside a lib/pythonX.Y/os.py is this file)"
        )
    prefix, version, _ = found
    return ProvenPython(path=path, real=real, prefix=prefix, version=version)
