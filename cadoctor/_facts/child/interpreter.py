"""The interpreter's own facts: its version, the hints that name its distribution, where it imports from.

The variables it copies and the ones that mark a platform come in the request (`cadoctor._variables` keeps
them): the child holds no copy of those tables.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Mapping, Optional


def python_facts(variables: Mapping[str, Any]) -> Dict[str, Any]:
    """Describe the interpreter and the hints that identify its distribution (`variables`: the request's tables)."""
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
    hints.extend(platform for variable, platform in variables["platforms"] if variable in os.environ)
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
    """The folders of sys.path where installed distributions can live (the child's own folder left out).

    A regular file there is a zip archive `zipimport` imports from (PySpark's addPyFile, an `.egg`, a frozen
    app's library.zip): it is kept in its place, since what it holds comes before the folders after it.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    found: List[str] = []
    for entry in sys.path:
        folder = os.path.abspath(entry) if entry else ""
        if folder and folder != here and folder not in found and (os.path.isdir(folder) or os.path.isfile(folder)):
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


def platform_facts() -> Dict[str, Any]:
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


def environment_facts(variables: Mapping[str, Any], environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """Copy the variables the request names (by name, then by prefix) from an environment (by default this one's)."""
    env = os.environ if environ is None else environ
    found = {name: env[name] for name in variables["copied"] if name in env}
    prefixes = tuple(variables["prefixes"])
    for name, value in env.items():
        if prefixes and name.startswith(prefixes):
            found[name] = value
    return found
