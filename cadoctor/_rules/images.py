"""Findings about an image as a whole (`--root`): what else in it runs Python besides the interpreter examined.

An image's app usually runs from a venv (`/opt/venv`, a project's `.venv`) that its `ENV PATH` puts first; a check
of the image examines one interpreter, and the others get their own check with `--python`, a path in the image.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from cadoctor._model import Facts, Finding, Severity


def other_pythons(facts: Facts) -> Iterator[Finding]:
    """The image's interpreters and venvs that this check did not examine, with the command that examines each."""
    subject = facts.subject
    if subject is None or subject.kind != "root" or not facts.other_pythons or subject.root is None:
        return
    commands = [
        "cadoctor check --root %s --python %s" % (shlex.quote(subject.root), shlex.quote(python))
        for python in facts.other_pythons
    ]
    yield Finding(
        "image-other-pythons",
        Severity.INFO,
        "the image also carries %s, not examined here (this check examined %s); each has its own clients and "
        "stores: %s" % (", ".join(facts.other_pythons), subject.executable, "; ".join(commands)),
        {"examined": subject.executable, "pythons": list(facts.other_pythons), "commands": commands},
    )
