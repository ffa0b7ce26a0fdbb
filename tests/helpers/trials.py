"""What the kept-answer tests share: a private cache folder, a short margin for files changed lately, a count of
the trial children started."""

from __future__ import annotations

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
