"""Trust per client: each client's verdict on a host, and the findings about clients.

Each client's store is judged in `client_judgement.py` by its row of `client_table.py`; here each client's
store is compared with the hosts checked, the local roots, the variables set: a host one fails, roots one
lacks, a variable one ignores or that replaces its store, a value that turns its verification off.
"""

from __future__ import annotations

from collections.abc import Iterator

from cadoctor._model import Bundle, Client, Facts, Finding, HostCheck, HostClient, Injector, Severity, StoreVerdict
from cadoctor._rules.client_judgement import (
    AT_IMPORT,
    DEFAULT_KINDS,
    KINDS_WITH_OWN_COPY,
    NOT_READ,
    SILENCED,
    cleared_by_injector,
    clearing,
    judge,
    lacking,
    own_stores,
    reading_of,
    shown,
    value_of,
    values_of,
)
from cadoctor._rules.client_readings import DEFAULT_STORE
from cadoctor._rules.client_table import (
    CLIENT_VARIABLES,
    COMPILED_IN,
    REFUSED_SWITCHES,
    SETTINGS,
    TRUSTSTORE,
    rule_for,
    version_key,
)
from cadoctor._rules.client_values import BREAKS, NO_VERIFICATION, NOTHING, resolved, says
from cadoctor._rules.store_files import store_problem
from cadoctor._rules.verify_flags import accepts, default_accepts, flags_of, why_bare_refuses, why_partial

__all__ = [
    "client_findings",
    "host_verdicts",
    "injector_findings",
    "judge",
    "own_stores",
    "path_effects",
    "value_of",
    "values_of",
]


def says_of(client: Client, name: str) -> str:
    """What a client does with the value of a variable or setting it reads, in words."""
    effect = client.effects.get(name)
    reading = reading_of(client, name)
    if effect is None or reading is None:
        return "ignores it"
    return "does not read it" if effect == NOT_READ else says(reading, effect)


def path_effects(facts: Facts, variable: str) -> dict[str, str]:
    """What a variable or setting does to each installed client, by its own reading of the value set."""
    effects: dict[str, str] = {}
    for client in judge(facts):
        if client.name != "urllib (stdlib)":  # the finding's consumers already speak for Python's own ssl
            effects[client.name] = says_of(client, variable)
    return effects


def host_verdicts(host: HostCheck, clients: tuple[Client, ...]) -> tuple[HostClient, ...]:
    """Whether each client would accept the host's chain, each by its own store.

    Clients on the default context's store get its answer; the others the offline verification of the same
    chain against their own store; a client that raises, hangs or aborts on its CA setting fails every host.
    Each answer is the one for the client's own verification flags (`verify_flags`): on Python 3.13 a client that
    builds a bare context neither accepts a partial chain nor applies the strict rules.
    """
    by_path = {verdict.path: verdict for verdict in host.stores}
    trust_failure = host.code in ("host-unknown-ca", "host-incomplete-chain")
    failure = host.verify_message or host.reason or host.error
    results = []
    for client in clients:
        trust = client.trust
        kind = trust.kind
        flags = flags_of(client, clients)
        by_flags = host.code == "host-strict-rejected" and flags is not None  # its own flags and store decide
        if trust.effect in BREAKS:
            results.append(HostClient(client.name, False, client.verdict))
        elif not host.reached:  # no TLS answer: nothing about this client's trust to say
            results.append(HostClient(client.name, None, "no TLS answer (%s)" % failure))
        elif not host.ok and not trust_failure and not by_flags:  # unreachable, not TLS, a name mismatch: for all
            results.append(HostClient(client.name, False, failure))
        elif trust.effect == NO_VERIFICATION:
            results.append(HostClient(client.name, True, "%s: it accepts any server" % client.verdict))
        elif kind == "missing":
            results.append(HostClient(client.name, False, "its CA setting is unusable"))
        elif trust.effect == NOTHING:
            results.append(HostClient(client.name, False, client.verdict))
        elif kind in DEFAULT_KINDS and not trust.own_path:
            added = [by_path[p] for p in trust.also if p in by_path]
            ok = default_accepts(host, flags) or any(accepts(v, flags) for v in added)
            refused = why_bare_refuses(client) if host.ok and not ok else failure
            results.append(HostClient(client.name, ok, None if ok else refused))
        elif kind == COMPILED_IN:
            stand_in = by_path.get(trust.stand_in or "")
            if stand_in is None:
                results.append(HostClient(client.name, None, "roots compiled into the binary: not checked here"))
            else:
                template = "%s (against %s: Mozilla's set, standing in for the roots compiled into it)"
                reason = None if stand_in.ok else template % (stand_in.reason, stand_in.path)
                results.append(HostClient(client.name, stand_in.ok, reason))
        else:
            results.append(_by_own_store(client, by_path, host, flags))
    return tuple(results)


def _by_own_store(client: Client, by_path: dict[str, StoreVerdict], host: HostCheck, flags: str | None) -> HostClient:
    """A client judged by its own files: it accepts the chain when one of them verifies it, with its own flags."""
    trust = client.trust
    checked = [by_path[p] for p in (trust.path, *trust.also) if p is not None and p in by_path]
    if any(accepts(v, flags) for v in checked):
        return HostClient(client.name, True)
    if trust.unchecked:
        folders = ", ".join(trust.unchecked)
        if any(h.path in trust.unchecked for h in host.holders):  # it reads every file there, the root's too
            return HostClient(client.name, True)
        return HostClient(client.name, None, "it reads every file of %s: not checked here (by hash names)" % folders)
    if not checked:
        return HostClient(client.name, None, host.stores_problem or "its store was not checked")
    anchors = {h.path: h.anchor for h in host.holders if h.partial_chain}
    return HostClient(
        client.name,
        False,
        "; ".join(
            "%s (against %s%s)"
            % (v.reason, v.path, ": " + why_partial(client, flags, anchors.get(v.path)) if v.partial_chain else "")
            for v in checked
        ),
    )


def client_findings(facts: Facts) -> Iterator[Finding]:
    """Clients that fail a host, lack the local roots, ignore a variable set for them, or have it replaced."""
    clients = judge(facts)
    yield from _stores_missing(clients, facts)
    yield from _settings_refused(clients, facts)
    for host in facts.hosts:
        failing = [v for v in host_verdicts(host, clients) if v.ok is False]
        if host.ok and failing:
            yield Finding(
                "client-host-fails",
                Severity.ERROR,
                "%s verified with the default context, but %s would fail it: %s"
                % (
                    host.target,
                    ", ".join(v.name for v in failing),
                    "; ".join("%s: %s" % (v.name, v.reason) for v in failing),
                ),
                {"target": host.target, "clients": [{"name": v.name, "reason": v.reason} for v in failing]},
            )
    yield from _verification_disabled(clients, facts)
    yield from _lacks_local_roots(clients, facts)
    yield from _variable_ignored(clients, facts)
    yield from _variable_replaces(clients, facts)


def injector_findings(facts: Facts) -> Iterator[Finding]:
    """A `.pth` file that changes every client's store at interpreter start: truststore, or pip-system-certs.

    pip-system-certs before 5 clears `ca_certs` on every connection of requests (and pip's vendored requests):
    `verify=` paths, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE and PIP_CERT are read, then ignored. That is a warning
    when such a value is set here, and an error, the first cause, when a host those clients fail has its root in
    the very file they were told to load: this rule comes before the host findings for that reason.
    """
    clients = judge(facts)
    clearer = clearing(facts)
    for injector in facts.injectors:
        if injector != clearer:
            quirk = ""
            if injector.name == "pip-system-certs":
                quirk = "; pip-system-certs before 5 also ignores verify= paths and the CA variables"
            yield Finding(
                "client-injector",
                Severity.INFO,
                "%s (%s) injects truststore into every interpreter start of this environment: its clients trust "
                "the OS store%s" % (injector.name, injector.path, quirk),
                {"injector": injector.name, "path": injector.path, "line": injector.line},
            )
            continue
        yield _clearing_finding(facts, clients, injector)


def silenced(clients: tuple[Client, ...], facts: Facts) -> dict[str, list[Client]]:
    """The CA values pip-system-certs before 5 makes clients ignore, by name, with the clients that ignore them."""
    found: dict[str, list[Client]] = {}
    for client in clients:
        for name, effect in client.effects.items():
            if effect == SILENCED:
                found.setdefault(name, []).append(client)
    return found


def refuses_addresses(client: Client, facts: Facts) -> bool:
    """Whether pip-system-certs before 5 makes this client refuse every host named by an IP address, whatever it trusts.

    The context it injects keeps `check_hostname` on, and urllib3 1.x sends no server name for an IP address:
    `ssl` raises "ValueError: check_hostname requires server_hostname" before any certificate is looked at
    (measured with pip-system-certs 4.0: pip 23's vendored urllib3 1.26 fails 127.0.0.1 and verifies localhost;
    requests on urllib3 2 verifies both). pip vendors urllib3 1.26; the others use the urllib3 installed here.
    """
    rule = rule_for(client.name, client.version, facts.runtime.python_version)
    if rule is None or not cleared_by_injector(rule, facts):
        return False
    if client.name == "pip":
        return True
    urllib3 = next((d for d in facts.distributions if d.name == "urllib3"), None)
    return urllib3 is not None and version_key(urllib3.version) < (2,)


def by_address(host: HostCheck) -> bool:
    """Whether a host is named by an IP address (no server name is sent for it), as urllib3's is_ipaddress tells.

    Parsed here, not with `ipaddress`: a successful check imports nothing it does not need.
    """
    name = host.host.strip("[]")
    if ":" in name:
        return True  # an IPv6 address: no DNS name holds a colon
    parts = name.split(".")
    return len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and int(p) < 256 for p in parts)


def silenced_hosts(facts: Facts, clients: tuple[Client, ...]) -> list[tuple[HostCheck, list[Client]]]:
    """The hosts whose root is in a file the clearing injector makes clients ignore, with the clients that fail them.

    A client that refuses a host named by an IP address under the injector (`refuses_addresses`) fails it whatever
    file it is pointed at: it is not among those a store can mend.
    """
    ignored = silenced(clients, facts)
    found = []
    for host in facts.hosts:
        failing = {v.name for v in host_verdicts(host, clients) if v.ok is False}
        for name, users in ignored.items():
            path = resolved(value_of(facts, name) or "", facts.runtime.cwd)
            holds = any(h.path == path and h.verifies is True for h in host.holders)
            hurt = [c for c in users if c.name in failing and not (by_address(host) and refuses_addresses(c, facts))]
            if holds and hurt:
                found.append((host, hurt))
                break
    return found


def _clearing_finding(facts: Facts, clients: tuple[Client, ...], injector: Injector) -> Finding:
    """pip-system-certs before 5: what it makes its clients ignore, and the hosts that fail because of it."""
    installed = next(d for d in facts.distributions if d.name == injector.name)
    ignored = silenced(clients, facts)
    hosts = silenced_hosts(facts, clients)
    affected = sorted({c.name for users in ignored.values() for c in users})
    said = "; ".join(
        "%s ignore%s %s=%s"
        % (", ".join(c.name for c in users), "s" if len(users) == 1 else "", name, value_of(facts, name))
        for name, users in ignored.items()
    )
    summary = (
        "%s %s (%s) clears ca_certs on every connection of requests: verify= paths and REQUESTS_CA_BUNDLE, "
        "CURL_CA_BUNDLE, PIP_CERT are read, then ignored, and its clients trust the OS store instead (5 and later "
        "add what they load)" % (injector.name, installed.version, injector.path)
    )
    if said:
        summary += "; here %s" % said
    if hosts:
        summary += "; %s fail%s although that file holds %s root" % (
            "; ".join("%s in %s" % (h.target, ", ".join(c.name for c in hurt)) for h, hurt in hosts),
            "s" if len(hosts) == 1 else "",
            "its" if len(hosts) == 1 else "their",
        )
    refusing = sorted(c.name for c in clients if refuses_addresses(c, facts))
    addressed = [h.target for h in facts.hosts if by_address(h)]
    if refusing and addressed:
        summary += (
            "; %s also refuse%s %s whatever %s trust%s: the context it injects checks the host name, and urllib3 1.x "
            "sends none for an IP address (ValueError: check_hostname requires server_hostname); name the host instead"
            % (
                ", ".join(refusing),
                "s" if len(refusing) == 1 else "",
                ", ".join(addressed),
                "it" if len(refusing) == 1 else "they",
                "s" if len(refusing) == 1 else "",
            )
        )
    return Finding(
        "client-injector",
        Severity.ERROR if hosts else Severity.WARNING,
        summary,
        {
            "injector": injector.name,
            "path": injector.path,
            "line": injector.line,
            "version": installed.version,
            "ignored": {name: value_of(facts, name) for name in ignored},
            "clients": affected,
            "hosts": [h.target for h, _ in hosts],
            "refuse_addresses": refusing,
        },
    )


_IMPORT_SAYS = (
    "fails when it is imported, whatever CA variable is set (certifi's where() raises FileNotFoundError for it "
    "before Python 3.11)"
)


def _stores_missing(clients: tuple[Client, ...], facts: Facts) -> Iterator[Finding]:
    """A client's own default store cannot be loaded: it raises at its first request (or hangs, or trusts nothing).

    One finding per store, naming what decided it (its resolver's answer, or the rules table's model) and every
    installed client that uses it: certifi's `where()` naming a `cacert.pem` that a slimmed image deleted, or a
    path inside the zip a frozen app imports certifi from.
    """
    by_store: dict[str, list[Client]] = {}
    for client in clients:
        trust = client.trust
        if trust.source == "default" and trust.effect and trust.path:
            by_store.setdefault(trust.path, []).append(client)
    for path, users in by_store.items():
        problem = store_problem(facts, path)
        decided = next((c.trust.decided for c in users if c.trust.decided), None)
        effects: dict[str, list[str]] = {}
        for client in users:
            said_of = _IMPORT_SAYS if AT_IMPORT in client.notes else says(DEFAULT_STORE, client.trust.effect or "")
            effects.setdefault(said_of, []).append(client.name)
        said = (
            ("it " if len(users) == 1 else "each ") + next(iter(effects))
            if len(effects) == 1
            else "; ".join("%s %s" % (", ".join(names), effect) for effect, names in effects.items())
        )
        yield Finding(
            "client-store-missing",
            Severity.ERROR,
            "%s: the default store %s %s; %s (%s)"
            % (
                ", ".join(c.name for c in users),
                path,
                problem,
                said,
                "its resolver: %s" % decided if decided else "the bundle the rules table says it trusts",
            ),
            {
                "store": path,
                "problem": problem,
                "decided": decided,
                "clients": [
                    {
                        "name": c.name,
                        "version": c.version,
                        "kind": c.trust.kind,
                        "effect": c.trust.effect,
                        "at_import": AT_IMPORT in c.notes,
                    }
                    for c in users
                ],
            },
        )


def _settings_refused(clients: tuple[Client, ...], facts: Facts) -> Iterator[Finding]:
    """A client stops at start on a word its version does not know in one of its switches: it makes no request.

    pip 22.2-24.1 with PIP_USE_DEPRECATED=legacy-certs (the switch pip 24.2 added): "invalid choice", whatever
    the host; pip before 23.3 with PIP_USE_FEATURE=truststore where truststore is not installed. One finding per
    variable, naming each client it stops.
    """
    by_variable: dict[str, list[Client]] = {}
    for client in clients:
        if client.trust.effect == "raises" and client.trust.source in REFUSED_SWITCHES:
            by_variable.setdefault(client.trust.source, []).append(client)
    for variable, stopped in by_variable.items():
        value = facts.runtime.environment.get(variable, "")
        yield Finding(
            "client-setting-refused",
            Severity.ERROR,
            "%s=%s: %s stop%s on it before any request (a value this version does not know, or can act on only "
            "with a package that is not installed)"
            % (
                variable,
                value,
                ", ".join("%s %s" % (c.name, c.version) for c in stopped),
                "s" if len(stopped) == 1 else "",
            ),
            {"variable": variable, "value": value, "clients": [c.name for c in stopped]},
        )


def _verification_disabled(clients: tuple[Client, ...], facts: Facts) -> Iterator[Finding]:
    """A value that turns a client's certificate verification off: any server, an attacker's too, is accepted."""
    by_source: dict[str, list[Client]] = {}
    for client in clients:
        if client.trust.effect == NO_VERIFICATION:
            by_source.setdefault(client.trust.source, []).append(client)
    for source, off in by_source.items():
        value = value_of(facts, source) or ""
        others = path_effects(facts, source)
        spared = ["%s %s" % (n, e) for n, e in others.items() if n not in {c.name for c in off} and e != "ignores it"]
        yield Finding(
            "verification-disabled",
            Severity.ERROR,
            "%s=%s makes %s verify no certificate at all: any server is accepted%s"
            % (
                source,
                shown(value),
                ", ".join("%s %s" % (c.name, c.version) for c in off),
                " (%s)" % "; ".join(spared) if spared else "",
            ),
            {
                "variable": source,
                "value": value,
                "setting": _setting_file(facts, source),
                "clients": [{"name": c.name, "version": c.version, "family": c.family} for c in off],
            },
        )


def _setting_file(facts: Facts, name: str) -> str | None:
    """The configuration file a setting was read from (None for a variable)."""
    if name not in SETTINGS:
        return None
    client, key = SETTINGS[name]
    found = [s.source for s in facts.settings if (s.client, s.key) == (client, key)]
    return found[-1] if found else None


def _lacks_local_roots(clients: tuple[Client, ...], facts: Facts) -> Iterator[Finding]:
    """One finding naming the local roots and every client whose store lacks them, each with its own count.

    Each count is `lacking`'s, the one the Clients section shows: a client whose store holds one of two local roots
    (certifi holds a public root an administrator also added) lacks 1 of the 2, here as there.
    """
    missing = {c.name: lacking(c, facts) for c in clients}
    affected = [c for c in clients if missing[c.name]]
    if not affected:
        return
    subjects = sorted({s for c in affected for s in missing[c.name]})
    total = len(facts.local_roots)
    named = ["%s (%s)" % (c.name, c.trust.kind) for c in affected]
    added = "root%s added to the system store" % ("" if total == 1 else "s")
    if all(len(missing[c.name]) == total for c in affected):
        who = "%s trust%s a store without the %d %s" % (
            ", ".join(named),
            "s" if len(affected) == 1 else "",
            total,
            added,
        )
    else:
        each = ["%s lacks %d" % (name, len(missing[c.name])) for name, c in zip(named, affected)]
        who = "%s of the %d %s" % (", ".join(each), total, added)
    yield Finding(
        "client-lacks-local-roots",
        Severity.WARNING,
        "%s (%s): hosts under %s fail there while curl and urllib work"
        % (who, "; ".join(subjects), "it" if len(subjects) == 1 else "them"),
        {
            "roots": subjects,
            "found_in": sorted({p for r in facts.local_roots for p in r.found_in}),
            "clients": [
                {"name": c.name, "trust": c.trust.kind, "path": c.trust.path, "lacks": missing[c.name]}
                for c in affected
            ],
        },
    )


def _variable_ignored(clients: tuple[Client, ...], facts: Facts) -> Iterator[Finding]:
    """A CA variable is set that a client ignores, while that client honours none of the variables set.

    A client counts when it keeps its own copy of the roots (certifi, its bundle, compiled in), or when the
    variable's bundle holds certificates its store lacks: urllib ignoring a REQUESTS_CA_BUNDLE that names the
    system bundle it reads anyway is no news.
    """
    values = values_of(facts)
    set_here = [v for v in CLIENT_VARIABLES if values.get(v)]
    for variable in set_here:
        target = facts.bundle(values[variable])
        deaf = [
            c
            for c in clients
            if variable not in c.variables
            and not any(v in set_here for v in c.variables)
            and c.trust.kind != TRUSTSTORE
            and not c.trust.effect
            and (
                c.trust.kind in KINDS_WITH_OWN_COPY
                or (target is not None and _holds_more(target, facts.bundle(c.trust.path)))
            )
        ]
        if not deaf:
            continue
        missing = target is not None and any(_holds_more(target, facts.bundle(c.trust.path)) for c in deaf)
        yield Finding(
            "client-variable-ignored",
            Severity.WARNING if missing else Severity.INFO,
            "%s is set, but %s ignore%s it (%s)%s"
            % (
                variable,
                ", ".join(c.name for c in deaf),
                "s" if len(deaf) == 1 else "",
                "; ".join("%s reads %s" % (c.name, " > ".join(c.variables) or "no variable") for c in deaf),
                ": the certificates it names that they lack stay untrusted there" if missing else "",
            ),
            {"variable": variable, "path": values[variable], "clients": [c.name for c in deaf]},
        )


def _holds_more(target: Bundle, store: Bundle | None) -> bool:
    """Whether a variable's bundle holds certificates that a client's own store lacks."""
    return target.parsed and store is not None and store.parsed and bool(target.identities - store.identities)


def _variable_replaces(clients: tuple[Client, ...], facts: Facts) -> Iterator[Finding]:
    """A variable replaces a client's whole store with a bundle that holds none of the public roots."""
    public = next((b for b in facts.bundles if "certifi" in b.roles and b.certificates), None) or next(
        (b for b in facts.bundles if "system" in b.roles and b.kind == "file" and b.certificates), None
    )  # the public roots: certifi's, else the OS's bundle (an environment without certifi)
    if public is None:
        return
    by_variable: dict[str, list[Client]] = {}
    for client in clients:
        bundle = facts.bundle(client.trust.path)
        if client.trust.kind != "variable" or bundle is None or not bundle.parsed or not bundle.certificates:
            continue
        if not bundle.identities & public.identities:
            by_variable.setdefault(client.trust.source, []).append(client)
    for variable, replaced in by_variable.items():
        path = replaced[0].trust.path
        unread = sorted({n for c in replaced for n, e in c.effects.items() if e == NOT_READ and n != variable})
        yield Finding(
            "client-variable-replaces",
            Severity.WARNING,
            "%s=%s holds %d certificates and none of the public roots, and it replaces the whole store of %s: "
            "public sites fail there%s"
            % (
                variable,
                path,
                replaced[0].trust.certificates or 0,
                ", ".join(c.name for c in replaced),
                " (%s also set, not read: %s comes first)" % (", ".join(unread), variable) if unread else "",
            ),
            {
                "variable": variable,
                "path": path,
                "clients": [c.name for c in replaced],
                **({"unread": unread} if unread else {}),
            },
        )
