"""The OpenSSL libraries mapped in this process: which files, which one `ssl` calls, and what each was built with.

Never loads a new copy: a library is asked for its build strings only through a handle opened with
`RTLD_NOLOAD`. The host side names and binds libraries of other processes and images with the same pieces.
"""

from __future__ import annotations

import os
import re
import sys

from .build_strings import VERSION_SELECTORS, as_text, flavour_of, quoted_value, read_build_strings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

# The file names of libcrypto and libssl on every platform (versioned, vendored with a hash, Windows DLLs).
LIBRARY_NAME = re.compile(r"^lib(crypto|ssl)([-.].*)?\.(so|dylib)(\..*)?$|^lib(crypto|ssl)(-[\w.]+)?\.dll$")


def role_of(path: str) -> str:
    """Name what a library file is to OpenSSL: libcrypto, libssl, or something carrying OpenSSL statically."""
    name = os.path.basename(path)
    if not LIBRARY_NAME.match(name):
        return "static"
    return "libcrypto" if "crypto" in name else "libssl"


def same_file(a: str, b: str) -> bool:
    """Compare two paths by identity, tolerating ones that no longer exist."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def parse_maps(text: str) -> List[Tuple[str, str, int, bool, str]]:
    """The files of a maps listing, once each, first mapping first: (path, device, inode, deleted, range)."""
    seen: Dict[str, Tuple[str, str, int, bool, str]] = {}
    for line in text.splitlines():
        parts = line.split(None, 5) if "/" in line else ()
        if len(parts) < 6 or not parts[5].startswith("/") or not parts[4].isdigit() or len(parts[4]) > 20:
            continue
        path = parts[5]
        deleted = path.endswith(" (deleted)")
        if deleted:
            path = path[: -len(" (deleted)")]
        if path not in seen:
            seen[path] = (path, parts[3], int(parts[4]), deleted, parts[0])
    return list(seen.values())


def _linux_mapped_files() -> Tuple[Optional[Dict[str, Dict[str, Any]]], Optional[str]]:
    """Read /proc/self/maps into file path -> (inode, deleted, map_files entry)."""
    files: Dict[str, Dict[str, Any]] = {}
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
    except OSError as exc:
        return None, "cannot read /proc/self/maps: %s" % (exc.strerror or exc)
    for path, _, inode, deleted, span in parse_maps(text):
        files[path] = {"inode": inode, "deleted": deleted, "range": span}
    return files, None


def library_handle(path: str) -> Any:
    """Return a ctypes handle to an already-loaded library, or None; never loads anything new."""
    import ctypes

    mode = getattr(os, "RTLD_NOLOAD", 0) | getattr(os, "RTLD_LAZY", 1)
    if not getattr(os, "RTLD_NOLOAD", 0):
        return None
    try:
        return ctypes.CDLL(path, mode=mode)
    except OSError:
        return None


def bind(handle: Any, name: str, restype: Any, argtypes: List[Any]) -> Any:
    """Give one libcrypto function its C signature."""
    function = getattr(handle, name)
    function.restype = restype
    function.argtypes = argtypes
    return function


def _runtime_build_strings(handle: Any) -> Dict[str, Any]:
    """Ask a loaded libcrypto for its build strings through OpenSSL_version (or SSLeay_version on 1.0)."""
    import ctypes

    facts: Dict[str, Any] = {}
    function = getattr(handle, "OpenSSL_version", None) or getattr(handle, "SSLeay_version", None)
    if function is None:
        return facts
    function.restype = ctypes.c_char_p
    function.argtypes = [ctypes.c_int]
    legacy = getattr(handle, "OpenSSL_version", None) is None
    facts["version"] = as_text(function(0))
    for key, selector in VERSION_SELECTORS.items():
        if legacy and key != "openssldir":
            continue
        value = function(5 if legacy else selector)
        if value:
            text = as_text(value)
            if text.upper().startswith(key.upper()):
                facts[key] = quoted_value(text)
    return facts


def _provider_of_ssl(ssl_facts: Dict[str, Any]) -> Tuple[Optional[str], Optional[str]]:
    """Find the file that provides the OpenSSL code `_ssl` calls (dladdr on its OpenSSL_version)."""
    import ctypes

    module_file = ssl_facts.get("module_file")
    handle = library_handle(module_file) if module_file else None
    if handle is None:
        try:
            handle = ctypes.CDLL(None)  # `_ssl` is built into the interpreter: search the main program
        except OSError as exc:
            return None, str(exc)
    function = getattr(handle, "OpenSSL_version", None) or getattr(handle, "SSLeay_version", None)
    if function is None:
        return None, "no OpenSSL_version symbol reachable from _ssl"

    class DlInfo(ctypes.Structure):
        _fields_ = [
            ("dli_fname", ctypes.c_char_p),
            ("dli_fbase", ctypes.c_void_p),
            ("dli_sname", ctypes.c_char_p),
            ("dli_saddr", ctypes.c_void_p),
        ]

    try:
        libc = ctypes.CDLL(None)
        dladdr = libc.dladdr
    except (OSError, AttributeError) as exc:
        return None, "dladdr unavailable: %s" % exc
    dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(DlInfo)]
    dladdr.restype = ctypes.c_int
    info = DlInfo()
    if not dladdr(ctypes.cast(function, ctypes.c_void_p), ctypes.byref(info)) or not info.dli_fname:
        return None, "dladdr found no file for OpenSSL_version"
    return as_text(info.dli_fname), None


def library_facts(ssl_facts: Dict[str, Any]) -> Dict[str, Any]:
    """List every libcrypto/libssl mapped into this process, and the OpenSSL that `ssl` uses."""
    provider: Optional[str] = None
    provider_error: Optional[str] = "ssl is unavailable"
    if ssl_facts.get("available"):
        provider, provider_error = _provider_of_ssl(ssl_facts)
    if sys.platform.startswith("linux"):
        mapped, error = _linux_mapped_files()
    else:
        mapped, error = None, "every mapped library is listed on Linux only (from /proc); here only the one ssl uses"
    if mapped is None:
        # Without a map of the process, still describe the OpenSSL that ssl uses (dladdr works on macOS too).
        unmapped = {"inode": None, "deleted": False, "range": None}
        alone = [] if provider is None else [_describe_library(provider, unmapped, role_of(provider), True)]
        return {"available": False, "reason": error, "provider_error": provider_error, "items": alone}
    items: List[Dict[str, Any]] = []
    provider_listed = False
    for path, entry in sorted(mapped.items()):
        name = os.path.basename(path)
        is_provider = provider is not None and (path == provider or same_file(path, provider))
        match = LIBRARY_NAME.match(name)
        if not match and not is_provider:
            continue
        role = role_of(path) if match else "static"
        items.append(_describe_library(path, entry, role, is_provider))
        provider_listed = provider_listed or is_provider
    if provider is not None and not provider_listed:
        items.append(_describe_library(provider, {"inode": None, "deleted": False, "range": None}, "static", True))
    return {"available": True, "reason": None, "provider_error": provider_error, "items": items}


def _describe_library(path: str, entry: Dict[str, Any], role: str, in_use: bool) -> Dict[str, Any]:
    """Describe one mapped library: identity on disk, and its build strings from memory and from the file."""
    facts: Dict[str, Any] = {
        "path": path,
        "realpath": os.path.realpath(path),
        "role": role,
        "in_use": in_use,
        "deleted": bool(entry["deleted"]),
        "replaced": False,
    }
    try:
        on_disk = os.stat(path)
        facts["replaced"] = entry["inode"] is not None and on_disk.st_ino != entry["inode"] and not entry["deleted"]
    except OSError:
        facts["deleted"] = True
    runtime: Dict[str, Any] = {}
    if role == "libcrypto" and not facts["deleted"]:
        handle = library_handle(path)
        if handle is not None:
            runtime = _runtime_build_strings(handle)
    facts["runtime"] = runtime
    static: Dict[str, Any] = {}
    # The loaded library's own answers are the truth; the file is read only when it has none to give, or
    # when the file on disk is no longer what was loaded (then both are worth showing).
    if not runtime.get("version") or facts["replaced"]:
        source = path
        if (facts["deleted"] or facts["replaced"]) and entry.get("range"):
            source = "/proc/self/map_files/" + entry["range"]  # the bytes actually mapped, even when unlinked
        static = read_build_strings(source)
    facts["file"] = static or None
    facts["flavour"] = static.get("flavour") or flavour_of(runtime.get("version"))
    facts["version"] = runtime.get("version") or static.get("version")
    for key in VERSION_SELECTORS:
        facts[key] = runtime.get(key) or static.get(key)
    openssldir = facts["openssldir"]
    facts["openssldir_exists"] = os.path.isdir(openssldir) if openssldir and openssldir != "n/a" else None
    return facts
