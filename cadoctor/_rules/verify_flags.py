"""The verification flags each client's context carries: whether a partial chain, or 3.13's strict rules, apply to it.

Python 3.13's `ssl.create_default_context()` sets VERIFY_X509_PARTIAL_CHAIN (a store may anchor a chain at an
intermediate it trusts) and VERIFY_X509_STRICT (RFC 5280's rules for a chain's extensions). A client that builds
its context with it, or copies its flags (urllib3 from 2.3), verifies as the default context of the examined
Python does (`DEFAULT`): on 3.13 it accepts a partial chain and refuses a CA without a critical basicConstraints;
before 3.13, neither. A client that builds a bare `ssl.SSLContext` (botocore, httplib2, pymongo, pip, urllib3 before
2.3, httpx before 0.28) or verifies in its own library (grpcio's BoringSSL) sets neither flag on any Python (`BARE`).

Measured with the real clients on Python 3.11 and 3.13, a store holding only the intermediate and chains that break
one strict rule each (tests/clients/test_verify_flags.py); redis, pymongo, azure-core and google-auth read in their
source. Each store verdict carries both answers (`StoreVerdict.ok`, `plain`): the client's flags pick its own.
"""

from __future__ import annotations

from cadoctor._model import Client, HostCheck, StoreVerdict
from cadoctor._rules.client_table import version_key

DEFAULT = "default"  # the flags of the examined Python's `ssl.create_default_context()`
BARE = "bare"  # no flag at all: a context the library builds itself

# urllib3's create_urllib3_context copies 3.13's flags from 2.3.0 (urllib3/util/ssl_.py: `if sys.version_info >=
# (3, 13): verify_flags |= VERIFY_X509_PARTIAL_CHAIN | VERIFY_X509_STRICT`); before, a bare SSLContext.
URLLIB3_COPIES_FLAGS = (2, 3)

_BY_FAMILY = {
    "urllib (stdlib)": DEFAULT,  # urllib.request, http.client: ssl.create_default_context()
    "aiohttp": DEFAULT,  # aiohttp/connector.py _make_ssl_context -> ssl.create_default_context()
    "websockets": DEFAULT,  # ssl=True -> ssl.create_default_context()
    "tornado": DEFAULT,  # tornado/netutil.py _client_ssl_defaults = ssl.create_default_context()
    "redis": DEFAULT,  # redis/connection.py SSLConnection: ssl.create_default_context()
    "httpx>=0.28": DEFAULT,  # httpx/_config.py create_ssl_context: ssl.create_default_context(cafile=...)
    "httpx<0.28": BARE,  # httpx/_config.py SSLConfig: ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    "pymongo": BARE,  # pymongo/ssl_support.py get_ssl_context: ssl.SSLContext(PROTOCOL_SSLv23)
    "httplib2": BARE,  # httplib2/__init__.py _build_ssl_context: ssl.SSLContext(DEFAULT_TLS_VERSION)
}
_BARE_PREFIXES = ("botocore", "grpcio", "pip")  # botocore/httpsession.py's own SSLContext; BoringSSL; pip's context
_ON_URLLIB3 = ("urllib3", "requests", "azure-core", "google-auth")  # create_urllib3_context decides their flags


def flags_of(client: Client, clients: tuple[Client, ...]) -> str | None:
    """`DEFAULT`, `BARE`, or None where it is not known (a binary's own verifier, truststore's, an unmeasured one).

    A client on urllib3 takes the flags of the urllib3 installed beside it (`clients` holds it when it is).
    """
    family = client.family
    if family.startswith(_BARE_PREFIXES):
        return BARE  # pip's own truststore context too: measured without either flag
    if client.trust.kind == "truststore":
        return None  # an injected truststore context: not measured
    if family in _BY_FAMILY:
        return _BY_FAMILY[family]
    if family.startswith(_ON_URLLIB3):
        urllib3 = next((c for c in clients if c.name == "urllib3"), None)
        if urllib3 is None or not urllib3.version:
            return None
        return DEFAULT if version_key(urllib3.version) >= URLLIB3_COPIES_FLAGS else BARE
    return None


def accepts(verdict: StoreVerdict, flags: str | None) -> bool:
    """Whether a client with these flags accepts the chain its store was checked against."""
    if flags == BARE and verdict.plain is not None:
        return verdict.plain
    return verdict.ok


def default_accepts(host: HostCheck, flags: str | None) -> bool:
    """Whether a client reading the default context's stores, with its own flags, accepts the host's chain."""
    if flags == BARE and host.default_plain is not None:
        return host.default_plain
    return host.ok


def why_partial(client: Client, flags: str | None, anchor: str | None) -> str:
    """Why a client refuses a chain its store anchors at an intermediate, and who accepts it."""
    what = "%r, an intermediate" % anchor if anchor else "an intermediate"
    if flags == BARE:
        return (
            "it trusts %s, and not the root above it: %s builds its own context without VERIFY_X509_PARTIAL_CHAIN "
            "on every Python (Python 3.13's default context sets it)" % (what, client.name)
        )
    return (
        "it trusts %s, and not the root above it: %s on this Python verifies without VERIFY_X509_PARTIAL_CHAIN, "
        "which Python 3.13's default context sets (3.13 would accept it)" % (what, client.name)
    )


def why_bare_refuses(client: Client) -> str:
    """Why a client without the flag refuses a chain the default context accepted only as a partial chain."""
    return (
        "the default context verified it only with VERIFY_X509_PARTIAL_CHAIN (its store trusts an intermediate, not "
        "the root above it), and %s builds its own context without that flag" % client.name
    )
