"""The CA file and directories a default context reads, resolved as OpenSSL resolves them.

Small and stdlib-only on purpose: the self-check's healthy path imports it beside `ssl` at every cold start.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Mapping, Optional, Sequence


def trust_sources(ssl_facts: Dict[str, Any], environ: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """Resolve the CA file and directories a default context reads, the way OpenSSL does (in `environ`)."""
    env = os.environ if environ is None else environ
    raw = ssl_facts["default_verify_paths_raw"]
    file_env = raw["cafile_env"]
    dir_env = raw["capath_env"]
    if str(ssl_facts.get("openssl_version")).startswith("LibreSSL"):
        # LibreSSL names the variables but never reads them: only the compiled defaults apply.
        return {
            "cafile": {"path": raw["cafile"], "source": "compiled"},
            "capaths": [{"path": raw["capath"], "source": "compiled"}],
        }
    if env.get(file_env) is not None:
        cafile = {"path": env[file_env], "source": "env:" + file_env}
    else:
        cafile = {"path": raw["cafile"], "source": "compiled"}
    capaths: List[Dict[str, str]] = []
    if env.get(dir_env) is not None:
        # OpenSSL searches every entry of the list, even where Python's filtered view shows None.
        for entry in env[dir_env].split(os.pathsep):
            if entry:
                capaths.append({"path": entry, "source": "env:" + dir_env})
    else:
        capaths.append({"path": raw["capath"], "source": "compiled"})
    return {"cafile": cafile, "capaths": capaths}


def blocking_cafile(path: Optional[str]) -> Optional[str]:
    """Say why OpenSSL must not read this CA file (a FIFO or a device would block or never end), or None."""
    if not path:
        return None
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "%s is not a regular file: OpenSSL could block reading it" % path


def blocking_sources(trust: Dict[str, Any]) -> Optional[str]:
    """Say why a default context must not be made (its CA file, or an SSL_CERT_DIR entry, would block), or None.

    OpenSSL 3 also opens each SSL_CERT_DIR entry as a store URI: a FIFO there blocks the context as one in
    SSL_CERT_FILE does.
    """
    paths = [trust["cafile"]["path"]] + [c["path"] for c in trust["capaths"] if c["source"] != "compiled"]
    return next((why for why in map(blocking_cafile, paths) if why), None)


def blocking_configuration(environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """Say why loading OpenSSL here would wait forever, or None: OPENSSL_CONF, or a file it includes, is a FIFO.

    OpenSSL reads its configuration when it starts (`import ssl`), before anything can be asked of it: a FIFO or
    a device there blocks that process, and every other program that loads OpenSSL in this environment. The file
    itself is read without blocking, only for its `.include` lines (a relative one is looked for where OpenSSL
    looks: in OPENSSL_CONF_INCLUDE, and in the working folder).
    """
    env = os.environ if environ is None else environ
    path = env.get("OPENSSL_CONF")
    if not path:
        return None
    if _blocks(path):
        return (
            "OPENSSL_CONF names %s, which is not a regular file: OpenSSL reads it when it starts, and could wait"
            " forever (so would every program that loads OpenSSL here)" % path
        )
    for named in included(path, (), env):
        for candidate in _entries(named):
            if _blocks(candidate):
                return (
                    "OPENSSL_CONF's %s includes %s, which is not a regular file: OpenSSL reads it when it starts,"
                    " and could wait forever (so would every program that loads OpenSSL here)" % (path, candidate)
                )
    return None


def _blocks(path: str) -> bool:
    """Whether reading this file could wait forever or never end: a FIFO, or a device but /dev/null.

    /dev/null is empty: `OPENSSL_CONF=/dev/null` is how one tells OpenSSL to read no configuration.
    """
    try:
        found = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL byte in a name read from the file
        return False
    if stat.S_ISFIFO(found.st_mode):
        return True
    if not (stat.S_ISCHR(found.st_mode) or stat.S_ISBLK(found.st_mode)):
        return False
    try:
        return found.st_rdev != os.stat(os.devnull).st_rdev
    except OSError:
        return True


def included(path: str, extra: Sequence[str] = (), environ: Optional[Mapping[str, str]] = None) -> List[str]:
    """The paths a configuration file's `.include` lines name, read as OpenSSL finds them.

    A relative one is looked for where OpenSSL looks (OPENSSL_CONF_INCLUDE, the working folder) and in each of
    `extra`. The file is read without blocking (a FIFO gives nothing), the first MiB.
    """
    env = os.environ if environ is None else environ
    try:
        here = os.getcwd()
    except OSError:  # the working folder is gone: no relative include is found there either
        here = ""
    bases = [base for base in (env.get("OPENSSL_CONF_INCLUDE"), here, *extra) if base]
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return []
    try:
        text = os.read(descriptor, 1 << 20) if stat.S_ISREG(os.fstat(descriptor).st_mode) else b""
    except OSError:
        text = b""
    finally:
        os.close(descriptor)
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith(b".include"):
            continue
        rest = stripped[len(b".include") :].strip()
        named = os.fsdecode(rest[1:].strip() if rest.startswith(b"=") else rest)
        if named:
            found.extend([named] if os.path.isabs(named) else [os.path.join(base, named) for base in bases])
    return found


def _entries(path: str) -> List[str]:
    """A file as it is; a folder's entries (OpenSSL includes each of them)."""
    if not os.path.isdir(path):
        return [path]
    try:
        return [os.path.join(path, name) for name in sorted(os.listdir(path))[:4096]]
    except (OSError, ValueError):
        return []
