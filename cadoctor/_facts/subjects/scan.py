"""`cadoctor ps`: every process on the host that uses OpenSSL, grouped by the library file it mapped (Linux).

Each distinct file (device and inode, as /proc/PID/maps names it) is read once, whatever the number of
processes mapping it; each distinct CA location is looked at once per root, without reading a certificate.
A process that cannot be read is listed with the reason, never dropped.
"""

from __future__ import annotations

import contextlib
import os

from cadoctor._errors import ProcessError
from cadoctor._facts import process as processes
from cadoctor._facts.binary.stacks import other_implementation, stacks_of
from cadoctor._facts.fs.disk import stat_bundle
from cadoctor._facts.fs.fileroot import FileRoot
from cadoctor._facts.process.copies import copies_of, with_builds
from cadoctor._facts.process.procfs import MappedFile, ProcessView, python_version, user_name
from cadoctor._facts.subjects.offline import sources_in_effect
from cadoctor._model.processes import (
    LibraryGroup,
    OtherStackGroup,
    ProcessEntry,
    ProcessScan,
    TrustVerdict,
    Unreadable,
)
from cadoctor._record import record, replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from cadoctor._model import Bundle, LoadedLibrary, Stack


def _command_of(view: ProcessView) -> str:
    """The command line in one string, bounded."""
    text = " ".join(view.cmdline) or "[%s]" % view.command
    return text if len(text) <= 200 else text[:197] + "..."


def _trust_of(
    library: LoadedLibrary, environ: Mapping[str, str], root: FileRoot, seen: dict[Any, TrustVerdict]
) -> TrustVerdict:
    """What the process's default context would read, looked at once per distinct location and root."""
    variables = (environ.get("SSL_CERT_FILE"), environ.get("SSL_CERT_DIR"))  # all that OpenSSL reads of it
    early = (root.root, library.path, library.openssldir, library.flavour, library.version, variables)
    if early in seen:
        return seen[early]
    sources = sources_in_effect(library, environ)
    file_path = sources["cafile"]["path"]
    dirs = tuple(c["path"] for c in sources["capaths"])
    where = {sources["cafile"]["source"], *(c["source"] for c in sources["capaths"])}
    source = ", ".join(sorted(where))
    key = (root.root, file_path, dirs)
    if key not in seen:
        parts: list[str] = []
        looked: list[Bundle] = []
        if file_path:
            bundle = stat_bundle(file_path, ("in-effect:cafile",), None, root)
            looked.append(bundle)
            held = bundle.kind == "file" and bool(bundle.size)
            parts.append("%s: %s" % (file_path, "%d bytes" % (bundle.size or 0) if held else bundle.error or "empty"))
        for directory in dirs:
            bundle = stat_bundle(directory, ("in-effect:capath",), None, root)
            looked.append(bundle)
            state = "%d hash links" % bundle.hash_links if bundle.kind == "directory" else bundle.error
            parts.append("%s: %s" % (directory, state))
        seen[key] = TrustVerdict(file_path, dirs, source, detail="; ".join(parts), looked=tuple(looked))
    verdict = seen[key]
    seen[early] = replace(verdict, source=source)
    return seen[early]


def _with_extra(trust: TrustVerdict, consumer: str, environ: Mapping[str, str], root: FileRoot) -> TrustVerdict:
    """For node, the file NODE_EXTRA_CA_CERTS names looked at too: node adds it to whatever else it trusts."""
    extra = environ.get("NODE_EXTRA_CA_CERTS") if consumer == "node" else None
    if not extra:
        return trust
    looked = stat_bundle(extra, ("env:NODE_EXTRA_CA_CERTS",), None, root)  # a relative path is not judged
    return replace(trust, looked=(*trust.looked, looked))


def scan() -> ProcessScan:
    """Read every process once and group those using OpenSSL by library file (through psutil off Linux)."""
    strings_of: dict[tuple[str, int], Mapping[str, Any]] = {}
    libraries: dict[tuple[str, int], LoadedLibrary] = {}
    members: dict[tuple[str, int], list[ProcessEntry]] = {}
    unreadable: list[Unreadable] = []
    verdicts: dict[Any, TrustVerdict] = {}
    others: dict[tuple[str, int], tuple[str, str, str]] = {}
    memo: dict[tuple[str, str, str], Any] = {}  # file system answers, kept for this scan only
    users: dict[tuple[str, int], list[ProcessEntry]] = {}
    programs: dict[Any, _Program] = {}  # processes of one program mapping the same files are judged once
    idle: set[Any] = set()  # the mapped files of programs with no TLS stack: their processes are not read further
    examined = 0
    for pid in processes.pids():
        try:
            maps = processes.read_maps(pid)
        except ProcessError:
            maps = ()  # read_process says why, naming the owner
        files = tuple((m.path, m.key, m.deleted) for m in maps)
        if maps and files in idle:
            examined += 1
            continue
        try:
            view = processes.read_process(pid, environment=False, maps=maps or None)
        except ProcessError as exc:
            if exc.denied:
                unreadable.append(_unreadable(pid, str(exc)))
            continue  # exited, a zombie or a kernel thread: no program, no OpenSSL
        examined += 1
        files = files or tuple((m.path, m.key, m.deleted) for m in view.maps)  # a reader without maps first
        identity = (view.root.root, view.exe, files)
        program = programs.get(identity)
        if program is None:
            program = programs[identity] = _program(view, strings_of, memo)
            if not program.copies and not program.others:
                idle.add(files)
        command = _command_of(view)
        for mapped, implementation, consumer in program.others:  # GnuTLS, NSS, a JVM: named by file, never read
            others.setdefault(mapped.key, (implementation, consumer, mapped.path))
            users.setdefault(mapped.key, []).append(ProcessEntry(pid, view.user, command, None, consumer=consumer))
        if not program.copies:
            continue
        try:
            environ = processes.read_environ(pid)
        except ProcessError as exc:
            environ = None
            if not exc.denied:
                continue  # exited meanwhile
        options = _options(view, environ or {})
        root = None if view.root.is_host else view.root.root
        for mapped, library in program.copies:
            libraries.setdefault(mapped.key, library)
            stack = program.consumers.get(library.path)
            consumer = stack.consumer if stack is not None else "program"
            trust = None
            if environ is not None:
                trust = _trust_of(library, environ, view.root, verdicts)
                trust = _with_extra(trust, consumer, environ, view.root)
            entry = ProcessEntry(
                pid,
                view.user,
                command,
                trust,
                root,
                consumer,
                consumer_version=stack.consumer_version if stack is not None else None,
                consumer_release=stack.consumer_release if stack is not None else None,
                build_switches=stack.build_switches if stack is not None else (),
                options=options,
            )
            members.setdefault(mapped.key, []).append(entry)
    groups = tuple(
        LibraryGroup(key[0], key[1], libraries[key], tuple(members[key]))
        for key in sorted(members, key=lambda k: (-len(members[k]), libraries[k].path))
    )
    foreign = tuple(OtherStackGroup(key[0], key[1], *others[key], tuple(users[key])) for key in sorted(others, key=str))
    read = sum(1 for strings in strings_of.values() if strings)  # an object too small to carry OpenSSL: not read
    return ProcessScan(groups, tuple(unreadable), examined, read, foreign)


@record
class _Program:
    """What one set of mapped files means, whichever process mapped it: its OpenSSL copies and other stacks."""

    copies: tuple[tuple[MappedFile, LoadedLibrary], ...]
    others: tuple[tuple[MappedFile, str, str], ...]
    consumers: Mapping[str, Stack]  # by the path of the copy each uses


def _program(view: ProcessView, strings_of: dict[tuple[str, int], Mapping[str, Any]], memo: dict[Any, Any]) -> _Program:
    """Find the process's OpenSSL copies as --pid does (the same copy in use, the same consumers) and other stacks."""
    copies, _ = copies_of(view, strings_of, memo)
    copies = [(mapped, library) for mapped, library in copies if library.role != "libssl"]
    others = []
    for mapped in view.maps:
        found = other_implementation(os.path.basename(mapped.path))
        if found is not None:
            others.append((mapped, found[0], found[1]))
    python = python_version(view) is not None
    stacks = stacks_of(tuple(c[1] for c in copies), paths(view), view.exe, python, others=False) if copies else ()
    consumers = {s.library: s for s in with_builds(view, stacks, memo) if s.library}
    return _Program(tuple(copies), tuple(others), consumers)


def paths(view: ProcessView) -> list[str]:
    """The paths of every file the process mapped."""
    return [m.path for m in view.maps]


def _options(view: ProcessView, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The `--` options of its command line and of NODE_OPTIONS (bounded): the switches a stack may read."""
    words = list(view.cmdline)
    if environ.get("PGSSLROOTCERT") == "system":
        words.append("sslrootcert=system")  # libpq's switch, given as its variable
    if environ.get("NODE_OPTIONS"):
        import shlex

        with contextlib.suppress(ValueError):  # split as a shell would; an unbalanced quote stops node starting
            words += shlex.split(environ["NODE_OPTIONS"][:4096])
    return tuple(w[:100] for w in words if w.startswith("--") or w.endswith("sslrootcert=system"))[:50]


def _unreadable(pid: int, reason: str) -> Unreadable:
    """Name a process we may not read, from what /proc shows everyone."""
    user, command = "?", "?"
    if not processes.PROCFS:
        return Unreadable(pid, user, command, reason)
    try:
        user = user_name(os.stat("/proc/%d" % pid).st_uid)
        with open("/proc/%d/comm" % pid, encoding="utf-8", errors="replace") as handle:
            command = "[%s]" % handle.read(64).strip()
    except OSError:
        pass
    return Unreadable(pid, user, command, reason)
