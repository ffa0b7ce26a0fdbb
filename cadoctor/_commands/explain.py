"""`explain`: a TLS error message or traceback decoded into its likely causes, and what checks each."""

from __future__ import annotations

from cadoctor._rules.explain.reading import Explanation
from cadoctor._rules.explain.reading import explain as decode


def explain(message: str) -> Explanation:
    """The reading of a message: it is only text, so the rules alone answer (nothing is read, nothing is run)."""
    return decode(message)
