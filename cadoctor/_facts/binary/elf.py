"""Just enough ELF to tell how a binary gets OpenSSL: its soname, the libraries it needs, its loader paths.

Only the program headers are read (PT_DYNAMIC, PT_INTERP, and PT_LOAD to turn the string table's address into
a file offset); the section headers, which stripped binaries may lack, only narrow where strings are searched.
Every read is bounded and checked against the file's size, so a truncated or hostile file gives an `ElfError`,
not a wrong answer.
"""

from __future__ import annotations

import os
import struct

from cadoctor._record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAGIC = b"\x7fELF"


_PT_LOAD, _PT_DYNAMIC, _PT_INTERP = 1, 2, 3


_SHT_PROGBITS, _SHF_ALLOC, _SHF_EXECINSTR = 1, 2, 4  # a section with contents, loaded, and code


_MAX_SECTIONS = 65280  # below SHN_LORESERVE: beyond it the count is stored elsewhere (the file is searched whole)


_DT_NULL, _DT_NEEDED, _DT_STRTAB, _DT_STRSZ, _DT_SONAME, _DT_RPATH, _DT_RUNPATH = 0, 1, 5, 10, 14, 15, 29


_TYPES = {1: "relocatable", 2: "executable", 3: "shared object", 4: "core dump"}


_MACHINES = {3: "x86", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64", 22: "s390", 40: "ARM", 62: "x86-64", 183: "AArch64"}


_MACHINES.update({243: "RISC-V", 258: "LoongArch"})


_MAX_HEADERS = 4096  # program headers; real binaries have about a dozen


_MAX_DYNAMIC = 64 * 1024  # bytes of the dynamic segment


_MAX_STRING = 4096


_MAX_STRING_TABLE = 16 << 20  # bytes of the dynamic string table searched for symbol names; CPython's is ~100 KiB


class ElfError(ValueError):
    """The file starts like ELF but its headers cannot be read: truncated, damaged, or not really ELF."""


@record
class ElfFacts:
    """What the program headers say about linking.

    Attributes:
        kind: `executable`, `position-independent executable`, `shared object`, ...
        interpreter: The dynamic loader it asks for (PT_INTERP); None for a static or a library.
        static: No PT_DYNAMIC: everything, OpenSSL included if present, is linked in.
        symbols: Those of the names asked for that the dynamic string table holds (imported or exported).

    """

    bits: int
    byte_order: str
    kind: str
    machine: str
    interpreter: str | None
    static: bool
    soname: str | None
    needed: tuple[str, ...]
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]
    symbols: tuple[str, ...] = ()


def is_elf(head: bytes) -> bool:
    """Whether bytes start like an ELF file."""
    return head[:4] == MAGIC


class _Reader:
    """Bounded reads at offsets of one open file."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size

    def read(self, offset: int, length: int, what: str) -> bytes:
        """Exactly `length` bytes at `offset`, or ElfError naming what was cut off."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise ElfError("truncated ELF: %s lies beyond the end of the file (%d bytes)" % (what, self.size))
        data = os.pread(self.fd, length, offset)
        if len(data) != length:
            raise ElfError("truncated ELF: %s could not be read whole" % what)
        return data

    def string(self, offset: int) -> str:
        """A NUL-terminated string at `offset`."""
        if not 0 <= offset < self.size:
            raise ElfError("damaged ELF: a dynamic string lies beyond the end of the file")
        data = os.pread(self.fd, min(_MAX_STRING, self.size - offset), offset)
        end = data.find(b"\0")
        if end == -1:
            raise ElfError("damaged ELF: a dynamic string has no end")
        return data[:end].decode("utf-8", "surrogateescape")


def elf_at(path: str, symbols: tuple[str, ...] = ()) -> ElfFacts | None:
    """The ELF facts of the file at a path, or None when it cannot be opened or is not readable ELF."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        return read_elf(fd, symbols)
    except (ElfError, OSError):
        return None
    finally:
        os.close(fd)


def read_elf(fd: int, symbols: tuple[str, ...] = ()) -> ElfFacts:
    """Read the linking facts of the ELF file open at `fd`, and which of `symbols` it names (raises ElfError)."""
    reader = _Reader(fd, os.fstat(fd).st_size)
    wide, order, header, headers = _headers(reader)
    e_type, machine = header[0], header[1]
    loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
    dynamic: tuple[int, int] | None = None
    interp: tuple[int, int] | None = None
    for p_type, _, offset, vaddr, filesz in headers:
        if p_type == _PT_LOAD:
            loads.append((vaddr, offset, filesz))
        elif p_type == _PT_DYNAMIC:
            dynamic = (offset, filesz)
        elif p_type == _PT_INTERP:
            interp = (offset, filesz)
    interpreter = None
    if interp is not None:
        name = reader.read(interp[0], min(interp[1], _MAX_STRING), "the interpreter name")
        interpreter = name.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    linking = _dynamic_entries(reader, order, wide, dynamic, loads, symbols) if dynamic is not None else None
    soname, needed, rpath, runpath, named = linking or (None, (), (), (), ())
    kind = _TYPES.get(e_type, "type %d" % e_type)
    if e_type == 3 and interpreter is not None:
        kind = "position-independent executable"
    return ElfFacts(
        bits=64 if wide else 32,
        byte_order="little" if order == "<" else "big",
        kind=kind,
        machine=_MACHINES.get(machine, "machine %d" % machine),
        interpreter=interpreter,
        static=dynamic is None,
        soname=soname,
        needed=needed,
        rpath=rpath,
        runpath=runpath,
        symbols=named,
    )


def _headers(reader: _Reader) -> tuple[bool, str, tuple[int, ...], list[tuple[int, int, int, int, int]]]:
    """Class, byte order, the file header from e_type on, and the program headers (type, flags, offset, ...)."""
    ident = reader.read(0, 16, "the identification bytes")
    if ident[:4] != MAGIC:
        raise ElfError("not an ELF file")
    if ident[4] not in (1, 2) or ident[5] not in (1, 2):
        raise ElfError("damaged ELF: unknown class %d or byte order %d" % (ident[4], ident[5]))
    wide = ident[4] == 2
    order = "<" if ident[5] == 1 else ">"
    header_format = order + ("HHIQQQIHHHHHH" if wide else "HHIIIIIHHHHHH")
    fields = struct.unpack(header_format, reader.read(16, struct.calcsize(header_format), "the file header"))
    phoff, phentsize, phnum = fields[4], fields[8], fields[9]
    ph_format = order + ("IIQQQQQQ" if wide else "IIIIIIII")
    if phnum > _MAX_HEADERS or (phnum and phentsize < struct.calcsize(ph_format)):
        raise ElfError("damaged ELF: %d program headers of %d bytes" % (phnum, phentsize))
    table = reader.read(phoff, phnum * phentsize, "the program headers")
    headers = []
    for index in range(phnum):
        entry = struct.unpack_from(ph_format, table, index * phentsize)
        if wide:
            p_type, flags, offset, vaddr, _, filesz, _, _ = entry
        else:
            p_type, offset, vaddr, _, filesz, _, flags, _ = entry
        headers.append((p_type, flags, offset, vaddr, filesz))
    return wide, order, fields, headers


def data_spans(path: str) -> list[tuple[int, int]] | None:
    """The parts of an ELF file that hold constant data, as (offset, length); None to search the whole file.

    String constants live in allocated, non-executable PROGBITS sections (.rodata, .data.rel.ro, .data), never
    in code: in a 100 MB program that skips most of the file. The section headers are only a shortcut here: a
    file without them (or with any that do not fit the file) is searched whole.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        reader = _Reader(fd, os.fstat(fd).st_size)
        wide, order, header, _ = _headers(reader)
        shoff, shentsize, shnum = header[5], header[10], header[11]
        sh_format = order + ("IIQQQQIIQQ" if wide else "IIIIIIIIII")
        if not shoff or not 0 < shnum <= _MAX_SECTIONS or shentsize < struct.calcsize(sh_format):
            return None
        table = reader.read(shoff, shnum * shentsize, "the section headers")
        spans = []
        for index in range(shnum):
            _, kind, flags, _, offset, size = struct.unpack_from(sh_format, table, index * shentsize)[:6]
            if kind == _SHT_PROGBITS and flags & _SHF_ALLOC and not flags & _SHF_EXECINSTR and size:
                if offset + size > reader.size:
                    return None
                spans.append((offset, size))
    except (ElfError, OSError, struct.error):
        return None
    finally:
        os.close(fd)
    return sorted(spans) or None


def _dynamic_entries(
    reader: _Reader,
    order: str,
    wide: bool,
    dynamic: tuple[int, int],
    loads: list[tuple[int, int, int]],
    symbols: tuple[str, ...],
) -> tuple[str | None, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Read DT_SONAME, DT_NEEDED, DT_RPATH, DT_RUNPATH and the asked symbol names through the string table."""
    entry_format = order + ("qQ" if wide else "iI")
    entry_size = struct.calcsize(entry_format)
    data = reader.read(dynamic[0], min(dynamic[1], _MAX_DYNAMIC), "the dynamic segment")
    strtab: int | None = None
    strsz = 0
    wanted: list[tuple[int, int]] = []
    for at in range(0, len(data) - entry_size + 1, entry_size):
        tag, value = struct.unpack_from(entry_format, data, at)
        if tag == _DT_NULL:
            break
        if tag == _DT_STRTAB:
            strtab = value
        elif tag == _DT_STRSZ:
            strsz = value
        elif tag in (_DT_NEEDED, _DT_SONAME, _DT_RPATH, _DT_RUNPATH):
            wanted.append((tag, value))
    if not wanted and not symbols:
        return None, (), (), (), ()
    if strtab is None:
        raise ElfError("damaged ELF: a dynamic segment without a string table")
    base = next((offset + strtab - vaddr for vaddr, offset, filesz in loads if vaddr <= strtab < vaddr + filesz), None)
    if base is None:
        raise ElfError("damaged ELF: the string table is in no loaded segment")
    soname: str | None = None
    needed: list[str] = []
    rpath: list[str] = []
    runpath: list[str] = []
    for tag, value in wanted:
        text = reader.string(base + value)
        if tag == _DT_NEEDED:
            needed.append(text)
        elif tag == _DT_SONAME:
            soname = text
        elif tag == _DT_RPATH:
            rpath.extend(p for p in text.split(":") if p)
        else:
            runpath.extend(p for p in text.split(":") if p)
    named: tuple[str, ...] = ()
    if symbols:
        table = reader.read(base, min(strsz, _MAX_STRING_TABLE, max(0, reader.size - base)), "the string table")
        named = tuple(name for name in symbols if b"\0" + name.encode() + b"\0" in table)
    return soname, tuple(needed), tuple(rpath), tuple(runpath), named


def openssl_strings(path: str) -> dict[str, Any]:
    """OpenSSL's build strings in a file (`read_build_strings`), searched only where ELF keeps constants."""
    from cadoctor._facts.child import build_strings

    return build_strings.read_build_strings(path, data_spans(path))
