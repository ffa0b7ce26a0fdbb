"""Findings for live handshakes: pure functions of the `HostCheck` facts."""

from __future__ import annotations

from collections.abc import Iterator

from cadoctor._model import Facts, Finding, HostCheck, Severity
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
    "host-client-cert-rejected": "the server sent the alert {reason}: it rejected our client certificate (or the lack "
    "of one); local trust is not at fault",
    "host-connection-reset": "the connection closed during the handshake ({error}): a proxy, a firewall or the "
    "server itself ended it",
    "host-not-tls": "the peer does not speak TLS there ({reason}): plain HTTP, or a proxy's port?",
    "host-handshake-failure": "the handshake failed: {error}",
    "host-unreachable": "{error}",
    "host-timeout": "no answer within the timeout ({error})",
}


def _holders_text(host: HostCheck, unread: list[str]) -> str:
    """Say which bundles hold the chain's root, and whether the chain verifies against them.

    `unread`: files where roots are added that cadoctor could not read; one of them may hold it.
    """
    nowhere = (
        "no bundle cadoctor could read holds it (it could not read %s)" % ", ".join(unread)
        if unread
        else "no bundle on this host holds it"
    )
    if not host.holders and host.chain and not host.chain[-1].self_issued:
        return (
            "%s: trust that root if it is your CA's (a private CA, a cluster's, a proxy's), or, if %r is an "
            "intermediate, the server must send it" % (nowhere, host.top_issuer)
        )
    if not host.holders:
        return nowhere
    parts = [
        "%s (%s)" % (h.path, "the chain verifies against it" if h.verifies else "does not verify: %s" % h.reason)
        for h in host.holders
    ]
    return "held by " + "; ".join(parts)


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
        evidence["holders"] = [{"path": h.path, "roles": list(h.roles), "verifies": h.verifies} for h in host.holders]
    if host.missing_issuer is not None:
        evidence["missing"] = host.missing_issuer
    return evidence


def host_findings(facts: Facts) -> Iterator[Finding]:
    """One finding per failed handshake, classified; interception when a private root is in the OS store."""
    for host in facts.hosts:
        if host.code is None:
            yield from _intercepted(facts, host)
            continue
        leaf = host.chain[0] if host.chain else None
        why = _WHY[host.code].format(
            top=repr(host.top_issuer),
            holders=_holders_text(host, [a.path for a in facts.anchors if a.form == "unreadable"]),
            missing=repr(host.missing_issuer),
            published="; its issuer is published at %s" % host.chain[-1].ca_issuers[0]
            if host.chain and host.chain[-1].ca_issuers
            else "",
            subject=repr(leaf.subject if leaf else None),
            not_after=leaf.not_after if leaf else "?",
            not_before=leaf.not_before if leaf else "?",
            verify_message=(host.verify_message or "hostname mismatch").rstrip("."),
            server_name=host.server_name,
            reason=host.reason or host.error,
            error=host.error,
        )
        via = " through the proxy %s" % host.proxy if host.proxy else ""
        yield Finding(host.code, Severity.ERROR, "%s%s: %s" % (host.target, via, why), _evidence(host))
        if host.code == "host-unknown-ca":
            yield from _intercepted(facts, host)


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
