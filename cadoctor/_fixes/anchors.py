"""Fixes for the files a store tool builds the OS store from: the change that makes it take them, then the rebuild.

A root waiting for the tool gets the rebuild command; a file it never takes gets what makes it take it (rename,
convert DER to PEM, split, move up, select), followed by the rebuild. Commands are written for the examined
system: this host's shell, or, for an image (`--root`), its `chroot` and Dockerfile `RUN` forms with its own
paths, never a host command. None is tried here: each changes the OS store; the tool's rules they rely on are
cadoctor's table, proven against the real tools by its tests.
"""

from __future__ import annotations

import os

from cadoctor._fixes.shell import sh_quote
from cadoctor._locations import STORE_TOOLS, StoreTool
from cadoctor._model import Anchor, AnchorTool, Facts, Finding, Fix
from cadoctor._text import has_control

_BEGIN_LINE = "/^-----BEGIN (TRUSTED )?CERTIFICATE-----/"


def _rules_of(tool: AnchorTool) -> StoreTool:
    """The rules row a tool is judged by."""
    return next(row for row in STORE_TOOLS if row.name == tool.name)


def _rebuild(tool: AnchorTool, rules: StoreTool, fresh: bool) -> str:
    """The command that rebuilds the store (installing the tool first where it is missing).

    `fresh`: Debian's script runs `openssl rehash` only when it adds or removes a link; a file it had linked
    already, now fixed in place, needs `--fresh` to be hashed.
    """
    command = tool.command + (" --fresh" if fresh and rules.name == "debian" else "")
    return command if tool.program is not None else "%s && %s" % (rules.package, command)


def _crt_name(anchor: Anchor, rules: StoreTool, taken: set[str]) -> str:
    """Where a file goes so that the tool takes it: its folder (not a sub-folder), no leading dot, its suffix."""
    folder = rules.anchors[0] if anchor.reason == "not-anchor" else anchor.folder
    stem = os.path.basename(anchor.path).lstrip(".") or "root"
    if rules.suffix is not None:
        root, extension = os.path.splitext(stem)
        stem = (root if extension.lower() in (".pem", ".cer", ".der", ".crt", ".p11-kit") else stem) + rules.suffix
    name, number = "%s/%s" % (folder, stem), 2
    while name in taken and name != anchor.path:
        base, extension = os.path.splitext(stem)
        name, number = "%s/%s-%d%s" % (folder, base, number, extension), number + 1
    return name


def _change(anchor: Anchor, rules: StoreTool, target: str) -> tuple[str, str] | None:
    """The shell change that makes the tool take the file, with its summary (None: nothing to run would do it)."""
    path, quoted = anchor.path, sh_quote(anchor.path)
    if anchor.form == "der" and not rules.converts:
        temporary = target + ".pem-new"
        command = "openssl x509 -inform der -in %s -out %s && mv -- %s %s" % (
            quoted,
            sh_quote(temporary),
            sh_quote(temporary),
            sh_quote(target),
        )
        if target != path:
            command += " && rm -- %s" % quoted
        return command, "Convert %s from DER to PEM as %s" % (path, target)
    if anchor.certificates > 1 and not rules.converts and anchor.form in ("pem", "trusted"):
        if "\\" in target:  # awk -v reads escapes: a path with a backslash is not written for it
            return None
        stem = target[: -len(rules.suffix)] if rules.suffix and target.endswith(rules.suffix) else target
        program = '%s{n++} n{print > (p "-" n "%s")}' % (_BEGIN_LINE, rules.suffix or ".pem")
        command = "awk -v p=%s %s %s && rm -- %s" % (sh_quote(stem), sh_quote(program), quoted, quoted)
        return command, "Split %s into one file per certificate (%s-1%s, ...)" % (path, stem, rules.suffix or ".pem")
    if anchor.reason in ("name", "hidden", "sub-folder", "not-anchor") and target != path:
        return "mv -- %s %s" % (quoted, sh_quote(target)), "Move %s to %s" % (path, target)
    if anchor.reason == "unselected" and rules.selection and rules.selected:
        line = path[len(rules.selected) + 1 :]
        return "printf '%%s\\n' %s >> %s" % (sh_quote(line), sh_quote(rules.selection)), "Select %s in %s" % (
            line,
            rules.selection,
        )
    return None


def _shaped(facts: Facts, command: str, summary: str, addresses: tuple[str, ...], basis: str) -> Fix:
    """A command fix written for the examined system: this host's shell, or an image's own forms, untried."""
    subject = facts.subject
    root = subject.root if subject is not None and subject.root else None
    if root is None:
        return Fix(
            kind="command",
            summary=summary + " (as root)",
            addresses=addresses,
            command=command,
            lines={"shell": command},
            evidence="not tried: it changes the OS store; %s; run cadoctor check again afterwards" % basis,
        )
    where = "the image at %s" % root if subject is not None and subject.kind == "root" else "the root %s" % root
    return Fix(
        kind="command",
        summary="In %s: %s" % (where, summary[0].lower() + summary[1:]),
        addresses=addresses,
        command=command,
        root=root,
        lines={
            "dockerfile": "RUN " + command,
            "chroot": "chroot %s /bin/sh -c %s" % (sh_quote(root), sh_quote(command)),
        },
        evidence="not tried: it acts on %s (its own OS store, its paths), which cadoctor never changes; %s"
        % (
            where,
            basis,
        ),
    )


def _basis(tool: AnchorTool, rules: StoreTool) -> str:
    """Why the change will do: the tool's rules, and where they were read."""
    return "%s's rules (%s) say it then takes the file" % (tool.command.split()[0], rules.source)


def anchor_fixes(facts: Facts, finding: Finding) -> list[Fix]:
    """The fix for one local-anchor finding: the rebuild for waiting roots, the exact change for an ignored file."""
    tool = next((t for t in facts.anchor_tools if t.name == finding.evidence.get("tool")), None)
    if tool is None:
        return []
    rules = _rules_of(tool)
    paths = [str(p) for p in finding.evidence.get("paths", [])]
    if any(has_control(p) for p in paths):
        return []  # a name no shell line should carry: the finding says what is wrong, the fix is by hand
    anchors = [a for a in facts.anchors if a.path in paths and a.tool == tool.name]
    needing = [h for h in facts.hosts if h.target in (finding.evidence.get("hosts") or ())]
    addresses = (finding.code, *dict.fromkeys(h.code or "client-host-fails" for h in needing))
    if finding.code == "local-anchor-pending":
        command = _rebuild(tool, rules, fresh=False)
        named = ", ".join(paths) if len(paths) <= 4 else "%d files (%s, ...)" % (len(paths), ", ".join(paths[:3]))
        summary = "Run %s to add %s to %s" % (command, named, rules.bundle)
        return [_shaped(facts, command, summary, addresses, _basis(tool, rules))]
    if finding.code == "local-anchor-unreadable":
        return [
            _permission_fix(facts, anchor, addresses) for anchor in anchors if anchor.problem == "permission denied"
        ]
    fixes = []
    taken = {a.path for a in facts.anchors}
    for anchor in anchors:
        target = _crt_name(anchor, rules, taken)
        change = _change(anchor, rules, target)
        if change is None:
            continue
        command, summary = change
        fresh = anchor.reason in ("der", "several") or (anchor.form == "der" and target == anchor.path)
        rebuild = _rebuild(tool, rules, fresh=fresh)
        summary = "%s, then run %s" % (summary, rebuild)
        fixes.append(_shaped(facts, "%s && %s" % (command, rebuild), summary, addresses, _basis(tool, rules)))
    return fixes


def _permission_fix(facts: Facts, anchor: Anchor, addresses: tuple[str, ...]) -> Fix:
    """Let every user read an anchor only root can read: certificates are public, and the store links to it."""
    command = "chmod a+r -- %s" % sh_quote(anchor.path)
    summary = (
        "If %s holds only certificates (they are public), let every user read it: the store's link to it is "
        "read by every process" % anchor.path
    )
    return _shaped(facts, command, summary, addresses, "cadoctor could not read the file to see what it holds")


def adopt_unlinked(facts: Facts, folder: str, path: str, addresses: tuple[str, ...]) -> Fix | None:
    """A root copied by hand into a hashed folder, where no link reaches it: added the distribution's way.

    Where the folder is the one a store tool builds (Debian's /etc/ssl/certs), the file moves to the tool's anchor
    folder, named as it takes names, and the tool runs: the root is then linked there and joined to its bundle,
    and stays so when the tool runs again. Elsewhere (a folder SSL_CERT_DIR names), `openssl rehash` links it.
    None for a name no shell line should carry: the finding says where it is, the fix is by hand.
    """
    if has_control(folder) or has_control(path):
        return None
    tool = next((t for t in facts.anchor_tools if _rules_of(t).hashed == folder), None)
    if tool is None:  # a folder of the user's (SSL_CERT_DIR, a client's setting): linked where it is
        command = "openssl rehash %s" % sh_quote(folder)
        return Fix(
            kind="command",
            summary="Create the hash links OpenSSL looks roots up by in %s: %s holds the root, and no link reaches it"
            % (folder, path),
            addresses=addresses,
            command=command,
            lines={"shell": command},
            evidence="not tried: it writes links into %s; `openssl rehash` links every file of one certificate; "
            "run cadoctor check again afterwards" % folder,
        )
    rules = _rules_of(tool)
    stem = os.path.splitext(os.path.basename(path))[0].lstrip(".") or "root"
    taken = {a.path for a in facts.anchors}
    target, number = "%s/%s%s" % (rules.anchors[0], stem, rules.suffix or ".pem"), 2
    while target in taken:
        target, number = "%s/%s-%d%s" % (rules.anchors[0], stem, number, rules.suffix or ".pem"), number + 1
    rebuild = _rebuild(tool, rules, fresh=False)
    command = "mv -- %s %s && %s" % (sh_quote(path), sh_quote(target), rebuild)
    summary = (
        "Move %s, copied into %s by hand, to %s, where %s takes it, then run %s: it links the root in %s and adds "
        "it to %s, and keeps it there when it runs again"
        % (path, folder, target, tool.command.split()[0], rebuild, folder, rules.bundle)
    )
    return _shaped(facts, command, summary, addresses, _basis(tool, rules))
