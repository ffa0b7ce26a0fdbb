"""`inspect`: what files say about OpenSSL and CA certificates, read inside a root or here, running nothing."""

from __future__ import annotations

from collections.abc import Sequence

from cadoctor._facts.fs.fileroot import HOST
from cadoctor._facts.subjects.inspection import inspect_path
from cadoctor._model.inspection import Inspection


def inspect(paths: Sequence[str], root: str | None = None) -> tuple[str | None, list[Inspection]]:
    """Each path's inspection, and the root it was read in (None: this host's; raises RootError for a bad root)."""
    view = HOST
    if root is not None:
        from cadoctor._facts.subjects.image import open_root  # the image's reader, only for an image

        view = open_root(root)
    return None if view.is_host else view.root, [inspect_path(path, view) for path in paths]
