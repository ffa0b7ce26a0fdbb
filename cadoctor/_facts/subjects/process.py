"""A running process's trust path learnt from outside, through /proc: its OpenSSL, layout and files."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from cadoctor._errors import ProcessError
from cadoctor._facts.binary.stacks import stacks_of
from cadoctor._facts.interpreters.proof import venv_value
from cadoctor._facts.process.copies import libraries_of, with_builds
from cadoctor._facts.process.procfs import ProcessView, python_version
from cadoctor._facts.subjects.offline import python_hints, runtime_from_files, site_folders
from cadoctor._facts.subjects.this_process import facts_of_runtime
from cadoctor._model import Facts, Stack, Subject
from cadoctor._record import replace


def _python_layout(view: ProcessView) -> tuple[str, str, str, bool, bool]:
    """Executable as started (a venv's, not the binary /proc/PID/exe names), prefixes, venv, system site.

    Returns the executable, its prefix and base prefix, whether it is a venv, and whether it sees the system
    site-packages.
    """
    exe = view.exe or ""
    started = view.cmdline[0] if view.cmdline else ""
    if started and "/" not in started:
        folders = view.environ.get("PATH", "").split(":")
        started = next((os.path.join(f, started) for f in folders if view.root.exists(os.path.join(f, started))), "")
    elif started and not started.startswith("/"):
        try:
            started = os.path.join(os.readlink("/proc/%d/cwd" % view.pid), started)
        except OSError:
            started = ""
    try:
        same = bool(started) and os.path.samefile(view.root.host(started), view.root.host(exe))
    except (OSError, ValueError):
        same = False
    executable = started if same else exe
    base_prefix = os.path.dirname(os.path.dirname(exe))
    prefix = os.path.dirname(os.path.dirname(executable))
    config = prefix + "/pyvenv.cfg"
    if not view.root.exists(config):
        return executable, base_prefix, base_prefix, False, True
    try:
        with open(view.root.host(config), encoding="utf-8", errors="replace") as handle:
            text = handle.read(65536)
    except OSError:
        text = ""
    system_site = (venv_value(text, "include-system-site-packages", last=True) or "").lower() == "true"
    return executable, prefix, base_prefix, True, system_site


def facts_of_process(view: ProcessView, clients: frozenset[str]) -> Facts:
    """The facts of a running process, read from outside (raises ProcessError when it maps no OpenSSL).

    `clients`: the distributions to look for in its site folders.
    """
    pid = view.pid
    libraries, module = libraries_of(view)
    library = next((lib for lib in libraries if lib.in_use), None)
    version = python_version(view)
    stacks = with_builds(view, stacks_of(libraries, [m.path for m in view.maps], view.exe, version is not None))
    if library is None:
        raise ProcessError(_without_openssl(view, stacks, version))
    executable, prefix, base_prefix, venv, system_site = (view.exe or "", "", "", False, True)
    folders: tuple[str, ...] = ()
    frozen = _frozen_kind(view) if version is not None else None
    environ, hints = _as_frozen(view, frozen) if frozen else (view.environ, ())
    source = "layout"
    if version is not None:
        executable, prefix, base_prefix, venv, system_site = _python_layout(view)
        if version and not frozen:  # a frozen app imports from its own archive, not from site-packages
            reported = _reported_folders(view, executable)
            if reported is not None:
                folders, source = reported, "sys.path"
            else:
                home = view.environ.get("HOME") or _home_of(view.uid)
                user = view.uid == view.euid and not _no_user_site(view.cmdline)
                layout = [prefix, base_prefix]
                folders = site_folders(view.root, version, layout, view.environ, system_site, home=home, user_site=user)
    runtime = runtime_from_files(
        library=library,
        environ=environ,
        root=view.root,
        executable=executable,
        python=version,
        prefix=prefix,
        base_prefix=base_prefix,
        hints=(*python_hints(executable, prefix, view.environ, venv), *hints) if version is not None else (),
        euid=view.euid,
        ssl_module=module,
        folders=folders,
        site_source=source,
    )
    subject = Subject(
        kind="process",
        executable=view.exe,
        python=version is not None,
        observed="files",
        pid=pid,
        user=view.user,
        uid=view.uid,
        command=view.cmdline or (view.command,),
        root=None if view.root.is_host else view.root.root,
    )
    modules = _extension_modules(view, folders)
    if view.root.is_host:  # its relative CA paths are resolved against its working directory
        runtime = replace(runtime, cwd=_working_directory(pid))
    facts = facts_of_runtime(runtime, libraries, clients=clients, root=view.root, subject=subject)
    return replace(facts, stacks=stacks, extension_modules=modules)


def _reported_folders(view: ProcessView, executable: str) -> tuple[str, ...] | None:
    """The folders the process's interpreter imports from, as a fresh copy of it reports them, or None.

    Only on this host, for a process of this user whose interpreter is proven (what its fixes' trials run):
    that copy runs with the process's environment, working directory and site flags (`-s`, `-S`, `-E`, `-I`),
    and reports its sys.path. Anything less (another user's process, a container's root, an interpreter that
    does not answer) leaves the folders to its layout.
    """
    if not view.root.is_host or not executable or view.uid != getattr(os, "geteuid", lambda: -1)():
        return None
    from cadoctor._facts.interpreters.distributions import folders_of_interpreter

    cwd = _working_directory(view.pid) or "/"
    return folders_of_interpreter(executable, view.environ, cwd, _site_flags(view.cmdline))


_FLAG_ARGUMENT = frozenset("WXcm")  # options that take a value (-c and -m end the interpreter's options)


def _site_flags(cmdline: tuple[str, ...]) -> tuple[str, ...]:
    """The interpreter options of a command line that change where it imports from: -s, -S, -E (and -I's)."""
    flags: list[str] = []
    for argument in cmdline[1:]:
        if not argument.startswith("-") or argument.startswith("--") or argument == "-":
            break
        for letter in argument[1:]:
            if letter in "sSE":
                flags.append("-" + letter)
            elif letter == "I":
                flags.extend(("-E", "-s"))
            elif letter in _FLAG_ARGUMENT:
                return tuple(dict.fromkeys(flags))
    return tuple(dict.fromkeys(flags))


def _no_user_site(cmdline: tuple[str, ...]) -> bool:
    """Whether the interpreter was started without its user site (-s or -I)."""
    return "-s" in _site_flags(cmdline)


def _home_of(uid: int) -> str | None:
    """A user's home folder from the password database, None when it has none."""
    try:
        import pwd

        return pwd.getpwuid(uid).pw_dir or None
    except (ImportError, KeyError):
        return None


def _working_directory(pid: int) -> str | None:
    """A process's working directory (None when it cannot be read: another user's process, a deleted folder)."""
    try:
        return os.readlink("/proc/%d/cwd" % pid)
    except OSError:
        return None


_EXTENSION = re.compile(r"^(\w+)(\.[\w-]+)?\.(so|pyd)$")  # `_psycopg.cpython-311-x86_64-linux-gnu.so` -> `_psycopg`


def _extension_modules(view: ProcessView, folders: tuple[str, ...]) -> tuple[str, ...]:
    """The dotted names of the extension modules a Python process mapped from its site folders (its own code).

    A fix's trial imports them after the change: a library swap the program's modules cannot live with fails
    there, as it would in the program.
    """
    names: list[str] = []
    for mapped in view.maps:
        folder = next((f for f in folders if mapped.path.startswith(f.rstrip("/") + "/")), None)
        if folder is None:
            continue
        parts = mapped.path[len(folder.rstrip("/")) + 1 :].split("/")
        match = _EXTENSION.match(parts[-1])
        if match and all(p.isidentifier() for p in parts[:-1]) and match.group(1).isidentifier():
            names.append(".".join([*parts[:-1], match.group(1)]))
    return tuple(dict.fromkeys(names))


def _frozen_kind(view: ProcessView) -> str | None:
    """`pyinstaller` or `cx_freeze` when the process is a frozen application (by its files or bootloader)."""
    from cadoctor._facts.interpreters.proof import frozen_marker

    marker = frozen_marker(view.root.host(view.exe or ""), view.environ) if view.exe else None
    if marker is None:
        return None
    return "pyinstaller" if "PyInstaller" in marker else "cx_freeze" if "cx_Freeze" in marker else "frozen-other"


def _as_frozen(view: ProcessView, kind: str) -> tuple[Mapping[str, str], tuple[str, ...]]:
    """The environment its `ssl` really runs with, and the hints that say what the app is.

    cx_Freeze's frozen `ssl` sets SSL_CERT_FILE to the app's `share/certs.pem` (a copy of the build machine's
    roots) when the variable is unset or names nothing: inside the process, not in /proc/PID/environ.
    """
    environ = dict(view.environ)
    certs = os.path.join(os.path.dirname(view.exe or ""), "share", "certs.pem")
    current = environ.get("SSL_CERT_FILE")
    if kind == "cx_freeze" and (not current or not view.root.exists(current)) and view.root.exists(certs):
        environ["SSL_CERT_FILE"] = certs
    return environ, ("frozen", kind)


# Marks a program's own bytes carry when a TLS stack other than OpenSSL is linked into it, and what it trusts.
_LINKED_MARKS = (
    (b"\xff Go buildinf:", "Go's crypto/tls (it reads SSL_CERT_FILE, SSL_CERT_DIR and the usual system bundle paths)"),
    (b"rustls", "rustls (its roots are compiled in, webpki-roots, or the OS store's through rustls-native-certs)"),
)


def _linked_tls(view: ProcessView) -> str | None:
    """The TLS stack linked into a program that maps no TLS library, when its executable's bytes say which."""
    from cadoctor._facts.child.build_strings import offsets
    from cadoctor._facts.process.procfs import mapped_source

    program = next((m for m in view.maps if m.path == view.exe), None)
    if program is None:
        return None
    try:
        with open(mapped_source(view, program), "rb", buffering=0) as handle:
            return next((what for mark, what in _LINKED_MARKS if next(offsets(handle, mark), None) is not None), None)
    except (OSError, ValueError):
        return None


def _without_openssl(view: ProcessView, stacks: tuple[Stack, ...], version: str | None) -> str:
    """Why a process without an OpenSSL of its own cannot be judged, in one line that claims nothing false."""
    head = "process %d (%s)" % (view.pid, view.command)
    others = [s for s in stacks if s.library is None]
    if others:
        named = ", ".join("%s (%s)" % (s.implementation, s.path) for s in others)
        return "%s verifies TLS with %s, not OpenSSL: cadoctor cannot judge its trust" % (head, named)
    if stacks:  # OpenSSL only inside libraries it loaded (librdkafka, cygrpc), not for the program itself
        named = ", ".join("%s in %s (used by %s)" % (s.implementation, s.path, s.consumer) for s in stacks)
        return "%s has no OpenSSL of its own, only %s" % (head, named)
    if version is not None:
        return "%s maps no OpenSSL: a Python that has not imported ssl yet (check --python %s)" % (head, view.exe)
    linked = _linked_tls(view)
    if linked is not None:
        return "%s verifies TLS with %s, linked into %s, not OpenSSL: cadoctor cannot judge its trust" % (
            head,
            linked,
            view.exe,
        )
    return (
        "%s maps no OpenSSL, GnuTLS, NSS or JVM: if it verifies TLS, it uses a stack linked in that cadoctor "
        "cannot read (Go's crypto/tls, rustls)" % head
    )
