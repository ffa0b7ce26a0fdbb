"""`cadoctor inspect PATH...` from its options to an exit status, without loading typer or the check machinery."""

from __future__ import annotations

from collections.abc import Sequence

from cadoctor._cli.exits import EXIT_CANNOT_EXAMINE, EXIT_FINDINGS, EXIT_OK
from cadoctor._cli.options import FORMAT, Command, Option, Output
from cadoctor._errors import RootError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from cadoctor._model.inspection import Inspection

INSPECT = Command(
    "inspect",
    (FORMAT, Option("root", ("--root",), "Read the paths inside this unpacked image or chroot.", metavar="DIR")),
    words="paths",
    metavar="PATH",
    required=True,
)


def exit_status(inspections: Sequence[Inspection]) -> int:
    """3 when a path could not be read, 1 when one is damaged or is neither a binary nor a bundle, else 0.

    A CA file is damaged when it carries a certificate OpenSSL does not load (a block cut short, bad DER, a line
    OpenSSL stops reading at): what was meant to be trusted is not, whatever the rest holds.
    """
    if any(not item.readable for item in inspections):
        return EXIT_CANNOT_EXAMINE
    if any(item.error and item.kind in ("other", "binary") for item in inspections):
        return EXIT_FINDINGS
    if any(item.kind == "bundle" and item.bundle is not None and item.bundle.unparseable for item in inspections):
        return EXIT_FINDINGS
    return EXIT_OK


def run_inspect(fmt: Output, root: str | None, paths: Sequence[str]) -> int:
    """Inspect files (inside `root`), write what they hold, and turn it into an exit code."""
    import json
    import sys

    from cadoctor._commands.inspect import inspect
    from cadoctor._render.inspection import to_document, to_text
    from cadoctor._render.terminal import columns, error

    try:
        where, inspections = inspect(paths, root)
    except RootError as exc:
        error(str(exc))
        return EXIT_CANNOT_EXAMINE
    if fmt is Output.JSON:
        sys.stdout.write(json.dumps(to_document(inspections, where), indent=2) + "\n")
    else:
        sys.stdout.write(to_text(inspections, columns(sys.stdout)))
    return exit_status(inspections)
