"""What one check remembers while it runs (decoded bundles, PEM blocks), dropped when it ends.

A run reads the same system bundle for several questions, and bundles share most roots: each is decoded once.
A long-lived caller of `cadoctor.check()` keeps none of it between checks.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_TABLES: list[dict[Any, Any]] = []


def table() -> dict[Any, Any]:
    """A dictionary that lives for one check."""
    kept: dict[Any, Any] = {}
    _TABLES.append(kept)
    return kept


def forget() -> None:
    """Empty every table: the check has ended."""
    for kept in _TABLES:
        kept.clear()


class CheckScope:
    """The tables kept for one `with` block (one check), emptied when it ends, however it ends."""

    def __enter__(self) -> None:
        """Nothing to open: the tables fill as the check reads."""

    def __exit__(self, *exc: object) -> None:
        """Empty the tables."""
        forget()
