"""Why a client's store file cannot be loaded, in words: what `client-store-missing` and the verdicts say.

OpenSSL opens real files only: a store named inside a zip archive (a frozen app's `library.zip`, a zipped
certifi) is no file, whatever the archive holds; a FIFO blocks whoever opens it; a file without a certificate
OpenSSL loads is no store.
"""

from __future__ import annotations

import os

from cadoctor._model import Bundle, Facts
from cadoctor._rules.client_values import BLOCKING, EMPTY_FOLDER, MISSING, NO_CERTIFICATES, UNHASHED, kind_of

ARCHIVES = (".zip", ".egg", ".whl", ".pyz", ".jar")  # what a frozen or zipped app imports from


def store_problem(facts: Facts, path: str | None) -> str:
    """Why a store file cannot be loaded, in words: missing, inside an archive, a FIFO, no certificate."""
    bundle = facts.bundle(path)
    if path is None:
        return "is not named"
    archive = in_archive(path, bundle)
    if archive is not None:
        return "is inside the archive %s (OpenSSL opens real files only)" % archive
    if bundle is None:
        return "was not looked at"
    kind = kind_of(path, bundle, facts.inventory == "light")
    if kind == MISSING:
        return "does not exist"
    if kind == NO_CERTIFICATES:
        return "holds no certificate OpenSSL loads" if bundle.size else "is empty"
    if kind == BLOCKING:
        return "is a %s, which blocks whoever opens it" % bundle.file_type.replace("-", " ")
    if kind in (UNHASHED, EMPTY_FOLDER):
        return "is a folder without the hash links OpenSSL looks certificates up by"
    return "cannot be read (%s)" % (bundle.error or kind)


def in_archive(path: str | None, bundle: Bundle | None) -> str | None:
    """The zip archive a store path lies inside (no real file is there), or None."""
    if not path or (bundle is not None and bundle.kind == "file"):
        return None
    return next((part for part in _parents(path) if part.lower().endswith(ARCHIVES)), None)


def _parents(path: str) -> list[str]:
    """A path's parent folders, outermost first."""
    parents: list[str] = []
    current = os.path.dirname(path)
    while current and current != os.path.dirname(current):
        parents.insert(0, current)
        current = os.path.dirname(current)
    return parents
