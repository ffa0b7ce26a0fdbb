"""The client rules table: one row per client family and version range where its trust flips.

Each row names the function in the library that decides, so it can be checked against the source when a new
version comes out. `docs/clients.md` is generated from it. Adding a client is one row here, its name in
`_facts/distributions.CLIENT_DISTRIBUTIONS`, and one test with the real client.
"""

from __future__ import annotations

import re

from cadoctor._record import record

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
    python: tuple[tuple[int, ...], tuple[int, ...] | None] = ((), None)  # the Pythons it applies to


_OPENSSL_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")
# Configuration files' keys, named as the variables are: they take part in the same precedence lists.
SETTINGS = {
    "pip.conf cert": ("pip", "cert"),
    "aws config ca_bundle": ("botocore", "ca_bundle"),
    "uv.toml system-certs": ("uv", "system-certs"),
    "uv.toml native-tls": ("uv", "native-tls"),
}
_REQUESTS_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
_PIP_VARIABLES = (*_REQUESTS_VARIABLES, "PIP_CERT", "pip.conf cert")  # pip's vendored requests, then its own


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
        OWN,
        _PIP_VARIABLES,
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
        (*_PIP_VARIABLES, *_OPENSSL_VARIABLES),
        False,
        False,
        "raises",
        "pip/_internal/cli/index_command.py _create_truststore_ssl_context (truststore + certifi, one context)",
        since=(24, 2),
        python=((3, 10), None),
    ),
    ClientRule(
        "pip>=24.2 on Python<3.10",
        "pip",
        OWN,
        _PIP_VARIABLES,
        True,
        True,
        "raises",
        "pip/_internal/cli/index_command.py _create_truststore_ssl_context: 'Disabling truststore because Python "
        "version isn't 3.10+'",
        since=(24, 2),
        python=((), (3, 10)),
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


def version_key(version: str) -> tuple[int, ...]:
    """The release numbers of a version string (`2.32.3`, `24.2`, `2026.10.19.post1`), for range checks."""
    return tuple(int(n) for n in re.findall(r"\d+", version.split("+")[0].split("rc")[0])[:3])


def rule_for(name: str, version: str, python: str = "") -> ClientRule | None:
    """The row that describes this version of this distribution (on this version of Python, when it matters)."""
    key, python_key = version_key(version), version_key(python)[:2]
    for rule in RULES:
        low, high = rule.python
        if python_key and (python_key < low or (high is not None and python_key >= high)):
            continue
        if rule.distribution == name and key >= rule.since and (rule.before is None or key < rule.before):
            return rule
    return None
