"""Fixes for live handshakes: point every client that failed at a store proven to verify the chain, or the server's.

The stores come from evidence (`proven.py`: the holders the chain verified against), the settings from each
client's own precedence (`reach.py`), and one environment change covers every client that failed, tried at once
by a real request through each of them (and through the clients it touches, which must keep working).
"""

from __future__ import annotations

from cadoctor._fixes.after import joined_store, landing
from cadoctor._fixes.anchors import adopt_unlinked
from cadoctor._fixes.bundles import joined_lines, trustworthy
from cadoctor._fixes.proven import ProvenStore, keeping, os_store_holds, proven_stores
from cadoctor._fixes.reach import Cover, cover, rule_of
from cadoctor._fixes.shell import env_lines, sh_quote
from cadoctor._fixes.verify_flags import partial_chain_fix, strict_fixes
from cadoctor._model import Client, ClientTrust, Facts, Finding, Fix, HostCheck, StoreVerdict
from cadoctor._record import replace
from cadoctor._rules.client_table import STDLIB
from cadoctor._rules.client_values import BREAKS
from cadoctor._rules.clients import host_verdicts, judge, values_of
from cadoctor._rules.verify_flags import DEFAULT, flags_of
from cadoctor._text import has_control

_SERVER_SIDE = ("host-incomplete-chain", "host-expired", "host-not-yet-valid", "host-hostname-mismatch")

_TRUSTSTORE = """import truststore
truststore.inject_into_ssl()  # first thing in the program, before any client object is built
"""


def host_fixes(facts: Facts, findings: tuple[Finding, ...]) -> list[Fix]:
    """Point the clients a host failed at a store that verified its chain; or say what the server must change."""
    fixes: list[Fix] = []
    clients = judge(facts) if facts.hosts else ()
    for host in facts.hosts:
        if host.code == "host-unknown-ca" or host.ok:
            fixes.extend(_trust_root(facts, host, clients))
        elif host.code in _SERVER_SIDE:
            fixes.append(_server_fix(host))
        elif host.code == "host-strict-rejected":
            fixes.extend(strict_fixes(facts, host))
    return fixes


def failing_clients(facts: Facts, host: HostCheck, clients: tuple[Client, ...]) -> list[Client]:
    """The clients that would refuse the host's chain, each by its own store.

    A program that is not Python has no urllib, but its OpenSSL reads the same default paths: when its handshake
    failed, the default context stands for it.
    """
    failing = [client for client, verdict in zip(clients, host_verdicts(host, clients)) if verdict.ok is False]
    if not host.ok and not any(client.name == STDLIB.family for client in clients):
        default = ClientTrust("openssl-defaults", None, None, "default")
        failing.insert(0, Client(STDLIB.family, "", STDLIB.family, default, STDLIB.variables, STDLIB.decided_in))
    return failing


def _trust_root(facts: Facts, host: HostCheck, clients: tuple[Client, ...]) -> list[Fix]:
    """Every failing client pointed at each proven store; the store loaded in code; truststore where it reaches it."""
    failing = failing_clients(facts, host, clients)
    if host.ok and not failing:
        return []
    addresses = (str(host.code),) if host.code else ("client-host-fails",)
    proven = proven_stores(facts, _for_flags(host, failing, clients))
    found = [_unset(facts, host, clients, failing, variable, addresses) for variable in _in_effect(facts, failing)]
    found += [_point_at(facts, host, store, failing, addresses) for store in proven]
    found += [_loaded_on_top(facts, host) if not host.ok else None, _truststore(facts, host, failing, addresses)]
    fixes = [fix for fix in found if fix is not None]
    partial = partial_chain_fix(host, addresses)  # where no root can be added: the flag, in the code
    return _where_it_is(facts, host, fixes, addresses) + ([partial] if partial is not None else [])


def _where_it_is(facts: Facts, host: HostCheck, fixes: list[Fix], addresses: tuple[str, ...]) -> list[Fix]:
    """The fixes pointing clients at proven stores; without any, what adds the root where it is on disk, or gets it."""
    if fixes or host.ok:
        return fixes
    if any(host.top_issuer in anchor.subjects for anchor in facts.anchors):
        return []  # the anchor's own finding fixes it: the exact change its tool needs, then the rebuild
    anchored = [h.path for h in host.holders if "local-anchors" in h.roles]
    if anchored:
        return [_install_anchors(host, anchored[0])]
    unlinked = [(h.path, path) for h in host.holders for path in h.unlinked]
    if unlinked:  # copied into a hashed folder by hand: added the distribution's way, or linked where it is
        adopted = adopt_unlinked(facts, *unlinked[0], addresses)
        return [adopted] if adopted is not None else []
    if host.holders:
        return []  # a copy of the root is on disk: the findings about where it is (unhashed, unreadable) fix it
    return [_root_wanted(facts, host)] if host.chain else []


def _for_flags(host: HostCheck, failing: list[Client], clients: tuple[Client, ...]) -> HostCheck:
    """The host as the failing clients' flags see it: a store anchoring its chain at an intermediate proves nothing.

    It serves only the clients whose context sets VERIFY_X509_PARTIAL_CHAIN (the default context's of Python 3.13).
    """
    if all(flags_of(client, clients) == DEFAULT for client in failing):
        return host
    return replace(host, holders=tuple(h for h in host.holders if not h.partial_chain))


def _in_effect(facts: Facts, failing: list[Client]) -> list[str]:
    """The variables that put a failing client's store in effect (Python's default paths aside: the probe read them)."""
    environment = facts.runtime.environment
    sources = [c.trust.source for c in failing if c.trust.kind != "openssl-defaults"]
    return [name for name in dict.fromkeys(sources) if name in environment]


def _unset(
    facts: Facts,
    host: HostCheck,
    clients: tuple[Client, ...],
    failing: list[Client],
    variable: str,
    addresses: tuple[str, ...],
) -> Fix | None:
    """Unset a variable when, without it, every failing client falls back to a store proven to verify the chain.

    Only when nothing is lost: each client it moves must then trust a store that holds every certificate the
    variable's file held for it (a missing, empty or unusable value holds none). The clients are judged again by
    their own rules on the environment without it; the trial then asks them for real.
    """
    environment = {name: value for name, value in facts.runtime.environment.items() if name != variable}
    without = replace(facts, runtime=replace(facts.runtime, environment=environment))
    proven = tuple(StoreVerdict(h.path, bool(h.verifies), h.reason) for h in host.holders if h.verifies is not None)
    checked = replace(host, stores=(*host.stores, *proven))
    after = {c.name: c for c in judge(without)}
    verdicts = {v.name: v.ok for v in host_verdicts(checked, tuple(after.values()))}
    needing = {c.name for c in failing}
    fixed: list[str] = []
    moved: list[str] = []
    for client in clients:
        now = after.get(client.name)
        if now is None or now.trust == client.trust:
            continue
        if verdicts.get(client.name) is not True or not _keeps(facts, client, now):
            return None  # a client it moves would fail the host, or lose certificates it trusts now
        (fixed if client.name in needing else moved).append(client.name)
    if set(fixed) != needing:
        return None  # a part of the answer only: the fix that points every failing client at a store serves better
    change: dict[str, str | None] = {variable: None}
    return Fix(
        kind="env",
        summary="For %s: unset %s=%s; without it %s (which verified the chain of %s)"
        % (
            ", ".join(fixed),
            variable,
            facts.runtime.environment.get(variable, ""),
            "; ".join("%s trusts %s" % (n, after[n].trust.path or after[n].trust.kind) for n in fixed),
            host.target,
        ),
        addresses=addresses,
        env=change,
        lines=env_lines(change),
        clients=tuple(fixed),
        guards=tuple(moved),
        trial_host=host,
    )


def _keeps(facts: Facts, before: Client, after: Client) -> bool:
    """Whether a client's new store holds every certificate its old one held (what was unusable held none)."""

    def held(client: Client) -> frozenset[str] | None:
        """The identities of what a client trusts, or None where a part of it was not read."""
        paths = [client.trust.path] if client.trust.kind != "missing" else []
        identities: frozenset[str] = frozenset()
        for path in (*paths, *client.trust.also):
            bundle = facts.bundle(path)
            if bundle is None or not bundle.parsed:
                return None
            identities |= bundle.identities if bundle.usable else frozenset()
        return identities

    old, new = held(before), held(after)
    return old is not None and new is not None and old <= new


def _point_at(
    facts: Facts, host: HostCheck, store: ProvenStore, failing: list[Client], addresses: tuple[str, ...]
) -> Fix | None:
    """One environment change that points every failing client it can reach at the store, tried by each of them."""
    reached = cover(failing, judge(facts), facts, os_store=store.system, overwrite=True)
    if not reached.served:
        return None
    values = values_of(facts)
    store = keeping(facts, store, [values[variable] for variable in reached.overwritten])
    change = reached.change(store.path)
    public = next((p for p in store.parts if _public(facts, p)), None)
    python = {c.name for c in judge(facts)}  # a program that is not Python: the default context is no client of it
    claimed = sorted(set(reached.clients()) & python)
    read = (store.read,) if store.read is not None else ()
    written = joined_store(facts, store.path, store.parts, read) if store.parts else store.read
    # what else decides a client's store (a value its precedence reads first) may keep it off the file: not claimed
    served = tuple(landing(facts, change, store.path, store.system, claimed, written))
    if claimed and len(served) < len(claimed):
        if not served:
            return None
        kept = {v: [n for n in names if n in served] for v, names in reached.served.items()}
        kept = {v: names for v, names in kept.items() if names}
        change = {variable: change[variable] for variable in kept}
        unreached = (*reached.unreached, *(n for n in claimed if n not in served))
        reached = replace(reached, served=kept, unreached=unreached)
        reached = replace(reached, overwritten=tuple(v for v in reached.overwritten if v in kept))
        reached = replace(reached, switched=tuple(v for v in reached.switched if v in kept))
    return Fix(
        kind="env",
        summary=_summary(host, store, reached, values, served),
        addresses=addresses,
        env=change,
        lines=joined_lines(store.parts, store.path, change) if store.parts else env_lines(change),
        clients=served,
        guards=reached.touched,
        trial_host=host,
        merge=store.parts,
        sample_source=public,
    )


def _public(facts: Facts, path: str) -> bool:
    """Whether a part of a joined file is a bundle of the public roots (the OS's, certifi's)."""
    bundle = facts.bundle(path)
    return bundle is not None and bool({"system", "certifi"} & set(bundle.roles))


def _summary(
    host: HostCheck, store: ProvenStore, reached: Cover, values: dict[str, str], served: tuple[str, ...]
) -> str:
    """For whom, what the fix changes, and the evidence that chose its store."""
    files = [v for v in reached.served if v not in reached.switched]
    said = []
    if files and not store.parts:
        public = " and the public roots" if store.public else " alone (no file of public roots is here to join)"
        said.append("point %s at %s, which holds %s%s" % (" and ".join(files), store.path, host.top_issuer, public))
    elif files:
        said.append("join %s in %s and point %s at it" % (" and ".join(store.parts), store.path, " and ".join(files)))
    said += ["set %s=%s" % (v, reached.setting(v, "")) for v in reached.switched]
    text = "For %s: %s (%s verified the chain of %s)" % (
        ", ".join(served) or "the program's OpenSSL",
        "; ".join(said),
        "the OS store" if store.system else store.holder,
        host.target,
    )
    for variable in reached.overwritten:
        value = values.get(variable, "")
        kept = " (the joined file keeps what it named)" if value in store.parts else ""
        text += "; it replaces %s=%s%s" % (variable, value, kept)
    if reached.unreached:
        text += "; no variable reaches %s" % ", ".join(reached.unreached)
    return text


def _loaded_on_top(facts: Facts, host: HostCheck) -> Fix | None:
    """The first file that verified the chain, loaded on top of the default roots where the code builds a context."""
    for holder in host.holders:
        bundle = facts.bundle(holder.path)
        if holder.verifies is True and bundle is not None and bundle.kind == "file" and trustworthy(bundle):
            snippet = (
                "import ssl\ncontext = ssl.create_default_context()\n"
                "context.load_verify_locations(cafile=%r)  # on top of the default roots" % holder.path
            )
            return Fix(
                kind="code",
                summary="Load %s on top of the default roots where the code builds its context" % holder.path,
                addresses=(str(host.code),),
                lines={"python": snippet},
                add_cafile=holder.path,
                trial_host=host,
            )
    return None


def _truststore(facts: Facts, host: HostCheck, failing: list[Client], addresses: tuple[str, ...]) -> Fix | None:
    """Inject truststore for the clients on Python's ssl, only when the OS store (what it reads) verified the chain.

    On Linux truststore reads OpenSSL's default paths, which are the OS store unless a variable moves them.
    """
    if not os_store_holds(host):
        return None
    ssl_module = [c for c in failing if c.name == STDLIB.family or getattr(rule_of(c, facts), "ssl_module", False)]
    reached = [c.name for c in ssl_module if c.trust.effect not in BREAKS]  # one that raises on its store still does
    if not reached:
        return None
    return Fix(
        kind="code",
        summary="Let %s trust the OS store, which holds %s: truststore.inject_into_ssl() before any client is built "
        "(pip install truststore)" % (", ".join(reached), host.top_issuer),
        addresses=addresses,
        lines={"python": _TRUSTSTORE},
        clients=tuple(reached),
        inject="truststore",
        trial_host=host,
    )


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
        missing = repr(host.missing_issuer) if host.missing_issuer else "the intermediate certificates"
        summary = "The server must send %s after its own certificate (a full-chain file: nginx ssl_certificate, " % (
            missing
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
