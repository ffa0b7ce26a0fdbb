"""Store trials' answers kept between checks, served only while nothing they follow from has changed.

Which store a library resolves, and what OpenSSL loads from it, follows from the interpreter, the environment, the
working directory, the question asked, and the files the child read (its `depends`: each with its identity from
before it was read, the shared libraries it mapped included). The key holds the first four and the child's own code;
the entry holds the files, and is served only when every one of them is as it was. An answer that followed from a
file changed shortly before (or during) the trial is not kept: a file rewritten within one tick of the filesystem's
clock keeps its identity, so only files older than `RACY` seconds tell their content by it.

A request trial's answer (a host's verdicts) is kept under a key that also names the host's chain and answer, and
served only until a time (`_fixes/kept_trials.py` decides both). The folder is this user's
(`$CADOCTOR_CACHE/trials`, else `$XDG_CACHE_HOME/cadoctor/trials`, else ~/.cache's), private to them; an entry
another user could have written, or that is not the answer to its key, is never read; a folder that cannot be
written keeps nothing.
"""

from __future__ import annotations

import json
import os

from cadoctor._facts.child.depends import as_asked, identity, probed
from cadoctor._facts.memo import kept_folder, read_private, write_private

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from cadoctor._facts.interpreters.proof import ProvenPython

VERSION = 1
RACY = 2.0  # seconds: a file changed more recently than this before a trial leaves its answer unkept
ENTRIES = 64  # kept at most; the oldest go first
ENTRY_LIMIT = 4 << 20  # bytes read of one entry


def folder() -> str | None:
    """Where this user's kept answers live (`trials` in the folder checks keep things in), or None without a home.

    `$CADOCTOR_CACHE/trials` when that names a folder by its absolute path (a CI job's own, a test session's),
    else `$XDG_CACHE_HOME/cadoctor/trials`, else `~/.cache/cadoctor/trials`.
    """
    base = kept_folder()
    return None if base is None else os.path.join(base, "trials")


def key(python: ProvenPython, payload: bytes, env: Mapping[str, str], cwd: str) -> str:
    """What names one store trial: the child's code, the interpreter, its environment and folder, the question."""
    import hashlib

    from cadoctor._facts.child import jobs
    from cadoctor._version import __version__

    # The child's sources; not their bytecode's folder, which every interpreter version that runs them writes to.
    names = [name for name in os.listdir(jobs.FOLDER) if name != "__pycache__"]
    code = sorted((name, identity(os.path.join(jobs.FOLDER, name))) for name in names)
    real = os.path.realpath(python.path)
    named = [VERSION, __version__, code, python.path, real, identity(real), sorted(env.items()), cwd]
    named.append(payload.decode("utf-8", "replace"))
    return hashlib.sha256(json.dumps(named).encode()).hexdigest()


def recall(name: str, seen: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The answer kept under `name`, when every file it follows from is as it was; None otherwise.

    An answer kept with a time (`until`, time.time()) serves only before it. `seen`: each path's identity as this
    check found it, shared by the answers it recalls (most follow from the same interpreter's files), filled here.
    """
    import time

    where = folder()
    if where is None:
        return None
    kept = read_private(os.path.join(where, name + ".json"), ENTRY_LIMIT)
    if not isinstance(kept, dict) or kept.get("key") != name or not isinstance(kept.get("answer"), dict):
        return None
    until = kept.get("until")
    if until is not None and not (isinstance(until, (int, float)) and time.time() < until):
        return None
    depends = kept.get("depends")
    if not isinstance(depends, list) or not depends:
        return None
    for item in depends:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            return None
        if _now(item[0], item[1], seen) != item[1]:
            return None
    answer: dict[str, Any] = kept["answer"]
    return answer


def _now(path: str, kept: Any, seen: dict[str, Any] | None) -> Any:
    """What tells `path` apart now, as `kept` was taken: a folder only asked about by its kind (`probed`)."""
    asked = isinstance(kept, list) and len(kept) == 3
    if seen is None:
        return probed(path) if asked else identity(path)
    whole = seen[path] if path in seen else seen.setdefault(path, identity(path))
    return as_asked(whole) if asked else whole


def keep(name: str, answer: Mapping[str, Any], started: float, until: float | None = None) -> None:
    """Keep a trial's answer under `name`, if it says what it follows from and none of it changed lately.

    `started` is when the trial's child started (time.time()): a file changed within `RACY` seconds of it, or
    after, leaves the answer unkept. `until` (time.time()): when it stops serving. Nothing here ever fails a check:
    a folder that cannot be written keeps nothing.
    """
    depends = answer.get("depends")
    where = folder()
    if where is None or answer.get("mapped") is not True or not isinstance(depends, list) or not depends:
        return
    recent = int((started - RACY) * 1e9)
    for item in depends:
        found = item[1] if isinstance(item, list) and len(item) == 2 else None
        if found is None or (isinstance(found, list) and len(found) == 3):  # absent; a folder's kind: no time
            continue
        if not isinstance(found, list) or len(found) != 6 or max(found[4:]) >= recent:
            return
    kept: dict[str, Any] = {
        "key": name,
        "depends": depends,
        "answer": {k: v for k, v in answer.items() if k != "depends"},
    }
    if until is not None:
        kept["until"] = until
    if write_private(os.path.join(where, name + ".json"), kept):
        _prune(where)


def _prune(where: str) -> None:
    """Keep the newest `ENTRIES` entries (and no temporary file a killed check left)."""
    entries = []
    for entry in os.scandir(where):
        if entry.name.endswith(".json") or entry.name.startswith("."):
            try:
                entries.append((entry.stat(follow_symlinks=False).st_mtime, entry.path))
            except OSError:
                continue
    for _, path in sorted(entries, reverse=True)[ENTRIES:]:
        try:
            os.unlink(path)
        except OSError:
            continue
