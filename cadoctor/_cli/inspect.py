"""`cadoctor inspect PATH...` from argv to exit status, without loading the check machinery."""

from __future__ import annotations

from cadoctor._cli.exits import EXIT_CANNOT_EXAMINE, EXIT_FINDINGS, EXIT_OK
from cadoctor._errors import RootError
from cadoctor._facts.fs.fileroot import HOST
from cadoctor._facts.subjects.inspection import inspect_path
from cadoctor._model.inspection import Inspection
from cadoctor._render.inspection import to_document, to_text


def exit_status(inspections: list[Inspection]) -> int:
    """3 when a path could not be read, 1 when one is damaged or is neither a binary nor a bundle, else 0."""
    if any(not item.readable for item in inspections):
        return EXIT_CANNOT_EXAMINE
    if any(item.error and item.kind in ("other", "binary") for item in inspections):
        return EXIT_FINDINGS
    return EXIT_OK


def parse_inspect(argv: list[str]) -> tuple[str, str | None, list[str]] | None:
    """Read `inspect [--format human|json] [--root DIR] PATH...`; None for anything left to the full CLI."""
    if not argv or argv[0] != "inspect":
        return None
    fmt, root, paths = "human", None, []
    rest = iter(argv[1:])
    for arg in rest:
        name, eq, inline = arg.partition("=")
        if name in ("--format", "-f", "--root") and (not eq or name.startswith("--")):
            value = inline if eq else next(rest, None)
            if not value or value.startswith("-"):
                return None
            if name == "--root":
                root = value
            elif value in ("human", "json"):
                fmt = value
            else:
                return None
        elif arg.startswith("-"):
            return None
        else:
            paths.append(arg)
    return (fmt, root, paths) if paths else None


def run_inspect(fmt: str, root: str | None, paths: list[str]) -> int:
    """Inspect files (inside `root`), write what they hold, and turn it into an exit code."""
    import json
    import sys

    view = HOST
    if root is not None:
        from cadoctor._facts.subjects.image import open_root
        from cadoctor._render.terminal import error

        try:
            view = open_root(root)
        except RootError as exc:
            error(str(exc))
            return EXIT_CANNOT_EXAMINE
    inspections = [inspect_path(path, view) for path in paths]
    if fmt == "json":
        sys.stdout.write(json.dumps(to_document(inspections, view), indent=2) + "\n")
    else:
        sys.stdout.write(to_text(inspections))
    return exit_status(inspections)
