"""Fixes for live handshakes: trust a root a bundle here holds (verified by a handshake), or the server's change."""

from __future__ import annotations

from cadoctor._fixes.shell import env_lines, sh_quote
from cadoctor._model import Facts, Finding, Fix, HostCheck
from cadoctor._record import replace
from cadoctor._text import has_control

_SERVER_SIDE = ("host-incomplete-chain", "host-expired", "host-not-yet-valid", "host-hostname-mismatch")


def host_fixes(facts: Facts, findings: tuple[Finding, ...]) -> list[Fix]:
    """Trust an untrusted root a bundle here holds, keeping the public roots; or say what the server must change."""
    fixes: list[Fix] = []
    for host in facts.hosts:
        if host.code == "host-unknown-ca":
            fixes.extend(_trust_root(facts, host))
        elif host.code in _SERVER_SIDE:
            fixes.append(_server_fix(host))
    return fixes


def _trust_root(facts: Facts, host: HostCheck) -> list[Fix]:
    """Point at the bundle that holds the root if it keeps the public roots, else join the two; or load it on top."""
    from cadoctor._fixes.bundles import merged_fix, trustworthy
    from cadoctor._rules.public_roots import lacks_public_roots

    variable = facts.runtime.cafile_env or "SSL_CERT_FILE"
    for holder in host.holders:
        bundle = facts.bundle(holder.path)
        if not holder.verifies or bundle is None or not trustworthy(bundle):
            continue
        fixes: list[Fix] = []
        if lacks_public_roots(facts, bundle):  # alone in place of the defaults, it would break every public site
            merged = merged_fix(facts, holder.path, ("host-unknown-ca",), variable)
            if merged is not None:
                fixes.append(replace(merged, trial_host=host))
        else:
            change: dict[str, str | None] = {variable: holder.path}
            fixes.append(
                Fix(
                    kind="env",
                    summary="Point %s at %s, which holds %s and the public roots"
                    % (variable, holder.path, host.top_issuer),
                    addresses=("host-unknown-ca",),
                    env=change,
                    lines=env_lines(change),
                    trial_host=host,
                )
            )
        snippet = (
            "import ssl\ncontext = ssl.create_default_context()\n"
            "context.load_verify_locations(cafile=%r)  # on top of the default roots" % holder.path
        )
        fixes.append(
            Fix(
                kind="code",
                summary="Load %s on top of the default roots where the code builds its context" % holder.path,
                addresses=("host-unknown-ca",),
                lines={"python": snippet},
                add_cafile=holder.path,
                trial_host=host,
            )
        )
        return fixes
    if any(host.top_issuer in anchor.subjects for anchor in facts.anchors):
        return []  # the anchor's own finding fixes it: the exact change its tool needs, then the rebuild
    anchored = [h.path for h in host.holders if "local-anchors" in h.roles]
    if anchored:
        return [_install_anchors(host, anchored[0])]
    return [_root_wanted(facts, host)] if host.chain else []


def _install_anchors(host: HostCheck, folder: str) -> Fix:
    """The root waits in a local anchor folder the OS store was not rebuilt from: the distribution's command."""
    from cadoctor._locations import ANCHOR_COMMANDS

    command = ANCHOR_COMMANDS.get(folder, "update-ca-certificates")
    return Fix(
        kind="command",
        summary="%s holds %r, but the OS store was not rebuilt since it was put there: run %s (as root) to add it"
        % (folder, host.top_issuer, command),
        addresses=("host-unknown-ca",),
        command=command,
        lines={"shell": command},
        evidence="not tried: it changes the OS store; run cadoctor check --host %s again afterwards" % host.target,
    )


def _root_wanted(facts: Facts, host: HostCheck) -> Fix:
    """No copy of the root here: the lines to add one, obtained from its owner (never from this connection)."""
    from cadoctor._fixes.bundles import best_bundle

    public = best_bundle(facts, unread=True)
    bundle = public.path if public is not None else "/etc/ssl/certs/ca-certificates.crt"
    command = 'cat %s ROOT.pem > ca-bundle-with-root.pem\nexport SSL_CERT_FILE="$PWD/ca-bundle-with-root.pem"' % (
        sh_quote(bundle)
    )
    return Fix(
        kind="command",
        summary="If %r is your CA's (a private CA, a cluster's, your proxy's), get its root certificate from its "
        "operator as ROOT.pem and join it with the public roots (or add it to the OS store)" % host.top_issuer,
        addresses=("host-unknown-ca",),
        command=command,
        lines={"shell": command},
        evidence="not tried: no copy of that root %s, and one taken from this connection would trust whoever "
        "answered" % _not_found(facts),
    )


def _not_found(facts: Facts) -> str:
    """Where the root was not found: on this host, or in what cadoctor could read of it."""
    unread = [a.path for a in facts.anchors if a.form == "unreadable"]
    if not unread:
        return "is on this host"
    return "was found in what cadoctor could read here (not %s)" % ", ".join(unread)


def _server_fix(host: HostCheck) -> Fix:
    """What the server's operator must change for this failure, with the command that shows what it sends."""
    import datetime

    leaf = host.chain[0] if host.chain else None
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    name = host.server_name
    if host.code == "host-incomplete-chain":
        top = host.chain[-1] if host.chain else None
        published = [u for u in (top.ca_issuers if top else ()) if not has_control(u) and " " not in u]
        summary = "The server must send %r after its own certificate (a full-chain file: nginx ssl_certificate, " % (
            host.missing_issuer
        ) + "Apache SSLCertificateFile, HAProxy crt)%s" % (
            "; its CA publishes it at %s" % published[0] if published else ""
        )
    elif host.code == "host-expired":
        summary = "The server's certificate %r expired on %s (this host's clock: %s): its operator must renew it" % (
            leaf.subject if leaf else None,
            leaf.not_after if leaf else "?",
            now,
        )
    elif host.code == "host-not-yet-valid":
        summary = (
            "The server's certificate %r is valid from %s and this host's clock says %s: if the clock is right, the "
            "operator installed it too early; if not, set this host's clock (NTP)"
            % (leaf.subject if leaf else None, leaf.not_before if leaf else "?", now)
        )
    else:
        names = ", ".join((leaf.names if leaf else ())[:10]) or "no DNS name or IP address"
        summary = "The certificate names %s, not %s: connect with a name it carries, or its operator must add %s" % (
            names,
            name,
            name,
        )
    target = "%s:%d" % ("[%s]" % host.host if ":" in host.host else host.host, host.port)
    check = "openssl s_client -connect %s -servername %s -showcerts </dev/null" % (sh_quote(target), sh_quote(name))
    return Fix(
        kind="server",
        summary=summary,
        addresses=(str(host.code),),
        lines={"check": check},
        evidence="a change on the server: nothing to apply here; see what it sends with the check line, then run "
        "cadoctor check --host %s again" % host.target,
    )
