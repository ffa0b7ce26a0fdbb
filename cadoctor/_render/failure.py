"""The JSON document of a check that could not run (exit 3): where the report would have gone, an `error`."""

from __future__ import annotations

import json

from cadoctor._model import SCHEMA_VERSION
from cadoctor._redact import redacted_document
from cadoctor._version import __version__


def render_failure(kind: str, message: str) -> str:
    """A build script parsing stdout gets a document that says why there is no report, not an empty string.

    `kind` is `interpreter`, `process`, `root` (the subject named by --python, --pid or --root) or `internal`.
    """
    document = {
        "schema_version": SCHEMA_VERSION,
        "cadoctor_version": __version__,
        "status": "failed",
        "error": {"kind": kind, "message": message},
    }
    return json.dumps(redacted_document(document), indent=2) + "\n"
