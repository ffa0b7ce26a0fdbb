"""The distributions installed where an interpreter imports from, found as `importlib.metadata` finds them.

`.dist-info` and `.egg-info` entries, folders and single files (Debian's `pyasn1_modules-0.2.8.egg-info` is a
file), in the folders the interpreter really imports from, in their order: the first of a name is the one
`importlib.metadata` and `import` see, the later ones are shadowed. Name and version come from METADATA or
PKG-INFO (a folder's name may carry no version: Debian's `cryptography.egg-info`), read by hand: reading the
headers costs about a millisecond for a venv of ten clients, where `importlib.metadata` costs 45-50 ms.
`.pth` files are read, never run: the ones that import truststore or pip-system-certs inject the OS store into
every client. Nothing is imported.
"""

from __future__ import annotations

import posixpath
import re

from .files import Files, reason
from .source import FOLDER_LIMIT

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Collection, Dict, Iterable, List, Optional, Tuple

_SUFFIXES = (".dist-info", ".egg-info")
_METADATA_LIMIT = 64 * 1024  # the headers come first; the long description after them is not needed
_PTH_LIMIT = 16 * 1024
# What an executable line of a `.pth` file imports when it injects the OS store into every client.
_INJECTING = (("pip_system_certs", "pip-system-certs"), ("truststore", "truststore"))


def normalise(name: str) -> str:
    """A project name as the packaging standards compare it: `Pip_System.Certs` is `pip-system-certs`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _entry_name(entry: str) -> Tuple[str, str]:
    """The project and version a metadata entry's own name carries (`certifi-2022.9.24.egg-info`; '' if none)."""
    stem = entry[: entry.rfind(".")]
    project, _, rest = stem.partition("-")
    version = rest.split("-py")[0] if rest else ""
    return project, version


def headers(text: str) -> Tuple[Optional[str], Optional[str]]:
    """The Name and Version headers of a METADATA or PKG-INFO text (they end at the first blank line)."""
    name = version = None
    for line in text.splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if sep and key == "name" and name is None:
            name = value.strip()
        elif sep and key == "version" and version is None:
            version = value.strip()
    return name or None, version or None


def _metadata(files: Files, path: str, folder: bool) -> Tuple[Optional[str], Optional[str], Optional[str]]:
    """Name, version and the problem reading them, from an entry's METADATA / PKG-INFO (or the file itself)."""
    candidates = [path + "/METADATA", path + "/PKG-INFO"] if folder else [path]
    problems = []
    for candidate in candidates:
        try:
            data = files.read(candidate, _METADATA_LIMIT)
        except OSError as exc:
            problems.append("%s cannot be read: %s" % (candidate.rpartition("/")[2], reason(exc)))
            continue
        name, version = headers(data.decode("utf-8", "replace"))
        if name and version:
            return name, version, None
        return name, version, "%s names no %s" % (candidate.rpartition("/")[2], "version" if name else "project")
    return None, None, "; ".join(problems)


def _distribution(files: Files, folder: str, entry: str, key: str) -> Dict[str, Any]:
    """One distribution's record from its metadata entry (its name's parts fill in what the metadata lacks)."""
    path = folder.rstrip("/") + "/" + entry
    is_folder = files.is_folder(path)
    name, version, problem = _metadata(files, path, is_folder)
    entry_project, entry_version = _entry_name(entry)
    if name is None or normalise(name) != key:
        name = entry_project
    return {
        "name": key,
        "project": name,
        "version": version or entry_version,
        "path": path,
        "location": folder,
        "metadata": ("dist-info" if entry.lower().endswith(".dist-info") else "egg-info")
        + ("" if is_folder else " file"),
        "problem": problem,
        "shadowed": [],
    }


def _injector(files: Files, folder: str, entry: str) -> Optional[Dict[str, str]]:
    """A `.pth` file whose executable line imports truststore or pip-system-certs, read and never run."""
    path = folder.rstrip("/") + "/" + entry
    try:
        text = files.read(path, _PTH_LIMIT).decode("utf-8", "replace")
    except OSError:
        return None
    for line in text.splitlines():
        if not line.startswith(("import ", "import\t")):
            continue
        for marker, name in _INJECTING:
            if marker in line:
                return {"name": name, "path": path, "line": line.strip()[:200]}
    return None


def installed(folders: Iterable[str], wanted: Collection[str], files: Optional[Files] = None) -> Dict[str, Any]:
    """The distributions named in `wanted` (normalised names) and the trust injectors in these folders, in order.

    Each distribution is the first of its name on the path; a later one of the same name is listed in its
    `shadowed` (what `import` and `importlib.metadata` never see while the first is there).
    """
    files = files or Files()
    found: Dict[str, Dict[str, Any]] = {}
    injectors: List[Dict[str, str]] = []
    for folder in list(dict.fromkeys(folders))[:FOLDER_LIMIT]:
        for entry in sorted(files.listing(folder)):
            low = entry.lower()
            if low.endswith(_SUFFIXES):
                key = normalise(_entry_name(entry)[0])
                if key not in wanted:
                    continue
                if key in found:
                    found[key]["shadowed"].append(folder.rstrip("/") + "/" + entry)
                    continue
                found[key] = _distribution(files, folder, entry, key)
            elif low.endswith(".pth"):
                injector = _injector(files, folder, entry)
                if injector is not None:
                    injectors.append(injector)
    return {"distributions": [found[k] for k in sorted(found)], "injectors": injectors}


def pth_folders(files: Files, folder: str) -> List[str]:
    """The folders a site folder's `.pth` files add to sys.path, as `site.addpackage` reads them (never run)."""
    added: List[str] = []
    for entry in sorted(files.listing(folder)):
        if not entry.endswith(".pth") or entry.startswith("."):
            continue
        try:
            text = files.read(folder.rstrip("/") + "/" + entry, _PTH_LIMIT).decode("utf-8", "replace")
        except OSError:
            continue
        for line in text.splitlines():
            line = line.rstrip()
            if not line or line.startswith(("#", "import ", "import\t")):
                continue
            path = posixpath.normpath(posixpath.join(folder, line))
            if path not in added and files.is_dir(path):
                added.append(path)
    return added
