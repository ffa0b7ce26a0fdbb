"""Trust per client: which store each TLS client of the examined Python uses, by that library's own rules.

One row per client family and version range where its behaviour flips, measured with real handshakes (see
`docs/clients.md`, generated from this table). Each row names the function in the library that decides, so a
row can be checked against the library's source when a new version comes out. Adding a client is one row
here, its name in `_facts/distributions.CLIENT_DISTRIBUTIONS`, and one test with the real client.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cadoctor._model import Bundle, Client, ClientTrust, Facts, Finding, Severity
from cadoctor._record import record, replace

# What a client trusts when no variable or switch says otherwise.
OPENSSL = "openssl-defaults"  # ssl.create_default_context(): SSL_CERT_FILE/SSL_CERT_DIR, else OPENSSLDIR
CERTIFI = "certifi"  # the examined environment's certifi bundle
OWN_OR_CERTIFI = "own-or-certifi"  # certifi when importable, else the bundle the library ships
OWN = "own-bundle"  # the bundle the library ships
TRUSTSTORE = "truststore"  # the OS store through truststore (pip >= 24.2 adds certifi in the same context)
COMPILED_IN = "compiled-in"  # roots compiled into a binary (uv's webpki-roots: Mozilla's set)
SYSTEM = "system"  # the OS store, read by the library itself


@record
class ClientRule:
    """How one client family decides what to trust, from `since` (inclusive) to `before` (exclusive).

    Attributes:
        variables: The CA variables it honours, in precedence order.
        replaces: A variable in effect replaces the default store (True) or is loaded on top of it (False).
        first_only: Only the first variable set counts (`A > B`); otherwise every one set is loaded.
        missing: What a variable naming a missing file does: `ignored`, `raises`, `falls back`, `fails closed`.
        switches: Variables that move it to another store when set to a true value (`UV_SYSTEM_CERTS`).

    """

    family: str
    distribution: str
    default: str
    variables: tuple[str, ...]
    replaces: bool
    first_only: bool
    missing: str
    decided_in: str
    since: tuple[int, ...] = ()
    before: tuple[int, ...] | None = None
    switches: tuple[tuple[str, str], ...] = ()
    ssl_module: bool = True  # it verifies through Python's ssl module, so truststore injection reaches it


_OPENSSL_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")
# Configuration files' keys, named as the variables are: they take part in the same precedence lists.
SETTINGS = {
    "pip.conf cert": ("pip", "cert"),
    "aws config ca_bundle": ("botocore", "ca_bundle"),
    "uv.toml system-certs": ("uv", "system-certs"),
    "uv.toml native-tls": ("uv", "native-tls"),
}
_REQUESTS_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def _openssl_row(distribution: str, decided_in: str) -> ClientRule:
    """A client that builds its context with `ssl.create_default_context()`: Python's own trust path."""
    return ClientRule(distribution, distribution, OPENSSL, _OPENSSL_VARIABLES, False, False, "ignored", decided_in)


RULES: tuple[ClientRule, ...] = (
    _openssl_row("urllib3", "urllib3/util/ssl_.py ssl_wrap_socket: load_default_certs() unless ca_certs is given"),
    _openssl_row("aiohttp", "aiohttp/connector.py _make_ssl_context -> ssl.create_default_context()"),
    _openssl_row("websockets", "websockets client connect: ssl=True -> ssl.create_default_context()"),
    _openssl_row("tornado", "tornado/netutil.py _client_ssl_defaults (ssl.create_default_context)"),
    _openssl_row("pymongo", "pymongo/ssl_support.py get_ssl_context: tlsCAFile else load_default_certs()"),
    _openssl_row("redis", "redis/connection.py SSLConnection._wrap_socket_with_ssl: create_default_context()"),
    ClientRule(
        "requests",
        "requests",
        CERTIFI,
        _REQUESTS_VARIABLES,
        True,
        True,
        "raises",
        "requests/utils.py DEFAULT_CA_BUNDLE_PATH = certs.where(); sessions.py merge_environment_settings",
    ),
    ClientRule(
        "azure-core",
        "azure-core",
        CERTIFI,
        _REQUESTS_VARIABLES,
        True,
        True,
        "raises",
        "azure/core/pipeline/transport/_requests_basic.py RequestsTransport (requests' rules)",
    ),
    ClientRule(
        "google-auth",
        "google-auth",
        CERTIFI,
        _REQUESTS_VARIABLES,
        True,
        True,
        "raises",
        "google/auth/transport/requests.py AuthorizedSession (requests' rules; its urllib3 transport honours "
        "no variable)",
    ),
    ClientRule(
        "httpx<0.28",
        "httpx",
        CERTIFI,
        _OPENSSL_VARIABLES,
        True,
        True,
        "falls back",
        "httpx/_utils.py get_ca_bundle_from_env (the variable only when its file exists)",
        before=(0, 28),
    ),
    ClientRule(
        "httpx>=0.28",
        "httpx",
        CERTIFI,
        _OPENSSL_VARIABLES,
        True,
        True,
        "raises",
        "httpx/_config.py create_ssl_context: SSL_CERT_FILE, elif SSL_CERT_DIR, else certifi",
        since=(0, 28),
    ),
    ClientRule(
        "httpx2<2.3",
        "httpx2",
        CERTIFI,
        _OPENSSL_VARIABLES,
        True,
        True,
        "raises",
        "httpx2/_config.py create_ssl_context (httpx 0.28's rules)",
        before=(2, 3),
    ),
    ClientRule(
        "httpx2 2.3-2.15",
        "httpx2",
        TRUSTSTORE,
        _OPENSSL_VARIABLES,
        True,
        True,
        "raises",
        "httpcore2/_ssl.py default_ssl_context -> truststore.SSLContext",
        since=(2, 3),
        before=(2, 16),
    ),
    ClientRule(
        "httpx2>=2.16",
        "httpx2",
        OPENSSL,
        _OPENSSL_VARIABLES,
        True,
        True,
        "raises",
        "httpx2/_config.py create_ssl_context -> httpcore2/_ssl.py default_ssl_context (OpenSSL paths on Linux)",
        since=(2, 16),
    ),
    ClientRule(
        "openai<3",
        "openai",
        CERTIFI,
        _OPENSSL_VARIABLES,
        True,
        True,
        "raises",
        "openai/_base_client.py -> httpx/_config.py create_ssl_context",
        before=(3,),
    ),
    ClientRule(
        "openai>=3",
        "openai",
        OPENSSL,
        _OPENSSL_VARIABLES,
        True,
        True,
        "raises",
        "openai/_base_client.py SyncHttpxClientWrapper -> httpx2 (OpenSSL paths on Linux)",
        since=(3,),
    ),
    ClientRule(
        "anthropic<1",
        "anthropic",
        CERTIFI,
        _OPENSSL_VARIABLES,
        True,
        True,
        "raises",
        "anthropic/_base_client.py -> httpx/_config.py create_ssl_context",
        before=(1,),
    ),
    ClientRule(
        "anthropic>=1",
        "anthropic",
        OPENSSL,
        _OPENSSL_VARIABLES,
        True,
        True,
        "raises",
        "anthropic/_base_client.py -> httpx2 (OpenSSL paths on Linux)",
        since=(1,),
    ),
    ClientRule(
        "pip<24.2",
        "pip",
        CERTIFI,
        (*_REQUESTS_VARIABLES, "PIP_CERT", "pip.conf cert"),
        True,
        True,
        "raises",
        "pip/_internal/cli/index_command.py _build_session (truststore only with --use-feature=truststore)",
        before=(24, 2),
        switches=(("PIP_USE_FEATURE", TRUSTSTORE),),
    ),
    ClientRule(
        "pip>=24.2",
        "pip",
        TRUSTSTORE,
        (*_REQUESTS_VARIABLES, "PIP_CERT", "pip.conf cert", *_OPENSSL_VARIABLES),
        False,
        False,
        "raises",
        "pip/_internal/cli/index_command.py _create_truststore_ssl_context (truststore + certifi, one context)",
        since=(24, 2),
    ),
    ClientRule(
        "botocore",
        "botocore",
        OWN_OR_CERTIFI,
        ("AWS_CA_BUNDLE", "aws config ca_bundle", "REQUESTS_CA_BUNDLE"),
        True,
        True,
        "raises",
        "botocore/httpsession.py where() (certifi if importable, else botocore/cacert.pem); endpoint.py "
        "_get_verify_value",
    ),
    ClientRule(
        "httplib2",
        "httplib2",
        OWN_OR_CERTIFI,
        ("HTTPLIB2_CA_CERTS",),
        True,
        True,
        "raises",
        "httplib2/certs.py where(): HTTPLIB2_CA_CERTS, certifi, then httplib2/cacerts.txt (at import)",
    ),
    ClientRule(
        "grpcio",
        "grpcio",
        OWN,
        ("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",),
        True,
        True,
        "falls back",
        "grpc C-core DefaultSslRootStore::ComputePemRootCerts (roots.pem through the Python callback)",
        switches=(("GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK", SYSTEM),),
        ssl_module=False,
    ),
    ClientRule(
        "uv<0.5",
        "uv",
        COMPILED_IN,
        ("SSL_CERT_FILE",),
        True,
        True,
        "falls back",
        "uv binary (webpki-roots compiled in; --native-tls / UV_NATIVE_TLS for the OS store)",
        before=(0, 5),
        switches=(("UV_NATIVE_TLS", SYSTEM),),
        ssl_module=False,
    ),
    ClientRule(
        "uv>=0.5",
        "uv",
        COMPILED_IN,
        _OPENSSL_VARIABLES,
        True,
        False,
        "fails closed",
        "uv binary (webpki-roots compiled in; --system-certs / UV_SYSTEM_CERTS for the OS store)",
        since=(0, 5),
        switches=(
            ("UV_SYSTEM_CERTS", SYSTEM),
            ("UV_NATIVE_TLS", SYSTEM),
            ("uv.toml system-certs", SYSTEM),
            ("uv.toml native-tls", SYSTEM),
        ),
        ssl_module=False,
    ),
)
# The stdlib's urllib.request and http.client: always there, Python's own trust path.
STDLIB = _openssl_row("urllib (stdlib)", "ssl.create_default_context -> load_default_certs (urllib.request)")
# Variables some Python client reads: the ones whose being ignored by another client is worth saying.
CLIENT_VARIABLES = tuple(dict.fromkeys(v for rule in RULES for v in rule.variables if v not in SETTINGS))
_TRUE = ("1", "true", "yes", "on")
_KINDS_WITH_OWN_COPY = (CERTIFI, OWN, COMPILED_IN, "variable")


def version_key(version: str) -> tuple[int, ...]:
    """The release numbers of a version string (`2.32.3`, `24.2`, `2026.10.19.post1`), for range checks."""
    return tuple(int(n) for n in re.findall(r"\d+", version.split("+")[0].split("rc")[0])[:3])


def rule_for(name: str, version: str) -> ClientRule | None:
    """The row that describes this version of this distribution."""
    key = version_key(version)
    for rule in RULES:
        if rule.distribution == name and key >= rule.since and (rule.before is None or key < rule.before):
            return rule
    return None


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


def _store_of(kind: str, facts: Facts, own: str | None) -> ClientTrust:
    """Where a default store of that kind lives in the examined environment."""
    runtime = facts.runtime
    if kind in (OPENSSL, TRUSTSTORE, SYSTEM):
        path = runtime.cafile.path if runtime.cafile else (runtime.capaths[0].path if runtime.capaths else None)
        bundle = facts.bundle(path)
        return ClientTrust(kind, path, bundle.certificates if bundle else None, "default")
    if kind == OWN_OR_CERTIFI:
        kind, own = (CERTIFI, runtime.certifi) if runtime.certifi else (OWN, own)
    path = runtime.certifi if kind == CERTIFI else own
    bundle = facts.bundle(path)
    if kind in (CERTIFI, OWN) and path is None:
        return ClientTrust("missing", None, 0, "default")
    return ClientTrust(kind, path, bundle.certificates if bundle else None, "default")


def _usable(bundle: Bundle | None) -> bool:
    """Whether a variable's target would load as CA certificates."""
    return bundle is not None and bundle.usable


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
        if not _usable(bundle):
            effect = {"ignored": "ignores it", "falls back": "falls back to its default", "raises": "raises"}.get(
                rule.missing, rule.missing
            )
            notes.append("%s=%s is unusable: this client %s" % (variable, path, effect))
            if rule.missing in ("raises", "fails closed"):
                trust = ClientTrust("missing", path, 0, variable)
            continue
        if rule.replaces:
            trust = ClientTrust("variable", path, bundle.certificates if bundle else None, variable)
        else:
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


def judge(facts: Facts) -> tuple[Client, ...]:
    """Every TLS client of the examined interpreter (the stdlib's first), with its store and a verdict."""
    clients = []
    stdlib_version = facts.runtime.python_version if facts.subject is None or facts.subject.python else ""
    if stdlib_version:
        clients.append(_judge_one("urllib (stdlib)", stdlib_version, STDLIB, facts, None))
    for distribution in facts.distributions:
        rule = rule_for(distribution.name, distribution.version)
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


def client_findings(facts: Facts) -> Iterator[Finding]:
    """Clients that lack the local roots, ignore a variable set for them, or have their store replaced."""
    clients = judge(facts)
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
