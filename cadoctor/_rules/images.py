"""Findings about an image as a whole (`--root`): the interpreters in it besides the one its report describes.

An image's app usually runs from a venv (`/opt/venv`, a project's `.venv`) that its `ENV PATH` puts first. A check
of the image describes one interpreter (the one `--python` or the image's PATH names, else its `python3`); the
venvs it finds are examined too when nothing named one, and their findings carry their interpreter's path.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from cadoctor._model import Facts, Finding, Severity


def other_pythons(facts: Facts, examined: tuple[str, ...] = ()) -> Iterator[Finding]:
    """The image's other interpreters and venvs: those examined too (`examined`), and the command for the rest."""
    subject = facts.subject
    if subject is None or subject.kind != "root" or not facts.other_pythons or subject.root is None:
        return
    rest = [python for python in facts.other_pythons if python not in examined]
    commands = [
        "cadoctor check --root %s --python %s" % (shlex.quote(subject.root), shlex.quote(python)) for python in rest
    ]
    said = "the image also carries %s; this report describes %s" % (
        ", ".join(facts.other_pythons),
        subject.executable,
    )
    if examined:
        said += ", and the findings of %s, each named by its path" % ", ".join(examined)
    if commands:
        said += "; to examine the others: %s" % "; ".join(commands)
    yield Finding(
        "image-other-pythons",
        Severity.INFO,
        said,
        {"examined": [subject.executable, *examined], "pythons": list(facts.other_pythons), "commands": commands},
    )
