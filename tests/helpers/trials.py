"""What the kept-answer tests share: a private cache folder, a short margin for files changed lately, a count of
the trial children started, and the damage a file of kept things may come to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cadoctor._facts.interpreters import kept, run

RACY = 0.2  # the tests' own margin for a file changed just before a trial (kept.RACY is 2 s)


class Children:
    """How many trial children `run_all` started, counted from when it is made."""

    def __init__(self) -> None:
        """None yet."""
        self.started = 0


def counted_trials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Children:
    """Keep answers in a cache folder of this test's own, with the short margin, and count the children started."""
    monkeypatch.setenv("CADOCTOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(kept, "RACY", RACY)
    children = Children()
    real = run.run_all

    def counted(*args: Any, **kwargs: Any) -> Any:
        children.started += len(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "run_all", counted)
    return children


def damage_kept_file(kept: Path, damage: str, version: int, malformed: Callable[[dict[str, Any]], None]) -> None:
    """Damage a file of kept things the way `damage` says: group-writable, garbage, another version, a malformed
    entry (`malformed` changes one in the document), a symlink to it, or a FIFO in its place."""
    import json
    import os

    document = json.loads(kept.read_text())
    if damage == "group-writable":
        kept.chmod(0o660)
    elif damage == "garbage":
        kept.write_bytes(b"\x00not json" * 100)
    elif damage == "another version":
        document["version"] = [version + 1, *document["version"][1:]]
        kept.write_text(json.dumps(document))
    elif damage.startswith("a malformed"):
        malformed(document)
        kept.write_text(json.dumps(document))
    elif damage == "a symlink":
        target = kept.parent.parent / "elsewhere.json"
        kept.rename(target)
        kept.symlink_to(target)
    elif damage == "a fifo":  # opened without blocking: never waited on
        kept.unlink()
        os.mkfifo(kept)
    else:
        raise ValueError("no such damage: %s" % damage)


def mutations(original: bytes, count: int, seed: int = 20261206) -> Iterator[bytes]:
    """`count` reproducible mutations of a file: bytes flipped, runs cut, runs repeated elsewhere, the tail cut off."""
    import random

    chance = random.Random(seed)  # noqa: S311 - a reproducible mutator, not a secret
    for _ in range(count):
        data = bytearray(original)
        for _ in range(chance.randint(1, 8)):
            at = chance.randrange(len(data))
            kind = chance.randrange(4)
            if kind == 0:
                data[at] = chance.randrange(256)
            elif kind == 1:
                del data[at : at + chance.randint(1, 64)]
            elif kind == 2:
                data[at:at] = data[chance.randrange(len(data)) :][: chance.randint(1, 64)]
            else:
                data = data[:at]
                break
        yield bytes(data)
