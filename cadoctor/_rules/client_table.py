"""The client rules table: one row per client family and version range where its trust flips.

Each row says what the client trusts by default and how it reads each CA variable or configuration setting,
value kind by value kind (`client_values.py`), in its order of precedence; and names the function in the
library that decides, so it can be checked against the source when a new version comes out. A switch
(`UV_SYSTEM_CERTS`, pip's `--use-deprecated=legacy-certs`) moves a client to another row, a mode, with its own
readings. `docs/clients.md` is generated from it. Adding a client is one row here (check passes the
distribution names down to discovery) and one test with the real client.
"""

from __future__ import annotations

import re

from cadoctor._record import record
from cadoctor._rules.client_readings import (
    GRPC_FILE,
    GRPC_SYSTEM_DIR,
    HTTPLIB2,
    HTTPX,
    HTTPX_BEFORE_0_28,
    OPENSSL_READINGS,
    PIP_OWN,
    REQUESTS,
    REQUESTS_BEFORE_2_28,
    UV_DIR_FAILS,
    UV_DIR_IGNORES,
    UV_FAILS,
    UV_IGNORES,
    botocore,
    uv,
)
from cadoctor._rules.client_values import NO_VERIFICATION, RAISES, Reading

# What a client trusts when no variable or switch says otherwise.
OPENSSL = "openssl-defaults"  # ssl.create_default_context(): SSL_CERT_FILE/SSL_CERT_DIR, else OPENSSLDIR
CERTIFI = "certifi"  # the examined environment's certifi bundle
OWN_OR_CERTIFI = "own-or-certifi"  # certifi when importable, else the bundle the library ships
CERTIFI_OR_OPENSSL = "certifi-or-openssl"  # certifi when importable, else Python's own default paths
OWN = "own-bundle"  # the bundle the library ships
TRUSTSTORE = "truststore"  # the OS store through truststore (pip >= 24.2 adds certifi in the same context)
COMPILED_IN = "compiled-in"  # roots compiled into a binary (uv's webpki-roots: Mozilla's set)
SYSTEM = "system"  # the OS store, read by the library itself


@record
class ClientRule:
    """How one client family decides what to trust, from `since` (inclusive) to `before` (exclusive).

    Attributes:
        readings: How it reads each CA variable or setting, in its order of precedence.
        first_only: Only the first reading whose value is not treated as unset counts (`A > B`); otherwise each
            one is applied (`A + B`).
        adds: What the readings load is added to the default store; otherwise it replaces it.
        switches: (variable or setting, mode, word): set to a true value (or naming the word in its list), the
            variable moves the client to that mode's row.
        name: The client's name where one distribution has several (google-auth's urllib3 transport).
        via: The library it makes its requests with: where that library is installed, its row's readings apply.
        refuses: (variable, word, unless): a word in that variable's list that this version does not know, or
            cannot act on unless the distribution `unless` is installed ('' for none); it stops before any request
            (pip 22.2-24.1 and PIP_USE_DEPRECATED=legacy-certs: "invalid choice"; pip before 23.3 and
            PIP_USE_FEATURE=truststore without truststore installed).

    """

    family: str
    distribution: str
    default: str
    readings: tuple[Reading, ...]
    decided_in: str
    first_only: bool = True
    adds: bool = False
    since: tuple[int, ...] = ()
    before: tuple[int, ...] | None = None
    switches: tuple[tuple[str, str, str], ...] = ()
    ssl_module: bool = True  # it verifies through Python's ssl module, so truststore injection reaches it
    python: tuple[tuple[int, ...], tuple[int, ...] | None] = ((), None)  # the Pythons it applies to
    name: str = ""
    via: str = ""
    refuses: tuple[tuple[str, str, str], ...] = ()

    @property
    def client(self) -> str:
        """The client's name in a report."""
        return self.name or self.distribution

    @property
    def variables(self) -> tuple[str, ...]:
        """The variables and settings it reads, in precedence order."""
        return tuple(reading.name for reading in self.readings)


# Configuration files' keys, named as the variables are: they take part in the same precedence lists.
SETTINGS = {
    "pip.conf cert": ("pip", "cert"),
    "aws config ca_bundle": ("botocore", "ca_bundle"),
    "uv.toml system-certs": ("uv", "system-certs"),
    "uv.toml native-tls": ("uv", "native-tls"),
}


def _openssl_row(distribution: str, decided_in: str) -> ClientRule:
    """A client that builds its context with `ssl.create_default_context()`: Python's own trust path."""
    return ClientRule(distribution, distribution, OPENSSL, OPENSSL_READINGS, decided_in, first_only=False)


_UV_NATIVE = ("UV_NATIVE_TLS", "uv.toml native-tls")
_UV_SYSTEM = ("UV_SYSTEM_CERTS", "uv.toml system-certs", *_UV_NATIVE)
_UV_DECIDED = (
    "uv binary (rustls; messages compiled in: 'Invalid `SSL_CERT_FILE`', 'No default certificates will be trusted')"
)

RULES: tuple[ClientRule, ...] = (
    _openssl_row("urllib3", "urllib3/util/ssl_.py ssl_wrap_socket: load_default_certs() unless ca_certs is given"),
    _openssl_row("aiohttp", "aiohttp/connector.py _make_ssl_context -> ssl.create_default_context()"),
    _openssl_row("websockets", "websockets client connect: ssl=True -> ssl.create_default_context()"),
    _openssl_row("tornado", "tornado/netutil.py _client_ssl_defaults (ssl.create_default_context)"),
    _openssl_row("pymongo", "pymongo/ssl_support.py get_ssl_context: tlsCAFile else load_default_certs()"),
    _openssl_row("redis", "redis/connection.py SSLConnection._wrap_socket_with_ssl: create_default_context()"),
    ClientRule(
        "requests<2.28",
        "requests",
        CERTIFI,
        REQUESTS_BEFORE_2_28,
        "requests/sessions.py merge_environment_settings (REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, taken as it is); "
        "adapters.py HTTPAdapter.cert_verify",
        before=(2, 28),
    ),
    ClientRule(
        "requests>=2.28",
        "requests",
        CERTIFI,
        REQUESTS,
        "requests/sessions.py merge_environment_settings (REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE or verify); "
        "adapters.py HTTPAdapter.cert_verify (a folder is ca_cert_dir)",
        since=(2, 28),
    ),
    ClientRule(
        "azure-core",
        "azure-core",
        CERTIFI,
        REQUESTS,
        "azure/core/pipeline/transport/_requests_basic.py RequestsTransport (requests' rules)",
        via="requests",
    ),
    ClientRule(
        "google-auth",
        "google-auth",
        CERTIFI,
        REQUESTS,
        "google/auth/transport/requests.py AuthorizedSession (a requests.Session: requests' rules)",
        via="requests",
    ),
    ClientRule(
        "google-auth/urllib3",
        "google-auth",
        CERTIFI_OR_OPENSSL,
        OPENSSL_READINGS,
        "google/auth/transport/urllib3.py _make_default_http: PoolManager(ca_certs=certifi.where()) when certifi "
        "imports (no variable is read), else urllib3's load_default_certs()",
        first_only=False,
        name="google-auth/urllib3",
    ),
    ClientRule(
        "httpx<0.28",
        "httpx",
        CERTIFI,
        HTTPX_BEFORE_0_28,
        "httpx/_utils.py get_ca_bundle_from_env (SSL_CERT_FILE if a file, else SSL_CERT_DIR if a folder)",
        before=(0, 28),
    ),
    ClientRule(
        "httpx>=0.28",
        "httpx",
        CERTIFI,
        HTTPX,
        "httpx/_config.py create_ssl_context: SSL_CERT_FILE, elif SSL_CERT_DIR, else certifi",
        since=(0, 28),
    ),
    ClientRule(
        "httpx2<2.3",
        "httpx2",
        CERTIFI,
        HTTPX,
        "httpx2/_config.py create_ssl_context (httpx 0.28's rules)",
        before=(2, 3),
    ),
    ClientRule(
        "httpx2 2.3-2.15",
        "httpx2",
        TRUSTSTORE,
        HTTPX,
        "httpcore2/_ssl.py default_ssl_context -> truststore.SSLContext; SSL_CERT_FILE/SSL_CERT_DIR replace it",
        since=(2, 3),
        before=(2, 16),
    ),
    ClientRule(
        "httpx2>=2.16",
        "httpx2",
        OPENSSL,
        HTTPX,
        "httpx2/_config.py create_ssl_context -> httpcore2/_ssl.py default_ssl_context (the compiled OpenSSL paths "
        "on Linux; SSL_CERT_FILE/SSL_CERT_DIR replace them)",
        since=(2, 16),
    ),
    ClientRule(
        "openai<3",
        "openai",
        CERTIFI,
        HTTPX,
        "openai/_base_client.py -> httpx/_config.py create_ssl_context",
        before=(3,),
        via="httpx",
    ),
    ClientRule(
        "openai>=3",
        "openai",
        OPENSSL,
        HTTPX,
        "openai/_base_client.py SyncHttpxClientWrapper -> httpx2 (OpenSSL paths on Linux)",
        since=(3,),
        via="httpx2",
    ),
    ClientRule(
        "anthropic<1",
        "anthropic",
        CERTIFI,
        HTTPX,
        "anthropic/_base_client.py -> httpx/_config.py create_ssl_context",
        before=(1,),
        via="httpx",
    ),
    ClientRule(
        "anthropic>=1",
        "anthropic",
        OPENSSL,
        HTTPX,
        "anthropic/_base_client.py -> httpx2 (OpenSSL paths on Linux)",
        since=(1,),
        via="httpx2",
    ),
    ClientRule(
        "pip<22.2",
        "pip",
        OWN,
        (*REQUESTS_BEFORE_2_28, *PIP_OWN),
        "pip/_internal/network/session.py PipSession (verify = --cert) -> its vendored requests < 2.28",
        before=(22, 2),
    ),
    ClientRule(
        "pip 22.2-23.2",
        "pip",
        OWN,
        (*REQUESTS, *PIP_OWN),
        "pip/_internal/cli/req_command.py _build_session: session.verify = --cert, then requests' "
        "merge_environment_settings (REQUESTS_CA_BUNDLE > CURL_CA_BUNDLE beat it)",
        since=(22, 2),
        before=(23, 3),
        switches=(("PIP_USE_FEATURE", "pip --use-feature=truststore", "truststore"),),
        # pip/_internal/cli/req_command.py _create_truststore_ssl_context: before 23.3 pip vendors no truststore and
        # stops with "To use the truststore feature, 'truststore' must be installed into pip's current environment"
        # (measured with pip 23.2.1); pip/_internal/cli/cmdoptions.py use_deprecated_feature: choices
        # ["legacy-resolver"] before 24.2 ("option use-deprecated: invalid choice: 'legacy-certs'")
        refuses=(("PIP_USE_FEATURE", "truststore", "truststore"), ("PIP_USE_DEPRECATED", "legacy-certs", "")),
    ),
    ClientRule(
        "pip 23.3-24.1",
        "pip",
        OWN,
        (*REQUESTS, *PIP_OWN),
        "pip/_internal/cli/req_command.py (index_command.py in 24.1) _build_session: session.verify = --cert, "
        "then requests' merge_environment_settings (REQUESTS_CA_BUNDLE > CURL_CA_BUNDLE beat it)",
        since=(23, 3),
        before=(24, 2),
        switches=(("PIP_USE_FEATURE", "pip --use-feature=truststore", "truststore"),),
        # measured with pip 24.1.2: "option use-deprecated: invalid choice: 'legacy-certs'"
        refuses=(("PIP_USE_DEPRECATED", "legacy-certs", ""),),
    ),
    ClientRule(
        "pip>=24.2",
        "pip",
        TRUSTSTORE,
        (*REQUESTS, *PIP_OWN, *OPENSSL_READINGS),
        "pip/_internal/cli/index_command.py _create_truststore_ssl_context (truststore + certifi, one context); "
        "the first of REQUESTS_CA_BUNDLE > CURL_CA_BUNDLE > PIP_CERT > pip.conf cert is added to it",
        adds=True,
        since=(24, 2),
        python=((3, 10), None),
        switches=(("PIP_USE_DEPRECATED", "pip --use-deprecated=legacy-certs", "legacy-certs"),),
    ),
    ClientRule(
        "pip>=24.2 on Python<3.10",
        "pip",
        OWN,
        (*REQUESTS, *PIP_OWN),
        "pip/_internal/cli/index_command.py _create_truststore_ssl_context: 'Disabling truststore because Python "
        "version isn't 3.10+'",
        since=(24, 2),
        python=((), (3, 10)),
    ),
    ClientRule(
        "botocore<1.43.54",
        "botocore",
        OWN_OR_CERTIFI,
        botocore(NO_VERIFICATION),
        "botocore/httpsession.py where() (certifi if importable, else botocore/cacert.pem) and _setup_ssl_cert "
        "(an empty value is CERT_NONE); endpoint.py _get_verify_value; configprovider.py ca_bundle",
        before=(1, 43, 54),
    ),
    ClientRule(
        "botocore>=1.43.54",
        "botocore",
        OWN_OR_CERTIFI,
        botocore(RAISES),
        "botocore/httpsession.py where(); endpoint.py _get_verify_value/_validate_verify_value (an empty value "
        "raises); configprovider.py ca_bundle (AWS_CA_BUNDLE beats the config file)",
        since=(1, 43, 54),
    ),
    ClientRule(
        "httplib2",
        "httplib2",
        OWN_OR_CERTIFI,
        (HTTPLIB2,),
        "httplib2/certs.py where(): HTTPLIB2_CA_CERTS, certifi, then httplib2/cacerts.txt (at import)",
    ),
    ClientRule(
        "grpcio<1.76",
        "grpcio",
        OWN,
        (GRPC_FILE,),
        "grpc C-core DefaultSslRootStore::ComputePemRootCerts (roots.pem through the Python callback)",
        before=(1, 76),
        ssl_module=False,
    ),
    ClientRule(
        "grpcio>=1.76",
        "grpcio",
        OWN,
        (GRPC_FILE,),
        "grpc C-core DefaultSslRootStore::ComputePemRootCerts (roots.pem through the Python callback; "
        "GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK puts the system roots first)",
        since=(1, 76),
        switches=(("GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK", "grpcio system roots", ""),),
        ssl_module=False,
    ),
    ClientRule(
        "uv<0.9.10",
        "uv",
        COMPILED_IN,
        uv(UV_IGNORES, None),
        _UV_DECIDED + "; SSL_CERT_DIR only with --native-tls",
        before=(0, 9, 10),
        switches=tuple((v, "uv<0.11 --native-tls", "") for v in _UV_NATIVE),
        ssl_module=False,
    ),
    ClientRule(
        "uv 0.9.10-0.10",
        "uv",
        COMPILED_IN,
        uv(UV_IGNORES, UV_DIR_IGNORES),
        _UV_DECIDED,
        first_only=False,
        since=(0, 9, 10),
        before=(0, 11),
        switches=tuple((v, "uv<0.11 --native-tls", "") for v in _UV_NATIVE),
        ssl_module=False,
    ),
    ClientRule(
        "uv 0.11",
        "uv",
        COMPILED_IN,
        uv(UV_IGNORES, UV_DIR_IGNORES),
        _UV_DECIDED,
        first_only=False,
        since=(0, 11),
        before=(0, 12),
        switches=tuple((v, "uv 0.11 --system-certs", "") for v in _UV_SYSTEM),
        ssl_module=False,
    ),
    ClientRule(
        "uv>=0.12",
        "uv",
        COMPILED_IN,
        uv(UV_FAILS, UV_DIR_FAILS),
        _UV_DECIDED,
        first_only=False,
        since=(0, 12),
        switches=tuple((v, "uv>=0.12 --system-certs", "") for v in _UV_SYSTEM),
        ssl_module=False,
    ),
)
# Rows a switch moves a client to: never chosen by version alone.
MODES: tuple[ClientRule, ...] = (
    ClientRule(
        "pip --use-feature=truststore",
        "pip",
        TRUSTSTORE,
        (*REQUESTS, *PIP_OWN, *OPENSSL_READINGS),
        "pip/_internal/cli/req_command.py _create_truststore_ssl_context (--use-feature=truststore)",
        adds=True,
    ),
    ClientRule(
        "pip --use-deprecated=legacy-certs",
        "pip",
        OWN,
        (*REQUESTS, *PIP_OWN),
        "pip/_internal/cli/index_command.py _build_session: --use-deprecated=legacy-certs leaves truststore out",
    ),
    ClientRule(
        "grpcio system roots",
        "grpcio",
        SYSTEM,
        (GRPC_FILE, GRPC_SYSTEM_DIR),
        "grpc C-core ComputePemRootCerts with GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK: "
        "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, then the system roots (GRPC_SYSTEM_SSL_ROOTS_DIR, else the OS folders)",
        ssl_module=False,
    ),
    ClientRule(
        "uv<0.11 --native-tls",
        "uv",
        SYSTEM,
        uv(UV_IGNORES, UV_DIR_IGNORES),
        "uv binary, --native-tls: rustls-native-certs (SSL_CERT_FILE and SSL_CERT_DIR replace the OS store)",
        first_only=False,
        ssl_module=False,
    ),
    ClientRule(
        "uv 0.11 --system-certs",
        "uv",
        SYSTEM,
        uv(UV_IGNORES, UV_DIR_IGNORES, empty=RAISES),
        "uv binary, --system-certs / --native-tls: the OS store, replaced by SSL_CERT_FILE and SSL_CERT_DIR",
        first_only=False,
        ssl_module=False,
    ),
    ClientRule(
        "uv>=0.12 --system-certs",
        "uv",
        SYSTEM,
        uv(UV_FAILS, UV_DIR_FAILS, empty=RAISES),
        "uv binary, --system-certs / --native-tls: the OS store, replaced by SSL_CERT_FILE and SSL_CERT_DIR",
        first_only=False,
        ssl_module=False,
    ),
)
# The stdlib's urllib.request and http.client: always there, Python's own trust path.
STDLIB = _openssl_row("urllib (stdlib)", "ssl.create_default_context -> load_default_certs (urllib.request)")
# Variables some Python client reads: the ones whose being ignored by another client is worth saying.
CLIENT_VARIABLES = tuple(dict.fromkeys(v for rule in (*RULES, *MODES) for v in rule.variables if v not in SETTINGS))
# Every value a client reads, variable or setting: the ones whose kind of value a finding judges.
READ = tuple(dict.fromkeys(v for rule in (*RULES, *MODES) for v in rule.variables))


def version_key(version: str) -> tuple[int, ...]:
    """The release numbers of a version string (`2.32.3`, `24.2`, `2026.10.19.post1`), for range checks."""
    return tuple(int(n) for n in re.findall(r"\d+", version.split("+")[0].split("rc")[0])[:3])


def _fits(rule: ClientRule, key: tuple[int, ...], python_key: tuple[int, ...]) -> bool:
    """Whether a row covers this version of its client, on this version of Python (when it is known)."""
    low, high = rule.python
    if python_key and (python_key < low or (high is not None and python_key >= high)):
        return False
    return key >= rule.since and (rule.before is None or key < rule.before)


def rule_for(name: str, version: str, python: str = "") -> ClientRule | None:
    """The row that describes this version of this client (on this version of Python, when it matters)."""
    key, python_key = version_key(version), version_key(python)[:2]
    return next((r for r in RULES if r.client == name and _fits(r, key, python_key)), None)


def rules_for(distribution: str, version: str, python: str = "") -> list[ClientRule]:
    """Every client a distribution brings (google-auth has two transports), each by its row."""
    key, python_key = version_key(version), version_key(python)[:2]
    return [r for r in RULES if r.distribution == distribution and _fits(r, key, python_key)]


def mode(family: str) -> ClientRule | None:
    """The row a switch names."""
    return next((r for r in (*RULES, *MODES) if r.family == family), None)


# The switches some version of a client refuses a word of (it stops at start): what client-setting-refused reads.
REFUSED_SWITCHES = frozenset(variable for rule in RULES for variable, _, _ in rule.refuses)
