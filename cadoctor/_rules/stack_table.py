"""The native TLS stacks' rules: one row per consumer, saying what it trusts and when OpenSSL's paths count.

A row is data, like the client table: where the trust comes from by default, whether the stack reads its
OpenSSL's default paths (SSL_CERT_FILE, SSL_CERT_DIR, OPENSSLDIR) always, never, or only with a switch, the
variables it honours, what fixes it, and the code that decides. Measured on Linux: node 20.20 and 24.19 with a
loopback server (SSL_CERT_FILE ignored; NODE_EXTRA_CA_CERTS adds; --use-openssl-ca, in argv or NODE_OPTIONS,
switches to OpenSSL's paths; --use-system-ca too from node 22.15). node 24.19's tls.getCACertificates() with
/etc/ssl/certs empty: 120 bundled roots by default and with --use-system-ca (which adds the paths to them), none
with --use-openssl-ca; NODE_EXTRA_CA_CERTS adds its file in every case.
"""

from __future__ import annotations

from collections.abc import Iterable

from cadoctor._record import record

ALWAYS, NEVER, SWITCHED, NOT_OPENSSL = "always", "never", "with a switch", "not OpenSSL"


@record
class StackRule:
    """How one native TLS consumer chooses what it trusts."""

    consumer: str
    title: str  # how the report names it
    store: str  # what it trusts by default, in words
    default_paths: str  # ALWAYS, NEVER, SWITCHED or NOT_OPENSSL: when its OpenSSL's default paths count
    switches: tuple[str, ...] = ()  # command-line flags (or NODE_OPTIONS entries) that make them count
    variables: tuple[str, ...] = ()  # the variables it honours for trust
    fix: str = ""  # the variable or option that fixes its trust
    decided_in: str = ""
    switch_since: int | None = None  # the consumer's major version that brought the switch (older: never)
    own_roots: str = ""  # roots compiled into it, in words: they serve whatever the disk holds
    replacing: tuple[str, ...] = ()  # the switches that put the default paths in place of its own roots
    restoring: tuple[str, ...] = ()  # the switches that undo its build's (node built to use OpenSSL's store)


def default_paths_of(rule: StackRule, version: int | None) -> str:
    """When a consumer's default paths count, for its version: before the switch existed, never."""
    if rule.default_paths == SWITCHED and rule.switch_since and version is not None and version < rule.switch_since:
        return NEVER
    return rule.default_paths


def _given(switches: tuple[str, ...], words: Iterable[str]) -> bool:
    """Whether one of the switches is among the words, as a flag (`--use-openssl-ca`) or with a value (`...=x`)."""
    return any(word in switches or word.split("=")[0] in switches for word in words)


def _in_effect(rule: StackRule, words: Iterable[str], built: Iterable[str]) -> list[str]:
    """The words, after the switches the consumer's build turns on unless one of them undoes those."""
    words = list(words)
    return words if _given(rule.restoring, words) else [*built, *words]


def reads_paths(rule: StackRule, version: int | None, words: Iterable[str], built: Iterable[str] = ()) -> bool:
    """Whether a consumer reads its OpenSSL's default paths: always, or with one of its switches among `words`.

    `words` are the process's command line and the options it reads from its environment (NODE_OPTIONS); a
    switch matches as a flag (`--use-openssl-ca`) or with a value (`--use-openssl-ca=...`, `sslrootcert=system`).
    `built`: the switches its build turns on by default (node configured with --openssl-use-def-ca-store).
    """
    when = default_paths_of(rule, version)
    if when != SWITCHED:
        return when == ALWAYS
    return _given(rule.switches, _in_effect(rule, words, built))


def keeps_own_roots(rule: StackRule, words: Iterable[str], built: Iterable[str] = ()) -> bool:
    """Whether a consumer trusts roots compiled into it: it has some, and no switch put the default paths instead."""
    return bool(rule.own_roots) and not _given(rule.replacing, _in_effect(rule, words, built))


STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        "python-ssl",
        "Python's ssl",
        "OpenSSL's default paths (SSL_CERT_FILE, SSL_CERT_DIR, else OPENSSLDIR)",
        ALWAYS,
        variables=("SSL_CERT_FILE", "SSL_CERT_DIR"),
        fix="SSL_CERT_FILE",
        decided_in="Modules/_ssl.c set_default_verify_paths -> X509_STORE_set_default_paths",
    ),
    StackRule(
        "program",
        "the program",
        "OpenSSL's default paths, unless the program loads its own",
        ALWAYS,
        variables=("SSL_CERT_FILE", "SSL_CERT_DIR"),
        fix="SSL_CERT_FILE",
        decided_in="the program's calls to SSL_CTX_set_default_verify_paths",
    ),
    StackRule(
        "node",
        "node",
        "its bundled Mozilla roots (compiled in) and NODE_EXTRA_CA_CERTS",
        SWITCHED,
        switches=("--use-openssl-ca", "--use-system-ca"),
        variables=("NODE_EXTRA_CA_CERTS",),
        fix="NODE_EXTRA_CA_CERTS",
        decided_in="src/crypto/crypto_context.cc NewRootCertStore (bundled roots; --use-openssl-ca, --use-system-ca)",
        own_roots="node's bundled roots (compiled in)",
        replacing=("--use-openssl-ca",),  # --use-system-ca adds the default paths to its bundled roots
        restoring=("--use-bundled-ca",),
    ),
    StackRule(
        "libpq",
        "libpq",
        "sslrootcert (default ~/.postgresql/root.crt) or PGSSLROOTCERT; sslrootcert=system reads this copy's "
        "default paths (libpq 16 and later)",
        SWITCHED,
        switches=("sslrootcert=system",),
        variables=("PGSSLROOTCERT",),
        fix="sslrootcert=<file> (or PGSSLROOTCERT), or SSL_CERT_FILE for sslrootcert=system",
        decided_in="src/interfaces/libpq/fe-secure-openssl.c initialize_SSL",
        switch_since=16,  # before 16, sslrootcert=system names a file called "system"
    ),
    StackRule(
        "librdkafka",
        "librdkafka",
        "ssl.ca.location, else its own probe of the usual CA paths (SSL_CERT_FILE is not read)",
        NEVER,
        fix="ssl.ca.location",
        decided_in="src/rdkafka_ssl.c rd_kafka_ssl_probe_and_set_default_ca_location",
    ),
    StackRule(
        "grpc-core",
        "grpc core (BoringSSL)",
        "grpc's roots.pem, or the file GRPC_DEFAULT_SSL_ROOTS_FILE_PATH names",
        NEVER,
        variables=("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",),
        fix="GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
        decided_in="src/core/lib/security/security_connector/ssl_utils.cc DefaultSslRootStore",
    ),
    StackRule(
        "curl",
        "the curl tool",
        "CURL_CA_BUNDLE, else SSL_CERT_FILE/SSL_CERT_DIR, else the CA bundle compiled into libcurl",
        ALWAYS,  # measured with curl 7.88: SSL_CERT_FILE alone makes a private root trusted
        variables=("CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"),
        fix="CURL_CA_BUNDLE or --cacert",
        decided_in="src/tool_operate.c (CURL_CA_BUNDLE, SSL_CERT_DIR, SSL_CERT_FILE)",
    ),
    StackRule(
        "libcurl",
        "libcurl",
        "the CA bundle compiled into libcurl (CURLOPT_CAINFO), or the one the program sets; no variable",
        NEVER,
        fix="CURLOPT_CAINFO (pycurl: c.setopt(pycurl.CAINFO, <file>))",
        decided_in="lib/url.c Curl_init_userdefined (CURL_CA_BUNDLE at build time)",
    ),
    StackRule(
        "mysql",
        "mysql-connector",
        "its ssl_ca option; without it the server's certificate is not verified against any store",
        NEVER,
        fix="ssl_ca=<file> with ssl_verify_cert=True",
        decided_in="mysql/connector/connection_cext.py _open_connection (ssl_ca)",
    ),
    StackRule(
        "cryptography",
        "cryptography",
        "nothing of its own: its OpenSSL serves its X.509 and crypto APIs, not TLS connections",
        NEVER,
        decided_in="src/rust/Cargo.toml (openssl linked into _rust.abi3.so)",
    ),
    StackRule(
        "gnutls",
        "GnuTLS",
        "the system trust file it was built with (Debian: /etc/ssl/certs/ca-certificates.crt)",
        NOT_OPENSSL,
        decided_in="lib/system/certs.c gnutls_x509_trust_list_add_system_trust",
    ),
    StackRule(
        "nss",
        "NSS",
        "its certificate database (~/.pki/nssdb, and the built-in roots of libnssckbi)",
        NOT_OPENSSL,
        decided_in="lib/ckfw/builtins (libnssckbi)",
    ),
    StackRule(
        "jsse",
        "Java (JSSE)",
        "the JDK's cacerts keystore (Debian: /etc/ssl/certs/java/cacerts)",
        NOT_OPENSSL,
        fix="-Djavax.net.ssl.trustStore=<keystore>",
        decided_in="sun/security/ssl/TrustStoreManager.java",
    ),
)


def stack_rule(consumer: str) -> StackRule:
    """The row of a consumer; an unknown one is judged as a program reading OpenSSL's default paths."""
    return next((r for r in STACK_RULES if r.consumer == consumer), STACK_RULES[1])
