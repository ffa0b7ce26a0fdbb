"""`inspect`: what files say about OpenSSL and CA certificates, read inside a root or here, running nothing."""

from __future__ import annotations

import os
from collections.abc import Sequence

from cadoctor._facts.fs.fileroot import HOST
from cadoctor._facts.subjects.inspection import inspect_path
from cadoctor._model.inspection import Inspection
from cadoctor._record import replace


def inspect(paths: Sequence[str], root: str | None = None) -> tuple[str | None, list[Inspection]]:
    """Each path's inspection, and the root it was read in (None: this host's; raises RootError for a bad root)."""
    view = HOST
    if root is not None:
        from cadoctor._facts.subjects.image import open_root  # the image's reader, only for an image

        view = open_root(root)
    if not view.is_host:
        return view.root, [inspect_path(path, view) for path in paths]
    # here, a relative path is the working folder's, as the shell that typed it means: read by its absolute path
    # (the readers take absolute paths alone), reported by the name given
    return None, [_named(inspect_path(os.path.abspath(path), view), path) for path in paths]


def _named(inspection: Inspection, given: str) -> Inspection:
    """The inspection of a path read by its absolute name, reported by the name given."""
    return inspection if inspection.path == given else replace(inspection, path=given)
