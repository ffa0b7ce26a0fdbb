"""Findings on the files a store tool builds the OS store from: waiting for it, never taken by it, unreadable.

Each verdict follows the tool's own rules (`_locations.STORE_TOOLS`, applied to the files by
`_facts.certs.anchors`); a finding is an error when a host that failed here needs the root it concerns.
"""

from __future__ import annotations

from collections.abc import Iterator

from cadoctor._locations import STORE_TOOLS, StoreTool
from cadoctor._model import Anchor, AnchorTool, Facts, Finding, HostCheck, Severity
from cadoctor._rules.clients import host_verdicts, judge

ERROR, WARNING = Severity.ERROR, Severity.WARNING


def _rules_of(tool: AnchorTool) -> StoreTool:
    """The rules row a tool is judged by."""
    return next(row for row in STORE_TOOLS if row.name == tool.name)


def _needed_by(facts: Facts, anchors: list[Anchor]) -> list[str]:
    """The failed hosts whose chain ends at a root these files hold: the targets that need them.

    A host fails when the default context found no trusted root for it, or when it verified there and a client
    here refuses it (a client that reads the hashed folder, where a file the tool took badly is never linked).
    """
    subjects = {subject for anchor in anchors for subject in anchor.subjects}
    return [h.target for h in facts.hosts if h.top_issuer in subjects and _failed(facts, h)]


def _failed(facts: Facts, host: HostCheck) -> bool:
    """Whether the default context, or a client of the examined Python, fails the host for want of its root."""
    if host.code == "host-unknown-ca":
        return True
    return host.ok and any(verdict.ok is False for verdict in host_verdicts(host, judge(facts)))


def _unattributed(facts: Facts) -> list[str]:
    """The failed hosts whose root no file here was found to hold: an unreadable file may be the one."""
    return [h.target for h in facts.hosts if h.code == "host-unknown-ca" and not h.holders]


def _evidence(tool: AnchorTool, anchors: list[Anchor], hosts: list[str]) -> dict[str, object]:
    """What the finding rests on: the tool, its store, the files and their roots."""
    return {
        "tool": tool.name,
        "command": tool.command,
        "program": tool.program,
        "bundle": tool.bundle,
        "paths": [a.path for a in anchors],
        "reasons": [a.reason for a in anchors],
        "roots": sorted({s for a in anchors for s in a.subjects}),
        "hosts": hosts,
    }


def _why(rules: StoreTool, tool: AnchorTool, anchor: Anchor) -> str:
    """Why the tool never takes this file, or takes it without OpenSSL finding its certificates, in words."""
    name = tool.command.split()[0]
    reason = anchor.reason
    roots = ", ".join(repr(s) for s in anchor.subjects) or "no certificate"
    if reason == "name":
        return "%s never takes %s: it takes only names ending in %s (it holds %s)" % (
            name,
            anchor.path,
            rules.suffix,
            roots,
        )
    if reason == "hidden":
        return "%s never takes %s: it skips names starting with a dot (it holds %s)" % (name, anchor.path, roots)
    if reason == "sub-folder":
        return "%s never takes %s: it reads %s itself, not its sub-folders (it holds %s)" % (
            name,
            anchor.path,
            anchor.folder,
            roots,
        )
    if reason == "der":
        return (
            "%s is DER: %s links it and copies its bytes into %s, where OpenSSL reads nothing, so %s is not "
            "trusted (it must be PEM)" % (anchor.path, name, rules.bundle, roots)
        )
    if reason == "several":
        where = "they are in %s, but" % rules.bundle if anchor.in_store else "once added, they are in the bundle, but"
        return (
            "%s holds %d certificates (%s): %s `openssl rehash` links only a file of one certificate, so a look-up "
            "in %s (SSL_CERT_DIR, a capath) finds none of them"
            % (anchor.path, anchor.certificates, roots, where, rules.hashed)
        )
    if reason == "no-certificate":
        key = "; it holds a private key, which %s copies into the world-readable %s" % (name, rules.bundle)
        return "%s holds no certificate %s can read%s" % (anchor.path, name, key if anchor.private_key else "")
    if reason == "not-ca":
        return (
            "%s is not a CA certificate (no basicConstraints CA:TRUE): %s leaves %s out of %s; trust the root of "
            "the CA that issued it instead" % (anchor.path, name, roots, rules.bundle)
        )
    if reason == "blocklisted":
        return "%s is also in a blocklist folder (%s): %s leaves it out of %s" % (
            anchor.path,
            ", ".join(rules.blocklists),
            name,
            rules.bundle,
        )
    if reason == "not-anchor":
        return "%s sits in %s, where %s takes a plain certificate as no root: it belongs in %s" % (
            anchor.path,
            anchor.folder,
            name,
            rules.anchors[0],
        )
    if reason == "unselected":
        return (
            "%s is not selected in %s: %s never adds it (dpkg-reconfigure ca-certificates, or a line naming it, "
            "selects it)" % (anchor.path, rules.selection, name)
        )
    return "%s is not taken by %s (%s)" % (anchor.path, name, reason)


def _pending(facts: Facts, tool: AnchorTool, rules: StoreTool) -> Iterator[Finding]:
    """Roots the tool will take that its bundle does not hold yet: it was not run since they were put there."""
    waiting = [a for a in _of(facts, tool) if a.taken and a.reason is None and a.in_store is False]
    if not waiting:
        return
    hosts = _needed_by(facts, waiting)
    name = tool.command.split()[0]
    missing = (
        "; and %s is not installed %s" % (name, "in the image" if _in_image(facts) else "here")
        if tool.program is None
        else ""
    )
    yield Finding(
        "local-anchor-pending",
        ERROR if hosts else WARNING,
        "%s wait%s for %s: %s does not hold %s yet (it was not run since %s put there), so what reads the OS "
        "store does not trust %s%s%s"
        % (
            _some(sorted({a.path for a in waiting}), "files"),
            "s" if len(waiting) == 1 else "",
            name,
            rules.bundle,
            _some(sorted({repr(s) for a in waiting for s in a.subjects}), "roots"),
            "it was" if len(waiting) == 1 else "they were",
            "it" if len(waiting) == 1 else "them",
            "; %s need%s it" % (", ".join(hosts), "s" if len(hosts) == 1 else "") if hosts else "",
            missing,
        ),
        _evidence(tool, waiting, hosts),
    )


_NAMED = 3  # how many of a long list a line names (the evidence holds them all)


def _some(items: list[str], what: str) -> str:
    """A list as a line says it: whole when short, else its first few and how many (a deleted store: 140 files)."""
    if len(items) <= _NAMED + 1:
        return ", ".join(items)
    return "%d %s (%s, ...)" % (len(items), what, ", ".join(items[:_NAMED]))


def _in_image(facts: Facts) -> bool:
    """Whether the subject is an image or chroot given by --root."""
    return facts.subject is not None and facts.subject.kind == "root"


def _ignored(facts: Facts, tool: AnchorTool, rules: StoreTool) -> Iterator[Finding]:
    """Files the tool never takes (or takes without OpenSSL finding them), one finding each: each has its own fix."""
    for anchor in _of(facts, tool):
        if anchor.form == "unreadable" or anchor.reason is None:
            continue
        if anchor.in_store is True and anchor.reason != "several":
            continue  # its roots are in the store all the same (another file added them)
        hosts = _needed_by(facts, [anchor])
        severity = ERROR if hosts else WARNING
        need = "; %s need%s it" % (", ".join(hosts), "s" if len(hosts) == 1 else "") if hosts else ""
        yield Finding(
            "local-anchor-ignored", severity, _why(rules, tool, anchor) + need, _evidence(tool, [anchor], hosts)
        )


def _unreadable(facts: Facts, tool: AnchorTool) -> Iterator[Finding]:
    """Files cadoctor cannot read: whether they hold a root, and whether the store has it, is unknown."""
    for anchor in _of(facts, tool):
        if anchor.form != "unreadable":
            continue
        hosts = _unattributed(facts)
        taken = (
            "%s takes it (its name and place are right), so whatever it holds is copied into %s"
            % (tool.command.split()[0], tool.bundle)
            if anchor.taken
            else "%s does not take it" % tool.command.split()[0]
        )
        need = "; the root of %s may be in it" % ", ".join(hosts) if hosts else ""
        yield Finding(
            "local-anchor-unreadable",
            ERROR if hosts and anchor.taken else WARNING,
            "cadoctor cannot read %s (%s): whether it holds a root, and whether the store holds that root, is not "
            "known here; %s%s" % (anchor.path, anchor.problem, taken, need),
            {**_evidence(tool, [anchor], hosts), "problem": anchor.problem},
        )


def _of(facts: Facts, tool: AnchorTool) -> list[Anchor]:
    """The files one tool judges."""
    return [anchor for anchor in facts.anchors if anchor.tool == tool.name]


def anchor_findings(facts: Facts) -> Iterator[Finding]:
    """Roots waiting for each store tool, files it never takes, files cadoctor cannot read."""
    for tool in facts.anchor_tools:
        rules = _rules_of(tool)
        yield from _pending(facts, tool, rules)
        yield from _ignored(facts, tool, rules)
        yield from _unreadable(facts, tool)
