"""What a live handshake (`--host`) saw: the chain a server sent, who holds its root, what each store says."""

from __future__ import annotations

from cadoctor._model.document import INTERNAL
from cadoctor._record import field, record


@record
class ChainCertificate:
    """One certificate a server presented, described without trusting it."""

    subject: str
    issuer: str
    not_before: str
    not_after: str
    subject_key_id: str | None
    authority_key_id: str | None
    self_issued: bool
    names: tuple[str, ...] = ()  # subjectAltName DNS names and IP addresses: the names it is valid for
    ca_issuers: tuple[str, ...] = ()  # AIA caIssuers URIs: public CAs name where their intermediate is
    der: bytes = field(default=b"", metadata=INTERNAL, compare=False)


@record
class RootHolder:
    """A bundle on disk that holds the issuer a server's chain ends at, or trusts a certificate of the chain itself.

    Attributes:
        verifies: Whether the presented chain verifies against this bundle alone, offline, with the examined
            Python's verification flags (None: not tried).
        reason: Why it does not verify, when it does not.
        partial_chain: The bundle trusts a certificate of the path that is not a root (`anchor`, an intermediate):
            the chain verifies against it with VERIFY_X509_PARTIAL_CHAIN (set by Python 3.13's default context)
            and not without it (older Pythons, contexts built without the flag).
        anchor: The subject of that certificate.
        dropped: The bundle carries the issuer, but OpenSSL does not load it from there (a damaged file, a DER
            block between PEM blocks: see `bundle-unparseable`).
        unlinked: In a folder: its files that carry the issuer where no `<hash>.<n>` link reaches them, so OpenSSL's
            look-up by subject hash never finds it (a root copied into /etc/ssl/certs by hand).

    """

    path: str
    roles: tuple[str, ...]
    verifies: bool | None
    reason: str | None = None
    partial_chain: bool = False
    anchor: str | None = None
    dropped: bool = False
    unlinked: tuple[str, ...] = ()


@record
class StoreVerdict:
    """Whether the chain a server sent verifies against one CA file (OpenSSL's verifier), and why not.

    `ok` is the verdict with the verification flags of the examined Python's default context; `plain`, without any
    flag, as a context a client builds itself (`ssl.SSLContext`) verifies, and as any Python before 3.13 does (None:
    not asked); `partial_chain`: it verifies only with VERIFY_X509_PARTIAL_CHAIN (the file trusts an intermediate,
    not a root); `rejected`: the subject of the certificate verification failed at.
    """

    path: str
    ok: bool
    reason: str | None = None
    partial_chain: bool = False
    rejected: str | None = None
    plain: bool | None = None


@record
class HostClient:
    """Whether one client of the examined Python would accept a host's chain, by its own store."""

    name: str
    ok: bool | None
    reason: str | None = None


# The host-* codes of a handshake that got no TLS answer to judge trust by: nothing listens, the name does not
# resolve, no answer in time, the peer speaks another protocol, or the connection was cut before any certificate.
# Reachability, not trust: a report keeps them apart (`Report.unreachable`, its own verdict and exit code).
UNREACHED_CODES = frozenset({"host-unreachable", "host-timeout", "host-not-tls", "host-connection-reset"})


@record
class HostCheck:
    """One live handshake with the process's default context, and what explains its outcome.

    Attributes:
        target: As given on the command line; `host`, `port` and `server_name` as used.
        stage: Where it stopped: resolve, connect, proxy, handshake, after-handshake, done (or invalid).
        code: The `host-*` finding code that classifies a failure, decided by `_rules.handshakes` (None: succeeded).
        reason: OpenSSL's reason (e.g. `CERTIFICATE_VERIFY_FAILED`, `TLSV1_ALERT_UNKNOWN_CA`).
        chain: What the server presented, leaf first; `top_issuer` is the issuer the chain ends at.
        missing_issuer: The certificate the server should have sent, when the chain is incomplete.
        holders: Bundles on disk that hold `top_issuer` (or trust a certificate of the chain as its anchor), and
            whether the chain verifies against each.
        partial_anchor: The certificate a successful handshake's default context anchored the chain at when it is
            not a root: it verified only because the context sets VERIFY_X509_PARTIAL_CHAIN (Python 3.13+).
        strict_rejected: The certificate VERIFY_X509_STRICT rejected, when that is why verification failed (a
            certificate the server sent, or a root of a store in effect: then `top_issuer` names it and `holders`
            are the stores that supply it, `public_root` whether it is one of Mozilla's).
        public_root: Whether certifi (the public roots) holds the chain's root; None when unknown.
        clients: Whether each client of the examined Python would accept the chain, by its own store.

    """

    target: str
    host: str
    port: int
    server_name: str
    proxy: str | None
    ok: bool
    stage: str
    code: str | None
    error: str | None = None
    error_type: str | None = field(default=None, metadata=INTERNAL)  # the exception's class: a timeout, a reset
    reason: str | None = None
    verify_code: int | None = None
    verify_message: str | None = None
    protocol: str | None = None
    seconds: float | None = None
    chain: tuple[ChainCertificate, ...] = ()
    top_issuer: str | None = None
    missing_issuer: str | None = None
    holders: tuple[RootHolder, ...] = ()
    public_root: bool | None = None
    partial_anchor: str | None = None
    strict_rejected: str | None = None
    stores: tuple[StoreVerdict, ...] = field(default=(), metadata=INTERNAL)  # the chain against client stores
    # the default context's stores without any verification flag (a client's bare SSLContext over the same paths):
    # None where that is the handshake's own answer (no flag decided it)
    default_plain: bool | None = field(default=None, metadata=INTERNAL)
    stores_problem: str | None = field(default=None, metadata=INTERNAL)  # why they could not be checked
    clients: tuple[HostClient, ...] = ()

    @property
    def reached(self) -> bool:
        """Whether the peer answered in TLS far enough for its trust to be judged (a success, or a TLS failure)."""
        return self.code not in UNREACHED_CODES
