"""Fixes for a host whose outcome a verification flag decides: 3.13's strict rules, and partial chains.

A chain the strict rules (VERIFY_X509_STRICT) refuse is fixed where the offending certificate comes from, so the
fix follows who can change it: the server's operator reissues a certificate it sends; a private CA's operator
reissues the CA a local file supplies (named); a public root no local change repairs, short of removing it. What
the client's code can do, clear the flag on the one context it builds for that host, comes after, untried: it
relaxes RFC 5280's extra checks there, and never turns verification off. A store that trusts an intermediate
instead of its root anchors the chain only with VERIFY_X509_PARTIAL_CHAIN: the code that builds its context can
set it (Python 3.13's default context does), where adding the root is not possible.
"""

from __future__ import annotations

from cadoctor._fixes.shell import sh_quote
from cadoctor._model import Facts, Fix, HostCheck
from cadoctor._rules.hosts import strict_rebuild, strict_sources

_CLEAR_STRICT = """import ssl
context = ssl.create_default_context()
# for this host's context only: RFC 5280's extra checks off; the chain must still reach a trusted root
context.verify_flags &= ~ssl.VERIFY_X509_STRICT
"""

_SET_PARTIAL = """import ssl
context = ssl.create_default_context(cafile={cafile!r})
# trust the intermediate it holds as an anchor, as Python 3.13's default context does
context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
"""


def strict_fixes(facts: Facts, host: HostCheck) -> list[Fix]:
    """Who must change the certificate the strict rules refused (a `server` fix), then the code's own way out."""
    rejected = host.strict_rejected or "a certificate of its chain"
    rule = (host.verify_message or "a rule of RFC 5280").rstrip(".")
    sent = any(c.subject == rejected for c in host.chain)
    sources = strict_sources(facts, host)
    lines = {"check": _s_client(host)}
    if sent:
        summary = (
            "The server's certificate %r breaks a rule Python 3.13 enforces (%s): its issuer must reissue it to "
            "RFC 5280's rules (a proxy that mints certificates must be fixed or updated)" % (rejected, rule)
        )
    elif sources and host.public_root:
        summary = (
            "The chain ends at %r, a public root (in Mozilla's set; here in %s) that breaks a rule Python 3.13 "
            "enforces (%s): no local change short of removing it helps; the server's operator can serve a chain "
            "that ends at another root (a cross-signed intermediate, or another CA)" % (rejected, sources[0], rule)
        )
    elif sources:
        rebuild = strict_rebuild(facts, sources)
        summary = (
            "The CA %r in %s breaks a rule Python 3.13 enforces (%s): its operator must reissue it with a critical "
            "basicConstraints, a keyUsage (keyCertSign) and key identifiers, keeping its key so that what it "
            "issued stays valid, and %s be replaced with it%s"
            % (
                rejected,
                " and ".join(sources),
                rule,
                "that file" if len(sources) == 1 else "those files",
                ", then %s run" % rebuild if rebuild else "",
            )
        )
        lines = {"check": "openssl x509 -noout -text -in %s" % sh_quote(sources[0])}
    else:
        summary = (
            "The CA %r breaks a rule Python 3.13 enforces (%s): its operator must reissue it to RFC 5280's "
            % (
                rejected,
                rule,
            )
            + "rules"
        )
    server = Fix(
        kind="server",
        summary=summary,
        addresses=(str(host.code),),
        lines=lines,
        evidence="a change by the certificate's issuer: nothing to apply here; run cadoctor check --host %s again "
        "once it is made" % host.target,
    )
    code = Fix(
        kind="code",
        summary="Where the code builds its context for %s, clear VERIFY_X509_STRICT on that context only: "
        "verification stays on, the chain must still reach a trusted root, and RFC 5280's extra checks are off "
        "there" % host.target,
        # what relaxes a check ranks after the fix of the certificate: it answers the strictness, not the host
        addresses=("strict-verification",),
        lines={"python": _CLEAR_STRICT},
        evidence="not tried: it changes how the program builds its context for this host",
    )
    return [server, code]


def partial_chain_fix(host: HostCheck, addresses: tuple[str, ...]) -> Fix | None:
    """Set VERIFY_X509_PARTIAL_CHAIN where the code builds its context, on the file that trusts the intermediate."""
    holder = next((h for h in host.holders if h.partial_chain and h.verifies is not True), None)
    holder = holder or next((h for h in host.holders if h.partial_chain), None)
    if holder is None:
        return None
    return Fix(
        kind="code",
        summary="Where the code builds its context, load %s and set VERIFY_X509_PARTIAL_CHAIN: it trusts %r, an "
        "intermediate, and with the flag that anchors the chain of %s as Python 3.13's default context does "
        "(or add the root that issued it to that file)" % (holder.path, holder.anchor, host.target),
        addresses=addresses,
        lines={"python": _SET_PARTIAL.format(cafile=holder.path)},
        evidence="not tried: it changes how the program builds its context",
    )


def _s_client(host: HostCheck) -> str:
    """The command that shows what the server sends."""
    target = "%s:%d" % ("[%s]" % host.host if ":" in host.host else host.host, host.port)
    return "openssl s_client -connect %s -servername %s -showcerts </dev/null" % (
        sh_quote(target),
        sh_quote(host.server_name),
    )
