"""Fixes for an image (`--root DIR`): written for the image, never for the machine that examines it.

A build script runs cadoctor on the final stage's files; a plain shell line it pastes would change the build
host, and the image would ship as it was. So every fix of an image says where it acts ("In the image at DIR")
and comes in the forms that reach the image: a Dockerfile line for the stage that builds it (`RUN`, `ENV`) and,
for a command, the same command run inside DIR (`chroot DIR /bin/sh -c ...`). Forms that act on this host
(`shell`, `systemd`) are dropped; a `python` form is code, the same wherever it runs. Nothing is tried here: the
commands act on the image, which cadoctor never changes, and its environment is the one the image will have.
"""

from __future__ import annotations

from cadoctor._fixes.shell import sh_quote
from cadoctor._model import Facts, Fix
from cadoctor._record import replace

_HOST_FORMS = ("shell", "systemd")  # lines that act on the machine they are pasted on


def image_root(facts: Facts) -> str | None:
    """The image's directory when the subject is an image given by `--root`, else None."""
    subject = facts.subject
    return subject.root if subject is not None and subject.kind == "root" and subject.root else None


def for_image(facts: Facts, fix: Fix) -> Fix:
    """The fix written for the image being examined (unchanged for any other subject, or when already written)."""
    root = image_root(facts)
    if root is None or fix.root is not None or fix.kind in ("code", "server"):
        return fix
    where = "In the image at %s: " % root
    summary = fix.summary if fix.summary.startswith(where) else where + fix.summary[:1].lower() + fix.summary[1:]
    lines = {form: text for form, text in fix.lines.items() if form not in _HOST_FORMS}
    if fix.kind == "command" and fix.command:
        lines = {
            **lines,
            "dockerfile": "RUN " + fix.command,
            "chroot": "chroot %s /bin/sh -c %s" % (sh_quote(root), sh_quote(fix.command)),
        }
        return replace(fix, summary=summary, lines=lines, root=root)
    removed = sorted(name for name, value in (fix.env or {}).items() if value is None)
    if fix.kind == "env" and removed and "dockerfile" not in lines:  # Docker has no unset: the ENV goes
        lines["dockerfile"] = "# remove the ENV that sets %s (an empty value is not unset)" % " and ".join(removed)
    return replace(fix, summary=summary, lines=lines)
