"""Trust per client: which store each TLS client of the examined Python uses, by its row of the rules table.

The findings compare each client's store with the local roots, the variables set and the hosts checked; the
table itself is `client_table.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

from cadoctor._model import Bundle, Client, ClientTrust, Facts, Finding, HostCheck, HostClient, Severity
from cadoctor._record import replace
from cadoctor._rules.client_table import (
    CERTIFI,
    CLIENT_VARIABLES,
    COMPILED_IN,
    OPENSSL,
    OWN,
    OWN_OR_CERTIFI,
    SETTINGS,
    STDLIB,
    SYSTEM,
    TRUSTSTORE,
    ClientRule,
    rule_for,
)

_TRUE = ("1", "true", "yes", "on")
_KINDS_WITH_OWN_COPY = (CERTIFI, OWN, COMPILED_IN, "variable")


def values_of(facts: Facts) -> dict[str, str]:
    """The CA variables and configuration keys in effect, by the names the rules use."""
    values = {k: v for k, v in facts.runtime.environment.items() if v}
    for name, (client, key) in SETTINGS.items():
        setting = next((s for s in facts.settings if (s.client, s.key) == (client, key)), None)
        if setting is not None:
            values[name] = setting.value
    return values


def _switched(rule: ClientRule, environment: dict[str, str]) -> str | None:
    """The store a switch variable (or configuration key) moves the client to, if one is on."""
    for variable, kind in rule.switches:
        value = environment.get(variable, "").strip().lower()
        if value in _TRUE or (variable == "PIP_USE_FEATURE" and "truststore" in value):
            return kind
    return None


def _count(bundle: Bundle | None) -> int | None:
    """A store's certificate count, None where it was not read (a light look)."""
    return bundle.certificates if bundle is not None and bundle.parsed else None


def _store_of(kind: str, facts: Facts, own: str | None) -> ClientTrust:
    """Where a default store of that kind lives in the examined environment."""
    runtime = facts.runtime
    if kind in (OPENSSL, TRUSTSTORE, SYSTEM):
        path = runtime.cafile.path if runtime.cafile else (runtime.capaths[0].path if runtime.capaths else None)
        bundle = facts.bundle(path)
        return ClientTrust(kind, path, _count(bundle), "default")
    if kind == OWN_OR_CERTIFI:
        kind, own = (CERTIFI, runtime.certifi) if runtime.certifi else (OWN, own)
    if kind == COMPILED_IN:
        return ClientTrust(kind, None, None, "default", stand_in=facts.mozilla)
    path = runtime.certifi if kind == CERTIFI else own
    bundle = facts.bundle(path)
    if kind in (CERTIFI, OWN) and path is None:
        return ClientTrust("missing", None, 0, "default")
    return ClientTrust(kind, path, _count(bundle), "default")


def _usable(bundle: Bundle | None, facts: Facts) -> bool:
    """Whether a variable's target would load as CA certificates (a light look judges by the file alone)."""
    if bundle is None:
        return facts.inventory == "light"  # not looked at: a light look reads only the sources in effect
    if not bundle.parsed:
        return bundle.file_type in ("regular", "directory") and bool(bundle.size or bundle.kind == "directory")
    return bundle.usable


def _judge_one(name: str, version: str, rule: ClientRule, facts: Facts, own: str | None) -> Client:
    """One client's store and notes, by its row and the environment."""
    environment = values_of(facts)
    notes: list[str] = []
    kind = _switched(rule, environment) or rule.default
    trust = _store_of(kind, facts, own)
    if kind != rule.default:
        trust = ClientTrust(trust.kind, trust.path, trust.certificates, "switch")
        notes.append("a switch variable moves it to %s" % kind)
    chosen = [v for v in rule.variables if environment.get(v)]
    if rule.default == OPENSSL and kind == OPENSSL:
        chosen = []  # the probe already resolved SSL_CERT_FILE/SSL_CERT_DIR into the sources in effect
    for variable in chosen[:1] if rule.first_only else chosen:
        path = environment[variable]
        bundle = facts.bundle(path)
        if not _usable(bundle, facts):
            effect = {"ignored": "ignores it", "falls back": "falls back to its default", "raises": "raises"}.get(
                rule.missing, rule.missing
            )
            notes.append("%s=%s is unusable: this client %s" % (variable, path, effect))
            if rule.missing in ("raises", "fails closed"):
                trust = ClientTrust("missing", path, 0, variable)
            continue
        if rule.replaces:
            trust = ClientTrust("variable", path, _count(bundle), variable)
        else:
            trust = replace(trust, also=(*trust.also, path))
            notes.append("adds %s=%s" % (variable, path))
    for injector in facts.injectors if rule.ssl_module else ():
        trust = ClientTrust(TRUSTSTORE, trust.path if trust.kind == OPENSSL else None, None, injector.path)
        notes.append("%s injects truststore at every start (%s)" % (injector.name, injector.path))
    return Client(
        name=name,
        version=version,
        family=rule.family,
        trust=trust,
        variables=rule.variables,
        decided_in=rule.decided_in,
        notes=tuple(notes),
    )


def _lacking(client: Client, facts: Facts) -> list[str]:
    """The subjects of the administrator's local roots that this client's store does not hold."""
    if client.trust.kind not in _KINDS_WITH_OWN_COPY or not facts.local_roots:
        return []
    bundle = facts.bundle(client.trust.path)
    held = bundle.identities if bundle is not None and bundle.parsed else frozenset()
    return [root.subject for root in facts.local_roots if root.identity not in held]


_JUDGED: list[tuple[Facts, tuple[Client, ...]]] = []  # the last facts judged: a check asks several times


def judge(facts: Facts) -> tuple[Client, ...]:
    """Every TLS client of the examined interpreter (the stdlib's first), with its store and a verdict."""
    if _JUDGED and _JUDGED[0][0] is facts:  # facts are immutable: the same object gets the same answer
        return _JUDGED[0][1]
    judged = _judge(facts)
    _JUDGED[:] = [(facts, judged)]
    return judged


def _judge(facts: Facts) -> tuple[Client, ...]:
    """Judge each client afresh."""
    clients = []
    stdlib_version = facts.runtime.python_version if facts.subject is None or facts.subject.python else ""
    if stdlib_version:
        clients.append(_judge_one("urllib (stdlib)", stdlib_version, STDLIB, facts, None))
    for distribution in facts.distributions:
        rule = rule_for(distribution.name, distribution.version, facts.runtime.python_version)
        if rule is not None:
            clients.append(_judge_one(distribution.name, distribution.version, rule, facts, distribution.bundle))
    judged = []
    for client in clients:
        lacking = _lacking(client, facts)
        if client.trust.kind == "missing":
            verdict = "fails: its CA setting is unusable"
        elif lacking:
            verdict = "lacks %d local root%s" % (len(lacking), "" if len(lacking) == 1 else "s")
        else:
            verdict = "ok"
        judged.append(replace(client, verdict=verdict))
    return tuple(judged)


def own_stores(clients: tuple[Client, ...]) -> list[str]:
    """The stores clients use besides the OS store: the default context's handshake does not speak for them."""
    paths: list[str] = []
    for client in clients:
        if client.trust.kind not in (OPENSSL, TRUSTSTORE, SYSTEM, "missing") and client.trust.path:
            paths.append(client.trust.path)
        paths.extend(client.trust.also)
        if client.trust.kind == COMPILED_IN and client.trust.stand_in:
            paths.append(client.trust.stand_in)
    return list(dict.fromkeys(paths))


def path_effects(facts: Facts, variable: str) -> dict[str, str]:
    """What a variable naming something unusable does to each installed client: its own rule decides."""
    effects: dict[str, str] = {}
    for client in judge(facts):
        if client.name == "urllib (stdlib)":
            continue  # the finding's consumers already speak for Python's own ssl
        rule = rule_for(client.name, client.version, facts.runtime.python_version)
        if rule is None or variable not in rule.variables:
            effects[client.name] = "ignores it"
        else:
            effects[client.name] = {
                "ignored": "ignores it",
                "raises": "raises",
                "falls back": "falls back to its default",
                "fails closed": "fails closed (trusts nothing)",
            }[rule.missing]
    return effects


def host_verdicts(host: HostCheck, clients: tuple[Client, ...]) -> tuple[HostClient, ...]:
    """Whether each client would accept the host's chain, each by its own store.

    Clients that read the OS store get the default context's answer; the others the offline verification of
    the same chain against their own store.
    """
    by_path = {verdict.path: verdict for verdict in host.stores}
    trust_failure = host.code in ("host-unknown-ca", "host-incomplete-chain")
    failure = host.verify_message or host.reason or host.error
    results = []
    for client in clients:
        kind = client.trust.kind
        if not host.ok and not trust_failure:  # unreachable, not TLS, a name mismatch: the same for every client
            results.append(HostClient(client.name, False, failure))
        elif kind in (OPENSSL, TRUSTSTORE, SYSTEM):
            added = [by_path[p] for p in client.trust.also if p in by_path]
            ok = host.ok or any(v.ok for v in added)
            results.append(HostClient(client.name, ok, None if ok else failure))
        elif kind == "missing":
            results.append(HostClient(client.name, False, "its CA setting is unusable"))
        elif kind == COMPILED_IN:
            stand_in = by_path.get(client.trust.stand_in or "")
            if stand_in is None:
                results.append(HostClient(client.name, None, "roots compiled into the binary: not checked here"))
            else:
                template = "%s (against %s: Mozilla's set, standing in for the roots compiled into it)"
                reason = None if stand_in.ok else template % (stand_in.reason, stand_in.path)
                results.append(HostClient(client.name, stand_in.ok, reason))
        else:
            verdict = by_path.get(client.trust.path or "")
            if verdict is None:
                results.append(HostClient(client.name, None, host.stores_problem or "its store was not checked"))
            else:
                why = None if verdict.ok else "%s (against %s)" % (verdict.reason, verdict.path)
                results.append(HostClient(client.name, verdict.ok, why))
    return tuple(results)


def client_findings(facts: Facts) -> Iterator[Finding]:
    """Clients that fail a host, lack the local roots, ignore a variable set for them, or have it replaced."""
    clients = judge(facts)
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
    yield from _lacks_local_roots(clients, facts)
    yield from _variable_ignored(clients, facts)
    yield from _variable_replaces(clients, facts)
    for injector in facts.injectors:
        yield Finding(
            "client-injector",
            Severity.INFO,
            "%s (%s) injects truststore into every interpreter start of this environment: its clients trust the "
            "OS store%s"
            % (
                injector.name,
                injector.path,
                "; pip-system-certs before 5 also ignores verify= paths and the CA variables"
                if injector.name == "pip-system-certs"
                else "",
            ),
            {"injector": injector.name, "path": injector.path, "line": injector.line},
        )


def _lacks_local_roots(clients: tuple[Client, ...], facts: Facts) -> Iterator[Finding]:
    """One finding naming the local roots and every client whose store lacks them."""
    lacking = {c.name: _lacking(c, facts) for c in clients}
    affected = [c for c in clients if lacking[c.name]]
    if not affected:
        return
    subjects = sorted({s for c in affected for s in lacking[c.name]})
    yield Finding(
        "client-lacks-local-roots",
        Severity.WARNING,
        "%s trust%s a store without the %d root%s added to the system store (%s): hosts under %s fail there "
        "while curl and urllib work"
        % (
            ", ".join("%s (%s)" % (c.name, c.trust.kind) for c in affected),
            "s" if len(affected) == 1 else "",
            len(subjects),
            "" if len(subjects) == 1 else "s",
            "; ".join(subjects),
            "it" if len(subjects) == 1 else "them",
        ),
        {
            "roots": subjects,
            "found_in": sorted({p for r in facts.local_roots for p in r.found_in}),
            "clients": [{"name": c.name, "trust": c.trust.kind, "path": c.trust.path} for c in affected],
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
            and (
                c.trust.kind in _KINDS_WITH_OWN_COPY
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
    public = next((b for b in facts.bundles if "certifi" in b.roles and b.certificates), None)
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
        yield Finding(
            "client-variable-replaces",
            Severity.WARNING,
            "%s=%s holds %d certificates and none of the public roots, and it replaces the whole store of %s: "
            "public sites fail there"
            % (variable, path, replaced[0].trust.certificates or 0, ", ".join(c.name for c in replaced)),
            {"variable": variable, "path": path, "clients": [c.name for c in replaced]},
        )
