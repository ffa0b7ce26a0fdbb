"""Findings for live handshakes: pure functions of the `HostCheck` facts."""

from __future__ import annotations

from collections.abc import Iterator

from cadoctor._model import Facts, Finding, HostCheck, RootHolder, Severity
from cadoctor._rules.clients import host_verdicts, judge
from cadoctor._rules.interception import interception_product

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_WHY = {
    "host-unknown-ca": "the chain ends at {top}, which the default context does not trust; {holders}",
    "host-incomplete-chain": "the server did not send {missing}, the certificate its chain needs (OpenSSL never "
    "fetches a missing intermediate; browsers do, so the site may work there){published}",
    "host-expired": "the server's certificate {subject} expired on {not_after}",
    "host-not-yet-valid": "the server's certificate {subject} is valid only from {not_before}: check this host's clock",
    "host-hostname-mismatch": "{verify_message}: the certificate does not name {server_name}; "
    "no CA bundle changes that",
    "host-strict-rejected": "{verify_message}: {strict}",
    "host-client-cert-rejected": "the server sent the alert {reason}: it rejected our client certificate (or the lack "
    "of one); local trust is not at fault",
    "host-connection-reset": "the connection closed during the handshake ({error}): a proxy, a firewall or the "
    "server itself ended it",
    "host-not-tls": "the peer does not speak TLS there ({reason}): plain HTTP, or a proxy's port?",
    "host-handshake-failure": "the handshake failed: {error}",
    "host-unreachable": "{error}",
    "host-timeout": "no answer within the timeout ({error})",
}


def _holders_text(host: HostCheck, python: str, unread: list[str]) -> str:
    """Say which bundles hold the chain's root (or trust an intermediate of it), and whether the chain verifies.

    `unread`: files where roots are added that cadoctor could not read; one of them may hold it.
    """
    nowhere = (
        "no bundle cadoctor could read holds it (it could not read %s)" % ", ".join(unread)
        if unread
        else "no bundle on this host holds it"
    )
    roots = [h for h in host.holders if not h.partial_chain]
    if not roots and host.chain and not host.chain[-1].self_issued:
        text = (
            "%s: trust that root if it is your CA's (a private CA, a cluster's, a proxy's), or, if %r is an "
            "intermediate, the server must send it" % (nowhere, host.top_issuer)
        )
    elif not roots:
        text = nowhere
    else:
        text = "held by " + "; ".join(_holder_text(h) for h in roots)
    partial = [h for h in host.holders if h.partial_chain]
    if partial:
        text += "; " + "; ".join(_partial_text(h, python) for h in partial)
    return text


def _holder_text(holder: RootHolder) -> str:
    """One holder of a chain's root: whether the chain verifies against it, and why not."""
    if holder.verifies:
        return "%s (the chain verifies against it)" % holder.path
    text = "%s (does not verify: %s" % (holder.path, holder.reason)
    if holder.unlinked:  # on disk, and never looked up: the files say where it is
        text += "; %s hold%s it, but no <hash>.<n> link reaches %s, so OpenSSL's look-up by subject hash never " % (
            " and ".join(holder.unlinked),
            "s" if len(holder.unlinked) == 1 else "",
            "it" if len(holder.unlinked) == 1 else "them",
        )
        text += "finds it there"
    return text + ")"


def strict_sources(facts: Facts, host: HostCheck) -> list[str]:
    """The files the root the strict rules refused comes from: what must be replaced once it is reissued.

    An anchor file the OS store is built from, where there is one (its tool rebuilds the store from it); else the
    files outside the OS store that hold it (the file SSL_CERT_FILE names, a client's bundle); else the OS store's
    own files (a root its distribution ships). Empty when the refused certificate is one the server sends.
    """
    rejected = host.strict_rejected
    if rejected is None or any(c.subject == rejected for c in host.chain) or rejected != host.top_issuer:
        return []
    in_effect_first = sorted(host.holders, key=lambda h: not any(r.startswith("in-effect:") for r in h.roles))
    anchors = [a.path for h in host.holders if "local-anchors" in h.roles for a in facts.anchors if a.folder == h.path]
    anchored = [path for path in anchors if any(rejected in a.subjects for a in facts.anchors if a.path == path)]
    own = [h.path for h in in_effect_first if not {"system", "local-anchors"} & set(h.roles)]
    system = [h.path for h in in_effect_first if "system" in h.roles]
    return list(dict.fromkeys(anchored or own or system))


def strict_rebuild(facts: Facts, sources: list[str]) -> str | None:
    """The command that rebuilds the OS store once the anchor files among `sources` are replaced (None: none are)."""
    tools = {a.tool for a in facts.anchors if a.path in sources}
    return next((t.command for t in facts.anchor_tools if t.name in tools), None)


def _strict_text(facts: Facts, host: HostCheck) -> str:
    """Why a chain that reaches a trusted root fails in Python 3.13+, which certificate, and who can change it."""
    python = facts.runtime.python_version
    rejected = host.strict_rejected
    sent = rejected is not None and any(c.subject == rejected for c in host.chain)
    which = "%r" % rejected if rejected else "a certificate of the chain"
    sources = strict_sources(facts, host)
    if sent:
        fix = (
            "%s is one the server sends: its issuer must reissue it to RFC 5280's rules (a proxy that mints "
            "certificates must be fixed or updated); no CA bundle changes that" % which
        )
    elif sources and host.public_root:
        fix = (
            "%s is a public root (Mozilla's set holds it), supplied here by %s: no local change short of removing "
            "it helps; the server's operator can serve a chain that ends at another root" % (which, ", ".join(sources))
        )
    elif sources:
        rebuild = strict_rebuild(facts, sources)
        fix = "%s is the root %s suppl%s: its operator must reissue that CA with RFC 5280's extensions (a " % (
            which,
            " and ".join(sources),
            "ies" if len(sources) == 1 else "y",
        ) + "critical basicConstraints, a keyUsage, key identifiers), and %s be replaced with it%s" % (
            "that file" if len(sources) == 1 else "those files",
            ", then %s run" % rebuild if rebuild else "",
        )
    else:
        fix = (
            "%s is the root a store here supplies: reissue that CA with RFC 5280's extensions (a critical "
            "basicConstraints, a keyUsage, key identifiers)" % which
        )
    accepting = [v.name for v in host_verdicts(host, judge(facts)) if v.ok]
    spared = (
        " (%s verif%s without the flag and accept%s it)"
        % (", ".join(accepting), "ies" if len(accepting) == 1 else "y", "s" if len(accepting) == 1 else "")
        if accepting
        else ""
    )
    return (
        "the chain reaches a root trusted here, but Python %s's default context verifies with "
        "VERIFY_X509_STRICT (RFC 5280's rules), and Pythons before 3.13 accept this chain%s; %s, or, where the code "
        "builds its context for this host only, clear the flag there (ctx.verify_flags &= ~ssl.VERIFY_X509_STRICT; "
        "verification stays on)" % (python, spared, fix)
    )


def _partial_text(holder: RootHolder, python: str) -> str:
    """What a store that trusts an intermediate in place of a root means to this Python and to older ones."""
    if holder.verifies:
        return (
            "%s trusts %r, an intermediate, in place of a root: the chain verifies there only because Python %s's "
            "default context sets VERIFY_X509_PARTIAL_CHAIN; Pythons before 3.13, and contexts built without the "
            "flag, fail there unless the root that issued it is added" % (holder.path, holder.anchor, python)
        )
    return (
        "%s trusts %r, an intermediate, in place of a root: Python 3.13 and later accept the chain there (their "
        "default context sets VERIFY_X509_PARTIAL_CHAIN), Python %s does not; add the root that issued it to that "
        "store, or set ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN where the code builds its context"
        % (holder.path, holder.anchor, python)
    )


def _evidence(host: HostCheck) -> dict[str, Any]:
    """What the handshake showed, for the finding's evidence."""
    evidence: dict[str, Any] = {
        "target": host.target,
        "host": host.host,
        "port": host.port,
        "proxy": host.proxy,
        "stage": host.stage,
        "error": host.error,
        "reason": host.reason,
        "verify_code": host.verify_code,
        "verify_message": host.verify_message,
        "chain": [c.subject for c in host.chain],
    }
    if host.top_issuer is not None:
        evidence["top_issuer"] = host.top_issuer
        evidence["holders"] = [
            {
                "path": h.path,
                "roles": list(h.roles),
                "verifies": h.verifies,
                **({"partial_chain": True, "anchor": h.anchor} if h.partial_chain else {}),
                **({"unlinked": list(h.unlinked)} if h.unlinked else {}),
            }
            for h in host.holders
        ]
    if host.missing_issuer is not None:
        evidence["missing"] = host.missing_issuer
    if host.strict_rejected is not None:
        evidence["strict_rejected"] = host.strict_rejected
    return evidence


def host_findings(facts: Facts) -> Iterator[Finding]:
    """One finding per failed handshake, classified; interception when a private root is in the OS store."""
    for host in facts.hosts:
        if host.code is None:
            yield from _partial_chain(facts, host)
            yield from _intercepted(facts, host)
            continue
        leaf = host.chain[0] if host.chain else None
        why = _WHY[host.code].format(
            top=repr(host.top_issuer),
            holders=_holders_text(
                host, facts.runtime.python_version, [a.path for a in facts.anchors if a.form == "unreadable"]
            ),
            missing=repr(host.missing_issuer),
            published="; its issuer is published at %s" % host.chain[-1].ca_issuers[0]
            if host.chain and host.chain[-1].ca_issuers
            else "",
            subject=repr(leaf.subject if leaf else None),
            not_after=leaf.not_after if leaf else "?",
            not_before=leaf.not_before if leaf else "?",
            verify_message=(host.verify_message or "hostname mismatch").rstrip("."),
            server_name=host.server_name,
            strict=_strict_text(facts, host) if host.code == "host-strict-rejected" else "",
            reason=host.reason or host.error,
            error=host.error,
        )
        via = " through the proxy %s" % host.proxy if host.proxy else ""
        evidence = _evidence(host)
        if host.code == "host-strict-rejected":
            evidence["supplied_by"] = strict_sources(facts, host)
        yield Finding(host.code, Severity.ERROR, "%s%s: %s" % (host.target, via, why), evidence)
        if host.code == "host-unknown-ca":
            yield from _intercepted(facts, host)


def _partial_chain(facts: Facts, host: HostCheck) -> Iterator[Finding]:
    """A handshake that succeeded only because the default context anchors the chain at an intermediate."""
    if host.partial_anchor is None:
        return
    stores = [h.path for h in host.holders if h.partial_chain]
    where = ", ".join(stores) if stores else "the default context's store"
    yield Finding(
        "host-partial-chain",
        Severity.INFO,
        "%s: the chain verified only because Python %s's default context sets VERIFY_X509_PARTIAL_CHAIN: %s "
        "trusts %r, an intermediate, and no root above it; Pythons before 3.13, and clients that build their own "
        "context without the flag, fail this host: add the root %r to that store"
        % (host.target, facts.runtime.python_version, where, host.partial_anchor, host.top_issuer),
        {
            "target": host.target,
            "anchor": host.partial_anchor,
            "root": host.top_issuer,
            "stores": stores,
            "python": facts.runtime.python_version,
        },
    )


def _intercepted(facts: Facts, host: HostCheck) -> Iterator[Finding]:
    """A root Mozilla's set lacks but the OS store holds, or a known interception product's: and who fails it."""
    system_holders = [h.path for h in host.holders if "system" in h.roles or "local-anchors" in h.roles]
    product = interception_product([c.issuer for c in host.chain] + [host.top_issuer or ""])
    if host.public_root is True or not (system_holders or product) or (host.public_root is None and not product):
        return
    failing = [v.name for v in host_verdicts(host, judge(facts)) if v.ok is False]
    clients = (
        "; here %s fail%s it" % (", ".join(failing), "s" if len(failing) == 1 else "")
        if failing
        else "; clients that trust certifi or their own bundles fail it"
    )
    where = (
        "the OS store holds it (%s)" % ", ".join(system_holders)
        if system_holders
        else "no store here holds it: add the proxy's root to the OS store"
    )
    what = (
        "TLS interception by %s" % product
        if product
        else "TLS interception by a proxy, or a private CA the administrator trusts"
    )
    yield Finding(
        "host-intercepted",
        Severity.WARNING,
        "%s: the chain's root %r is not a public root (Mozilla's set, certifi, lacks it); %s: %s%s"
        % (host.target, host.top_issuer, where, what, clients),
        {
            "target": host.target,
            "root": host.top_issuer,
            "holders": system_holders,
            "failing_clients": failing,
            "product": product,
        },
    )
