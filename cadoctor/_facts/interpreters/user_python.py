"""Which Python the `cadoctor` command examines: the user's, when a tool installer made its environment.

Installed the way command-line tools are installed today (pipx, `uv tool install`, `uvx`), cadoctor runs from
a private venv that nothing else uses: diagnosing that venv's trust path would answer a question nobody asked.
Each installer leaves its marker in the environment it made (measured: pipx 1.x writes `pipx_metadata.json`,
with its uv backend too and for `pipx run`'s cached venvs; `uv tool install` writes `uv-receipt.toml`; `uvx`
runs from `archive-v0/<id>` in uv's cache, tagged by its `CACHEDIR.TAG`). There the user's Python is the active
virtual environment's (`$VIRTUAL_ENV`), else the `python3` on PATH.

Any other environment is the user's own: an application's venv whose `bin/cadoctor` is run by path (the way
Dockerfiles and services run it) holds the clients in question, so it examines itself, unless another venv is
active. The user's Python is examined through the same machinery as `--python`, and only when it is a proven
CPython (a pyenv shim is a script: it is read to find the interpreter it would start, never run).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping

from cadoctor._facts.interpreters.proof import NotProven, prove_python
from cadoctor._record import record


@record
class UserPython:
    """The interpreter the user runs, as the command found it.

    Attributes:
        path: The interpreter to examine, or None when the one found cannot be run (`why` says why).
        found: What was found: `$VIRTUAL_ENV/bin/python` or the `python3` on PATH, as a path.
        origin: How it was chosen, in words: "the active virtual environment's", "the python3 on PATH".
        why: Why the one found cannot be run, when it cannot.
        installer: The tool that made cadoctor's own environment ("pipx", "uv tool", "uvx"), or None for one of
            the user's own.

    """

    path: str | None
    found: str
    origin: str
    why: str | None = None
    installer: str | None = None


# The files a tool installer leaves in the environment it made for one application, with the tool's name.
TOOL_MARKERS = (("pipx_metadata.json", "pipx"), ("uv-receipt.toml", "uv tool"))
CACHE_TAG = "Signature: 8a477f597d28d172789f06886806bc55"  # the CACHEDIR.TAG standard's first line, which uv writes


def tool_environment(prefix: str) -> str | None:
    """The installer that made the environment at `prefix` for one application ("pipx", "uv tool", "uvx"), or None.

    None is an environment of the user's own: a base install, a venv they made (with `python -m venv`, virtualenv
    or `uv venv`, whose `pyvenv.cfg` names uv too: not a marker).
    """
    for name, tool in TOOL_MARKERS:
        if os.path.isfile(os.path.join(prefix, name)):
            return tool
    parent = os.path.dirname(os.path.abspath(prefix))
    if os.path.basename(parent) != "archive-v0":
        return None
    try:
        with open(os.path.join(os.path.dirname(parent), "CACHEDIR.TAG"), encoding="ascii", errors="replace") as tag:
            return "uvx" if tag.read(len(CACHE_TAG)) == CACHE_TAG else None
    except OSError:
        return None


def _same(a: str, b: str) -> bool:
    """Whether two paths name one file or folder (False when either cannot be examined)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _environment_of(python: str) -> str | None:
    """The venv an interpreter path belongs to (the folder holding `pyvenv.cfg`), or None for a base install."""
    folder = os.path.dirname(os.path.dirname(os.path.abspath(python)))
    return folder if os.path.isfile(os.path.join(folder, "pyvenv.cfg")) else None


def _is_this_environment(python: str) -> bool:
    """Whether `python` runs in the environment cadoctor itself runs in."""
    venv = _environment_of(python)
    if venv is not None:
        return _same(venv, sys.prefix)
    return sys.prefix == sys.base_prefix and _same(os.path.realpath(python), os.path.realpath(sys.executable))


def _pyenv_version_names(root: str, environ: Mapping[str, str]) -> list[str]:
    """The versions pyenv selects, as it decides: $PYENV_VERSION, a .python-version up from here, its global file."""
    if environ.get("PYENV_VERSION"):
        return environ["PYENV_VERSION"].split(":")
    folder = os.path.abspath(os.getcwd())
    while True:
        chosen = os.path.join(folder, ".python-version")
        if os.path.isfile(chosen):
            break
        parent = os.path.dirname(folder)
        if parent == folder:
            chosen = os.path.join(root, "version")
            break
        folder = parent
    try:
        with open(chosen, encoding="utf-8", errors="replace") as handle:
            names = [n for line in handle.read(4096).splitlines() for n in line.split() if not n.startswith("#")]
    except OSError:
        names = []
    return names or ["system"]


def _behind_shim(shim: str, environ: Mapping[str, str]) -> str | None:
    """What a pyenv shim would start, read from pyenv's files (the shim itself, a script, is never run)."""
    root = os.path.dirname(os.path.dirname(shim))
    if os.path.basename(os.path.dirname(shim)) != "shims" or not os.path.isdir(os.path.join(root, "versions")):
        return None
    for name in _pyenv_version_names(root, environ):
        if name == "system":
            rest = os.pathsep.join(
                p for p in environ.get("PATH", "").split(os.pathsep) if not _same(p, os.path.dirname(shim))
            )
            return shutil.which(os.path.basename(shim), path=rest)
        candidate = os.path.join(root, "versions", os.path.basename(name), "bin", os.path.basename(shim))
        if os.path.exists(candidate):
            return candidate
    return None


def user_python(environ: Mapping[str, str]) -> UserPython | None:
    """The user's Python when it is not the environment cadoctor runs in.

    An environment a tool installer made hands over to the active venv, else to the `python3` on PATH; one of the
    user's own hands over only to another, active venv. None: cadoctor examines itself.
    """
    venv = environ.get("VIRTUAL_ENV")
    if venv and os.path.isdir(venv):
        if _same(venv, sys.prefix):
            return None
        bin_dir = "Scripts" if os.name == "nt" else "bin"
        found = next(
            (p for p in (os.path.join(venv, bin_dir, n) for n in ("python", "python3")) if os.path.exists(p)),
            os.path.join(venv, bin_dir, "python"),
        )
        origin = "the active virtual environment's ($VIRTUAL_ENV)"
    elif tool_environment(sys.prefix) is None:
        return None
    else:  # the tool's own folder is not the user's: uvx puts it first on PATH
        own = os.path.join(sys.prefix, "Scripts" if os.name == "nt" else "bin")
        path = os.pathsep.join(p for p in environ.get("PATH", os.defpath).split(os.pathsep) if not _same(p, own))
        on_path = shutil.which("python3", path=path)
        behind = _behind_shim(on_path, environ) if on_path is not None else None
        if behind is not None:
            on_path = behind
        if on_path is None or _is_this_environment(on_path):
            return None
        found, origin = on_path, "the python3 pyenv's shim on PATH starts" if behind else "the python3 on PATH"
    installer = tool_environment(sys.prefix)
    try:
        prove_python(found, environ)
    except NotProven as exc:
        return UserPython(None, found, origin, str(exc), installer)
    return UserPython(found, found, origin, None, installer)
