"""Runtime probe: the facts of one interpreter's trust path, stdlib only.

This file runs unchanged in three places: inside the process that `cadoctor check` examines, as a script
sent to another interpreter (Python 3.8 and later), and in the child interpreters that verify fixes. It
imports nothing outside the standard library, never loads a new copy of OpenSSL (`RTLD_NOLOAD`), and never
raises for an unhealthy system: what it cannot read becomes a fact with a reason.

Usage as a script: ``python _probe.py`` prints the facts as JSON; ``python _probe.py --verify`` reads a
trial (preloads, explicit CA locations, sample roots) as JSON on stdin and prints its outcome.
"""

from __future__ import annotations

import os
import re
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

PROBE_VERSION = 1


# Every variable that points a TLS client at CA certificates (who reads each: cadoctor/_rules/variables.py).
CA_VARIABLES = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "PIP_CERT",
    "AWS_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "GIT_SSL_CAINFO",
    "HTTPLIB2_CA_CERTS",
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
    "NIX_SSL_CERT_FILE",
    "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE",
)


# Variables that mark a serverless platform, with the hint they give.
PLATFORM_VARIABLES = (
    ("AWS_LAMBDA_FUNCTION_NAME", "aws-lambda"),
    ("FUNCTIONS_WORKER_RUNTIME", "azure-functions"),
    ("K_SERVICE", "google-cloud-run"),
)


# Variables that change which libraries or configuration OpenSSL uses.
LIBRARY_VARIABLES = ("LD_LIBRARY_PATH", "LD_PRELOAD", "OPENSSL_CONF", "OPENSSL_MODULES", "OPENSSL_ENGINES")
# Switches that change which store a client library or native stack uses (uv, pip, grpc, node, libpq).
CLIENT_VARIABLES = (
    "UV_SYSTEM_CERTS",
    "UV_NATIVE_TLS",
    "PIP_USE_FEATURE",
    "PIP_USE_DEPRECATED",
    "GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK",
    "NODE_OPTIONS",
    "PGSSLROOTCERT",
    "HOME",
    "XDG_CONFIG_HOME",
    "PIP_CONFIG_FILE",
    "AWS_CONFIG_FILE",
    "AWS_PROFILE",
    "UV_CONFIG_FILE",
)


_LIBRARY_NAME = re.compile(r"^lib(crypto|ssl)([-.].*)?\.(so|dylib)(\..*)?$|^lib(crypto|ssl)(-[\w.]+)?\.dll$")


_BUILD_KEYS = (b"OPENSSLDIR", b"ENGINESDIR", b"MODULESDIR")


# Each flavour's version string: a literal to find fast, then the pattern that must match where it was found.
_VERSION_PATTERNS = (
    ("AWS-LC", b"AWS-LC", rb"AWS-LC[ -]?(\d+\.\d+\.\d+)?"),
    ("BoringSSL", b"BoringSSL", rb"BoringSSL()"),
    ("LibreSSL", b"LibreSSL ", rb"LibreSSL (\d+\.\d+\.\d+)"),
    # a vendor's words may sit before the date: "OpenSSL 1.1.1k  FIPS 25 Mar 2021" (RHEL 8)
    (
        "OpenSSL",
        b"OpenSSL ",
        rb"OpenSSL (\d+\.\d+\.\d+[a-z]?(?:-[\w.]+)?)(?: +[A-Za-z][\w.-]{0,31}){0,3} +\d\d? \w{3} \d{4}",
    ),
)


# OpenSSL_version() selectors (OpenSSL >= 1.1): OPENSSL_DIR, OPENSSL_ENGINES_DIR, OPENSSL_MODULES_DIR.
_VERSION_SELECTORS = {"openssldir": 4, "enginesdir": 5, "modulesdir": 8}


_STATIC_SCAN_LIMIT = 512 * 1024 * 1024


_NEAR = 64 * 1024  # OpenSSL keeps its build strings together: look this close to OPENSSLDIR first
_WINDOW = 512 << 10  # bytes mapped at a time when searching a file: a 120 MB binary costs one window of memory


def _text(value: Any) -> str:
    """Turn bytes from C into text without ever failing on odd encodings."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)


def _quoted_value(line: str) -> Optional[str]:
    """Extract the value of an OpenSSL build string like `OPENSSLDIR: "/usr/lib/ssl"`."""
    start = line.find('"')
    end = line.rfind('"')
    if start == -1 or end <= start:
        return None if "n/a" not in line else "n/a"
    return line[start + 1 : end]


def _find_version(data: bytes, span: Tuple[int, int]) -> Optional[Tuple[str, str]]:
    """Find the flavour and version string: a fast search for each literal, the pattern only where it occurs."""
    for flavour, literal, pattern in _VERSION_PATTERNS:
        at = data.find(literal, *span)
        while at != -1:
            match = re.match(pattern, data[at : at + 96])  # compiled (and cached by re) only when needed
            if match:
                return flavour, _text(match.group(0))
            at = data.find(literal, at + 1, span[1])
    return None


def _flavour_of(version: Optional[str]) -> Optional[str]:
    """Name the flavour of a version string as OpenSSL_version(OPENSSL_VERSION) gives it (its own name in it)."""
    text = (version or "").encode("utf-8", "replace")
    return next((flavour for flavour, literal, _ in _VERSION_PATTERNS if literal in text), None)


def _find_build_string(data: bytes, key: bytes, span: Tuple[int, int]) -> Optional[str]:
    """Find `KEY: "value"` (or `KEY: n/a`) and return the value."""
    at = data.find(key + b": ", *span)
    while at != -1:
        value_at = at + len(key) + 2
        if data[value_at : value_at + 1] == b'"' or data[value_at : value_at + 3] == b"n/a":
            end = data.find(b"\0", at, at + 4096)
            return _quoted_value(_text(data[at : end if end != -1 else at + 256]))
        at = data.find(key + b": ", at + 1, span[1])
    return None


def offsets(handle: Any, literal: bytes, spans: Optional[Sequence[Tuple[int, int]]] = None) -> Iterator[int]:
    """Where a literal occurs in a file (or in its `spans`, (offset, length) each), one mapped window at a time."""
    import mmap

    size = min(os.fstat(handle.fileno()).st_size, _STATIC_SCAN_LIMIT)
    for start, span in spans or [(0, size)]:
        at, end = start - start % mmap.ALLOCATIONGRANULARITY, min(start + span, size)
        while at < end:
            length = min(_WINDOW + len(literal) - 1, end - at)
            with mmap.mmap(handle.fileno(), length, offset=at, access=mmap.ACCESS_READ) as window:
                index = window.find(literal)
                while -1 < index < _WINDOW:  # a match in the overlap is the next window's
                    yield at + index
                    index = window.find(literal, index + 1)
            at += _WINDOW


def _window(handle: Any, at: int, size: int) -> bytes:
    """`size` bytes of the file from `at`."""
    handle.seek(max(0, at))
    return bytes(handle.read(size))


def _scan_build_strings(handle: Any, facts: Dict[str, Any], spans: Optional[Sequence[Tuple[int, int]]]) -> None:
    """Fill in the build strings: near OPENSSLDIR first, where OpenSSL keeps them together, then everywhere.

    Every flavour's libcrypto (and every program with OpenSSL linked in) holds `OPENSSLDIR: `, which
    OpenSSL_version prints; a file without it carries no OpenSSL build (a libssl), and is not searched further.
    """
    anchor = next(offsets(handle, b"OPENSSLDIR: ", spans), None)
    if anchor is None:
        return
    near = _window(handle, anchor - _NEAR, 2 * _NEAR)
    for key in _BUILD_KEYS:
        value = _find_build_string(near, key, (0, len(near)))
        for at in offsets(handle, key + b": ", spans) if value is None else ():
            value = _find_build_string(_window(handle, at, 4096), key, (0, 4096))
            if value is not None:
                break
        if value is not None:
            facts[key.decode().lower()] = value
    found = _find_version(near, (0, len(near)))
    for _, literal, _ in _VERSION_PATTERNS if found is None else ():
        for at in offsets(handle, literal, spans):
            found = _find_version(_window(handle, at, 96), (0, 96))
            if found is not None:
                break
        if found is not None:
            break
    if found is not None:
        facts["flavour"], facts["version"] = found


def read_build_strings(path: str, spans: Optional[Sequence[Tuple[int, int]]] = None) -> Dict[str, Any]:
    """Read OpenSSL's flavour, version and compiled directories from a library file (or its `spans`), unrun."""
    facts: Dict[str, Any] = {
        "flavour": None,
        "version": None,
        "openssldir": None,
        "enginesdir": None,
        "modulesdir": None,
    }
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        facts["error"] = exc.strerror or str(exc)
        return facts
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            facts["error"] = "not a regular file"
            return facts
        if info.st_size == 0:
            facts["error"] = "empty file"
            return facts
        with os.fdopen(os.dup(fd), "rb", buffering=0) as handle:
            _scan_build_strings(handle, facts, spans)
    except (OSError, ValueError) as exc:
        facts["error"] = str(exc)
    finally:
        os.close(fd)
    return facts


def _python_facts() -> Dict[str, Any]:
    """Describe the interpreter and the hints that identify its distribution."""
    prefix = sys.prefix
    exe = sys.executable or ""
    hints: List[str] = []
    if sys.prefix != getattr(sys, "base_prefix", sys.prefix):
        hints.append("venv")
    if os.path.isdir(os.path.join(prefix, "conda-meta")) or "CONDA_PREFIX" in os.environ:
        hints.append("conda")
    if getattr(sys, "frozen", False) or hasattr(sys, "_MEIPASS") or "__compiled__" in globals():
        hints.append("frozen")
    if exe.startswith("/nix/store/") or prefix.startswith("/nix/store/"):
        hints.append("nix")
    if "Python.framework" in prefix and prefix.startswith("/Library/Frameworks"):
        hints.append("python.org-macos")
    if "/Cellar/python" in os.path.realpath(prefix) or prefix.startswith("/opt/homebrew"):
        hints.append("homebrew")
    if "/.pyenv/versions/" in prefix:
        hints.append("pyenv")
    if os.path.isfile(os.path.join(getattr(sys, "base_prefix", prefix), "PYTHON.json")):
        hints.append("python-build-standalone")
    hints.extend(platform for variable, platform in PLATFORM_VARIABLES if variable in os.environ)
    return {
        "version": "%d.%d.%d" % sys.version_info[:3],
        "implementation": sys.implementation.name,
        "executable": exe,
        "prefix": prefix,
        "base_prefix": getattr(sys, "base_prefix", prefix),
        "hints": hints,
        "certifi": certifi_location(),
        "site_folders": site_folders(),
    }


def site_folders() -> List[str]:
    """The folders of sys.path where installed distributions can live (the probe's own folder left out)."""
    here = os.path.dirname(os.path.abspath(__file__))
    found: List[str] = []
    for entry in sys.path:
        folder = os.path.abspath(entry) if entry else ""
        if folder and folder != here and folder not in found and os.path.isdir(folder):
            found.append(folder)
    return found


def os_release(opener: Callable[[str], str] = str) -> Dict[str, str]:
    """ID, ID_LIKE and VERSION_ID from os-release (`opener` turns its path into one this process can open)."""
    for candidate in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            with open(opener(candidate), encoding="utf-8", errors="replace") as handle:
                text = handle.read(65536)
        except OSError:
            continue
        release: Dict[str, str] = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep and key in ("ID", "ID_LIKE", "VERSION_ID"):
                release[key] = value.strip().strip("\"'")
        return release
    return {}


def _platform_facts() -> Dict[str, Any]:
    """Name the OS and, on Linux, the distribution from os-release."""
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    return {"system": sys.platform, "os_release": os_release(), "euid": euid}


def find_spec(name: str) -> Any:
    """Where a top-level module would be imported from, without importing it (nor importlib.util)."""
    for finder in sys.meta_path:
        try:
            spec = finder.find_spec(name, None)
        except (ImportError, ValueError, AttributeError, TypeError):
            continue
        if spec is not None:
            return spec
    return None


def certifi_location() -> Optional[str]:
    """Where this interpreter's certifi keeps its bundle, found without importing certifi (None if not found)."""
    spec = find_spec("certifi")
    for location in getattr(spec, "submodule_search_locations", None) or ():
        candidate = os.path.join(location, "cacert.pem")
        if os.path.isfile(candidate):
            return candidate
    return None


def _shadowing_ssl() -> Optional[str]:
    """Name a file that would be imported as `ssl` instead of the standard library's, without running it."""
    if "ssl" in sys.modules or getattr(sys, "frozen", False):
        return None
    spec = find_spec("ssl")
    origin = getattr(spec, "origin", None)
    stdlib = os.path.dirname(getattr(os, "__file__", "") or "")
    if not origin or not stdlib or not os.path.isfile(origin) or _same_file(os.path.dirname(origin), stdlib):
        return None
    return "import ssl would load %s, which shadows the standard library's ssl: rename it" % origin


def _ssl_facts() -> Dict[str, Any]:
    """Import ssl and record what OpenSSL it reports and where its default paths point."""
    shadow = _shadowing_ssl()
    if shadow is not None:
        return {"available": False, "error": shadow}
    try:
        import _ssl
        import ssl
    except Exception as exc:  # any import failure is the fact we report
        return {"available": False, "error": "%s: %s" % (type(exc).__name__, exc)}
    for module in (ssl, _ssl):
        if not hasattr(module, "get_default_verify_paths"):
            # A file of the user's (often their own script called ssl.py) shadows the standard library.
            where = getattr(module, "__file__", None) or "a module without a file"
            return {
                "available": False,
                "error": "import %s loads %s, which is not the standard library's module: rename it"
                % (module.__name__, where),
            }
    raw = _ssl.get_default_verify_paths()
    filtered = ssl.get_default_verify_paths()
    return {
        "available": True,
        "error": None,
        "openssl_version": ssl.OPENSSL_VERSION,
        "version_info": list(ssl.OPENSSL_VERSION_INFO),
        "module_file": getattr(_ssl, "__file__", None),
        "default_verify_paths_raw": {"cafile_env": raw[0], "cafile": raw[1], "capath_env": raw[2], "capath": raw[3]},
        "default_verify_paths": {"cafile": filtered.cafile, "capath": filtered.capath},
    }


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


def default_context_obstacle() -> Optional[str]:
    """Why this process cannot safely make a default context (no usable ssl, a CA file that blocks), or None."""
    ssl_facts = _ssl_facts()
    if not ssl_facts["available"]:
        return "ssl is unavailable: %s" % ssl_facts["error"]
    return blocking_cafile(trust_sources(ssl_facts)["cafile"]["path"])


INJECTED = "the default context is truststore's (injected at start): it asks the OS store on demand"


def context_facts(context: Any) -> Dict[str, Any]:
    """Count what a new default context loaded: take it before any handshake, which loads directory roots lazily."""
    try:
        stats = context.cert_store_stats()
    except NotImplementedError:  # truststore.SSLContext, injected by pip-system-certs or the program
        return {"ok": True, "error": None, "skipped": INJECTED, "x509": 0, "x509_ca": 0}
    return {"ok": True, "error": None, "x509": stats.get("x509", 0), "x509_ca": stats.get("x509_ca", 0)}


def _default_context_facts(cafile: Optional[str]) -> Dict[str, Any]:
    """Create a default context and count what it loaded (directories load lazily, so they count 0)."""
    import ssl

    skipped = blocking_cafile(cafile)
    if skipped:
        return {"ok": None, "error": None, "skipped": skipped, "x509": 0, "x509_ca": 0}
    try:
        context = ssl.create_default_context()
    except Exception as exc:
        return {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc), "x509": 0, "x509_ca": 0}
    return context_facts(context)


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


def parse_maps(text: str) -> List[Tuple[str, str, int, bool, str]]:
    """The files of a maps listing, once each, first mapping first: (path, device, inode, deleted, range)."""
    seen: Dict[str, Tuple[str, str, int, bool, str]] = {}
    for line in text.splitlines():
        parts = line.split(None, 5) if "/" in line else ()
        if len(parts) < 6 or not parts[5].startswith("/"):
            continue
        path = parts[5]
        deleted = path.endswith(" (deleted)")
        if deleted:
            path = path[: -len(" (deleted)")]
        if path not in seen:
            seen[path] = (path, parts[3], int(parts[4]), deleted, parts[0])
    return list(seen.values())


def _library_handle(path: str) -> Any:
    """Return a ctypes handle to an already-loaded library, or None; never loads anything new."""
    import ctypes

    mode = getattr(os, "RTLD_NOLOAD", 0) | getattr(os, "RTLD_LAZY", 1)
    if not getattr(os, "RTLD_NOLOAD", 0):
        return None
    try:
        return ctypes.CDLL(path, mode=mode)
    except OSError:
        return None


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
    facts["version"] = _text(function(0))
    for key, selector in _VERSION_SELECTORS.items():
        if legacy and key != "openssldir":
            continue
        value = function(5 if legacy else selector)
        if value:
            text = _text(value)
            if text.upper().startswith(key.upper()):
                facts[key] = _quoted_value(text)
    return facts


def _provider_of_ssl(ssl_facts: Dict[str, Any]) -> Tuple[Optional[str], Optional[str]]:
    """Find the file that provides the OpenSSL code `_ssl` calls (dladdr on its OpenSSL_version)."""
    import ctypes

    module_file = ssl_facts.get("module_file")
    handle = _library_handle(module_file) if module_file else None
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
    return _text(info.dli_fname), None


def _same_file(a: str, b: str) -> bool:
    """Compare two paths by identity, tolerating ones that no longer exist."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _role_of(path: str) -> str:
    """Name what a library file is to OpenSSL: libcrypto, libssl, or something carrying OpenSSL statically."""
    name = os.path.basename(path)
    if not _LIBRARY_NAME.match(name):
        return "static"
    return "libcrypto" if "crypto" in name else "libssl"


def _library_facts(ssl_facts: Dict[str, Any]) -> Dict[str, Any]:
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
        alone = [] if provider is None else [_describe_library(provider, unmapped, _role_of(provider), True)]
        return {"available": False, "reason": error, "provider_error": provider_error, "items": alone}
    items: List[Dict[str, Any]] = []
    provider_listed = False
    for path, entry in sorted(mapped.items()):
        name = os.path.basename(path)
        is_provider = provider is not None and (path == provider or _same_file(path, provider))
        match = _LIBRARY_NAME.match(name)
        if not match and not is_provider:
            continue
        role = _role_of(path) if match else "static"
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
        handle = _library_handle(path)
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
    facts["flavour"] = static.get("flavour") or _flavour_of(runtime.get("version"))
    facts["version"] = runtime.get("version") or static.get("version")
    for key in _VERSION_SELECTORS:
        facts[key] = runtime.get(key) or static.get(key)
    openssldir = facts["openssldir"]
    facts["openssldir_exists"] = os.path.isdir(openssldir) if openssldir and openssldir != "n/a" else None
    return facts


def environment_facts(environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """Copy the environment variables that shape trust, as the process (this one by default) sees them."""
    env = os.environ if environ is None else environ
    names = list(CA_VARIABLES) + list(LIBRARY_VARIABLES) + list(CLIENT_VARIABLES)
    found = {name: env[name] for name in names if name in env}
    for name, value in env.items():
        if name.startswith("DYLD_"):
            found[name] = value
    return found


def collect(default_context: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Collect every fact of this interpreter's trust path (`default_context`: the context facts, if known)."""
    ssl_facts = _ssl_facts()
    facts: Dict[str, Any] = {
        "probe_version": PROBE_VERSION,
        "platform": _platform_facts(),
        "python": _python_facts(),
        "ssl": ssl_facts,
        "environment": environment_facts(),
        "trust": None,
        "default_context": None,
    }
    if ssl_facts["available"]:
        facts["trust"] = trust_sources(ssl_facts)
        facts["default_context"] = default_context or _default_context_facts(facts["trust"]["cafile"]["path"])
    facts["libraries"] = _library_facts(ssl_facts)
    return facts


def _bind(handle: Any, name: str, restype: Any, argtypes: List[Any]) -> Any:
    """Give one libcrypto function its C signature."""
    function = getattr(handle, name)
    function.restype = restype
    function.argtypes = argtypes
    return function


def _verify_roots(samples: List[bytes], cafile: Optional[str], capath: Optional[str]) -> Dict[str, Any]:
    """Check each sample root against the store a default context builds, with the loaded libcrypto."""
    import _ssl
    import ctypes

    module_file = getattr(_ssl, "__file__", None)
    handle = _library_handle(module_file) if module_file else ctypes.CDLL(None)
    if handle is None or getattr(handle, "X509_verify_cert", None) is None:
        return {"error": "X509_verify_cert is not reachable from _ssl", "trusted": 0, "tried": 0}
    vp = ctypes.c_void_p
    d2i = _bind(handle, "d2i_X509", vp, [vp, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long])
    store_new = _bind(handle, "X509_STORE_new", vp, [])
    default_paths = _bind(handle, "X509_STORE_set_default_paths", ctypes.c_int, [vp])
    load_locations = _bind(handle, "X509_STORE_load_locations", ctypes.c_int, [vp, ctypes.c_char_p, ctypes.c_char_p])
    ctx_new = _bind(handle, "X509_STORE_CTX_new", vp, [])
    ctx_init = _bind(handle, "X509_STORE_CTX_init", ctypes.c_int, [vp, vp, vp, vp])
    verify = _bind(handle, "X509_verify_cert", ctypes.c_int, [vp])
    get_error = _bind(handle, "X509_STORE_CTX_get_error", ctypes.c_int, [vp])
    ctx_free = _bind(handle, "X509_STORE_CTX_free", None, [vp])
    store_free = _bind(handle, "X509_STORE_free", None, [vp])
    x509_free = _bind(handle, "X509_free", None, [vp])
    store = store_new()
    if cafile or capath:
        encode = os.fsencode
        load_locations(store, encode(cafile) if cafile else None, encode(capath) if capath else None)
    else:
        default_paths(store)
    trusted = 0
    errors: List[int] = []
    for der in samples:
        buffer = ctypes.c_char_p(der)
        certificate = d2i(None, ctypes.byref(buffer), len(der))
        if not certificate:
            errors.append(-1)
            continue
        context = ctx_new()
        ctx_init(context, store, certificate, None)
        if verify(context) == 1:
            trusted += 1
        else:
            errors.append(get_error(context))
        ctx_free(context)
        x509_free(certificate)
    store_free(store)
    return {"error": None, "trusted": trusted, "tried": len(samples), "verify_errors": errors}


class ProxyError(OSError):
    """The HTTP proxy refused or broke the CONNECT tunnel."""


def _no_proxy_match(host: str, port: int, no_proxy: str) -> bool:
    """Whether NO_PROXY exempts this host, the way requests and curl read it (names, suffixes, IPs, CIDRs)."""
    import ipaddress

    name = host.strip("[]").lower().rstrip(".")
    try:
        address: Any = ipaddress.ip_address(name)
    except ValueError:
        address = None
    for raw in no_proxy.replace(" ", ",").split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        if entry.count(":") == 1 and not entry.startswith("["):
            entry, _, entry_port = entry.partition(":")
            if entry_port and entry_port != str(port):
                continue
        entry = entry.strip("[]").lstrip(".").rstrip(".")
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        if name == entry or name.endswith("." + entry):
            return True
    return False


def proxy_for(host: str, port: int, environ: Optional[Dict[str, str]] = None) -> Optional[Dict[str, Any]]:
    """The HTTP CONNECT proxy that an HTTP client here would use for https://host:port, or None."""
    env = os.environ if environ is None else environ
    value = env.get("https_proxy") or env.get("HTTPS_PROXY")
    if not value or _no_proxy_match(host, port, env.get("no_proxy") or env.get("NO_PROXY") or ""):
        return None
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(value if "://" in value else "http://" + value)
    try:
        proxy_port = parts.port or 80
    except ValueError:
        proxy_port = -1
    auth = None
    if parts.username is not None:
        auth = "%s:%s" % (unquote(parts.username), unquote(parts.password or ""))
    return {"url": value, "scheme": parts.scheme, "host": parts.hostname, "port": proxy_port, "auth": auth}


def open_connection(host: str, port: int, timeout: float, proxy: Optional[Dict[str, Any]]) -> Any:
    """A TCP connection to host:port, directly or through an HTTP CONNECT tunnel; raises OSError."""
    import socket

    if proxy is None:
        return socket.create_connection((host.strip("[]"), port), timeout=timeout)
    if proxy["scheme"] != "http" or not proxy["host"] or not 0 < proxy["port"] < 65536:
        raise ProxyError("unsupported proxy %s: only http:// proxies with a valid port" % proxy["url"])
    sock = socket.create_connection((proxy["host"], proxy["port"]), timeout=timeout)
    try:
        authority = "[%s]:%d" % (host.strip("[]"), port) if ":" in host else "%s:%d" % (host, port)
        lines = ["CONNECT %s HTTP/1.1" % authority, "Host: %s" % authority]
        if proxy.get("auth"):
            import base64

            lines.append("Proxy-Authorization: Basic " + base64.b64encode(proxy["auth"].encode()).decode("ascii"))
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                raise ProxyError("the proxy %s closed the connection during CONNECT" % proxy["url"])
            reply += chunk
            if len(reply) > 64 * 1024:
                raise ProxyError("the proxy %s sent an endless CONNECT reply" % proxy["url"])
        status = reply.split(b"\r\n", 1)[0].decode("latin-1", "replace")
        fields = status.split(None, 2)
        if len(fields) < 2 or not fields[0].startswith("HTTP/") or fields[1] != "200":
            raise ProxyError("the proxy %s refused CONNECT %s: %s" % (proxy["url"], authority, status[:200]))
        if reply.index(b"\r\n\r\n") + 4 != len(reply):
            raise ProxyError("the proxy %s sent data before the tunnel opened" % proxy["url"])
    except BaseException:
        sock.close()
        raise
    return sock


def handshake(
    context: Any,
    host: str,
    port: int,
    server_name: str,
    timeout: float,
    linger: bool = True,
    meanwhile: Optional[Callable[[], None]] = None,
) -> Dict[str, Any]:
    """One TLS handshake with `context`, as an HTTP client here would make it (proxy included).

    With `linger`, wait briefly after the handshake for an alert the server sends once it has judged our
    certificate (TLS 1.3 servers do that after the client considers the handshake complete). `meanwhile`,
    if given, runs during that wait (only after a successful handshake), so the wait costs no extra time;
    what it raises is raised once the connection is closed.

    Returns what happened: `stage` (resolve, connect, proxy, handshake, after-handshake, done), the error's
    type, text, OpenSSL reason and verify code, and on success the protocol and the chain the peer sent.
    """
    import socket
    import ssl
    import time

    result: Dict[str, Any] = {"ok": False, "stage": "connect", "error": None, "error_type": None}
    proxy = proxy_for(host, port)
    result["proxy"] = None if proxy is None else proxy["url"]
    started = time.monotonic()
    try:
        raw = open_connection(host, port, timeout, proxy)
    except ProxyError as exc:
        result.update(stage="proxy", error=str(exc), error_type="ProxyError")
        return result
    except socket.gaierror as exc:
        result.update(stage="resolve", error=str(exc), error_type="gaierror")
        return result
    except (UnicodeError, ValueError) as exc:  # a name IDNA cannot encode never reaches the resolver
        result.update(stage="resolve", error="invalid host name %r: %s" % (host, exc), error_type="gaierror")
        return result
    except OSError as exc:
        result.update(error=str(exc) or type(exc).__name__, error_type=type(exc).__name__)
        return result
    result["stage"] = "handshake"
    deferred: List[BaseException] = []
    try:
        raw.settimeout(max(0.001, timeout - (time.monotonic() - started)))
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            result["handshake_seconds"] = time.monotonic() - started
            result["protocol"] = tls.version()
            result["chain"] = _peer_chain(tls)
            result["chain_whole"] = sys.version_info >= (3, 10)  # before, ssl shows the leaf alone
            result["stage"] = "after-handshake"
            if linger:
                # Wait one handshake's time (within bounds) for such an alert before calling it good.
                until = time.monotonic() + min(0.25, max(0.005, result["handshake_seconds"]))
                if meanwhile is not None:
                    try:
                        meanwhile()
                    except BaseException as exc:  # not the handshake's failure: raised after the close
                        deferred.append(exc)
                tls.settimeout(max(0.0005, until - time.monotonic()))
                try:  # noqa: SIM105 - importing contextlib costs more than this wait
                    tls.recv(1)
                except socket.timeout:
                    pass
            result["stage"] = "done"
            result["ok"] = True
    except ssl.SSLCertVerificationError as exc:
        result.update(
            error=str(exc),
            error_type=type(exc).__name__,
            reason=getattr(exc, "reason", None),
            verify_code=getattr(exc, "verify_code", None),
            verify_message=getattr(exc, "verify_message", None),
        )
    except ssl.SSLError as exc:
        result.update(error=str(exc), error_type=type(exc).__name__, reason=getattr(exc, "reason", None))
    except (OSError, ValueError) as exc:  # ValueError: a server name the TLS layer cannot encode
        result.update(error=str(exc) or type(exc).__name__, error_type=type(exc).__name__)
    finally:
        raw.close()
    if deferred:
        raise deferred[0]
    return result


def _peer_chain(tls: Any) -> List[str]:
    """The certificates the peer sent, base64 DER, leaf first (only the leaf before Python 3.10)."""
    getter = getattr(tls, "get_unverified_chain", None) or getattr(tls._sslobj, "get_unverified_chain", None)
    ders: List[bytes] = []
    der = getattr(sys.modules.get("_ssl"), "ENCODING_DER", 2)  # `_ssl.Certificate.public_bytes`' DER constant
    if getter is not None:
        for cert in getter() or ():
            ders.append(cert if isinstance(cert, bytes) else cert.public_bytes(der))
    else:
        leaf = tls.getpeercert(binary_form=True)
        ders = [leaf] if leaf else []
    import base64

    return [base64.b64encode(der).decode("ascii") for der in ders]


def _import_all(names: List[str]) -> Dict[str, Optional[str]]:
    """Import the program's own extension modules after a fix: each one's error, or None when it imports."""
    from importlib import import_module

    errors: Dict[str, Optional[str]] = {}
    for name in names[:20]:
        try:
            import_module(name)
            errors[name] = None
        except Exception as exc:  # the module's own failure is the answer (a library swap it cannot live with)
            errors[name] = "%s: %s" % (type(exc).__name__, exc)
    return errors


def trial(request: Dict[str, Any]) -> Dict[str, Any]:
    """Apply one candidate fix in this fresh interpreter and report what trust it yields."""
    import ctypes

    outcome: Dict[str, Any] = {"probe_version": PROBE_VERSION, "preloaded": [], "error": None}
    for path in request.get("preload", []):
        try:
            ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            outcome["preloaded"].append(path)
        except OSError as exc:
            outcome["error"] = "cannot preload %s: %s" % (path, exc)
            return outcome
    ssl_facts = _ssl_facts()
    outcome["ssl"] = ssl_facts
    if not ssl_facts["available"]:
        outcome["error"] = ssl_facts["error"]
        return outcome
    import ssl

    cafile, capath = request.get("cafile"), request.get("capath")
    blocked = blocking_cafile(cafile or trust_sources(ssl_facts)["cafile"]["path"])
    if blocked:
        outcome["error"] = blocked
        return outcome
    try:
        context = ssl.create_default_context(cafile=cafile, capath=capath)
        if request.get("add_cafile"):
            context.load_verify_locations(cafile=request["add_cafile"])  # on top of the defaults
        counted = context_facts(context)
        outcome["loaded"] = None if counted.get("skipped") else counted["x509_ca"]
    except Exception as exc:
        outcome["error"] = "%s: %s" % (type(exc).__name__, exc)
        return outcome
    import base64

    samples = [base64.b64decode(item) for item in request.get("samples", [])]
    outcome["roots"] = _verify_roots(samples, cafile, capath) if samples else None
    target = request.get("host")
    if target:
        outcome["handshake"] = handshake(
            context, target["host"], target["port"], target["server_name"], float(target["timeout"])
        )
    outcome["libraries"] = _library_facts(ssl_facts)
    outcome["imports"] = _import_all(request.get("imports", []))
    return outcome


def main(argv: Optional[List[str]] = None) -> int:
    """Print the facts (or a trial's outcome) as one JSON document on stdout."""
    import json

    args = sys.argv[1:] if argv is None else argv
    here = os.path.dirname(os.path.abspath(__file__))  # run as a script, its folder leads sys.path: not the program's
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
    result = trial(json.loads(sys.stdin.read(64 * 1024 * 1024))) if args[:1] == ["--verify"] else collect()
    sys.stdout.write(json.dumps(result, sort_keys=True))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
