"""Which bundle a fix may name: a regular file that parses, that only its owner can write."""

from __future__ import annotations

from cadoctor._model import Bundle, Facts
from cadoctor._text import has_control


def trustworthy(bundle: Bundle) -> bool:
    """A bundle we may point a process at: a regular file that parses, nobody else can write, mostly valid.

    Its path must also be one a person can read and paste exactly: no control characters.
    """
    return (
        not has_control(bundle.path)
        and bundle.kind == "file"
        and bundle.file_type == "regular"
        and bundle.certificates > 0
        and not bundle.exposures
        and not bundle.mostly_stale
    )


def best_bundle(facts: Facts, exclude: str | None = None) -> Bundle | None:
    """The bundle a fix should name: the OS's own first, then certifi's."""
    for role in ("system", "certifi"):
        for bundle in facts.bundles:
            if role in bundle.roles and bundle.path != exclude and trustworthy(bundle):
                return bundle
    return None
