"""The report's vocabulary: plain frozen records that serialise to the versioned JSON schema."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from cadoctor._record import field, fields, is_record, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCHEMA_VERSION = 1
_INTERNAL = {"internal": True}


class Severity(str, enum.Enum):
    """How much a finding matters; ordered so that comparisons mean 'at least as bad'."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """Order severities for --fail-on."""
        return ("info", "warning", "error").index(self.value)


@record
class Exposure:
    """A reason someone other than the owner could change a trust source.

    Attributes:
        path: The file or directory (the source itself or one of its parents).
        uid: Its owner.
        mode: Its permission bits.
        reason: What lets others write it, in words.

    """

    path: str
    uid: int
    mode: int
    reason: str


@record
class Bundle:
    """What one CA file or directory on disk really holds.

    Attributes:
        path: The path as named by its source.
        roles: Why it is a candidate (`env:SSL_CERT_FILE`, `compiled-cafile`, `certifi`, `system`, ...).
        kind: `file`, `directory`, or `other` (missing, FIFO, device, unreadable).
        file_type: `regular`, `directory`, `missing`, `fifo`, `char-device`, `symlink-loop`, ...
        error: Why it could not be read, if it could not.
        certificates: Certificates that parse.
        marked: `BEGIN CERTIFICATE` blocks (files) or certificate files (directories).
        unparseable: Blocks that are marked but do not parse, with `problems` saying why.
        hash_links: `<hash>.<n>` entries of a directory; `hash_mismatches` of them name the wrong hash.
        unlinked: Single-certificate files of a directory that no hash link reaches (what `openssl rehash` would
            link; multi-certificate bundles in a directory are never looked up by hash and are not counted).

    """

    path: str
    roles: tuple[str, ...]
    kind: str
    file_type: str
    error: str | None = None
    realpath: str | None = None
    size: int | None = None
    uid: int | None = None
    gid: int | None = None
    mode: int | None = None
    certificates: int = 0
    marked: int = 0
    unparseable: int = 0
    problems: tuple[str, ...] = ()
    der: bool = False
    truncated: bool = False
    expired: int = 0
    not_yet_valid: int = 0
    duplicates: int = 0
    strict_violations: int = 0
    nonpositive_serials: int = 0
    hash_links: int = 0
    hash_mismatches: int = 0
    unlinked: int = 0
    exposures: tuple[Exposure, ...] = ()
    parsed: bool = True  # False in a light inventory: file facts and hash-link names only, no certificate read
    identities: frozenset[str] = field(default=frozenset(), metadata=_INTERNAL, compare=False)
    samples: tuple[bytes, ...] = field(default=(), metadata=_INTERNAL, compare=False)
    subjects: Mapping[str, bytes] = field(default_factory=dict, metadata=_INTERNAL, compare=False)  # DER, by identity
    ders: Mapping[str, bytes] = field(default_factory=dict, metadata=_INTERNAL, compare=False)  # the certificates

    @property
    def mostly_stale(self) -> bool:
        """At least half of the certificates are expired or not yet valid: old OpenSSL or not, this bites."""
        return (self.expired + self.not_yet_valid) * 2 >= max(self.certificates, 1)

    @property
    def usable(self) -> bool:
        """True when OpenSSL would find certificates here."""
        if self.kind == "file":
            return self.certificates > 0
        return self.kind == "directory" and self.working_links > 0

    @property
    def working_links(self) -> int:
        """Hash links whose name matches their certificate's subject hash: what OpenSSL can find."""
        return self.hash_links - self.hash_mismatches


@record
class LoadedLibrary:
    """A libcrypto or libssl mapped into the process (or OpenSSL linked statically into `_ssl`).

    Attributes:
        in_use: This is the copy whose code the `ssl` module runs.
        deleted: Unlinked on disk after it was mapped; `replaced`: a different file now has its path.
        openssldir_exists: Whether the compiled OPENSSLDIR is a directory on this host.

    """

    path: str
    realpath: str
    role: str
    in_use: bool
    deleted: bool
    replaced: bool
    flavour: str | None
    version: str | None
    openssldir: str | None
    enginesdir: str | None
    modulesdir: str | None
    openssldir_exists: bool | None = None
    same_bytes_as: str | None = field(default=None, metadata=_INTERNAL)  # the loader's own copy, byte for byte


@record
class Stack:
    """A TLS implementation in the examined process, and the part of the program that verifies with it.

    Attributes:
        consumer: Who verifies with it, by the stack rules' names (`node`, `python-ssl`, `libpq`, `librdkafka`,
            `grpc-core`, `curl`, `libcurl`, `mysql`, `cryptography`, `gnutls`, `nss`, `jsse`), or `program`.
        implementation: `OpenSSL`, `BoringSSL`, `LibreSSL`, `AWS-LC`, `GnuTLS`, `NSS` or `JSSE`.
        path: The file that carries it: a libcrypto, or the object OpenSSL is linked into.
        library: For an OpenSSL-family copy, the path of its `libraries[]` entry.

    """

    consumer: str
    implementation: str
    path: str
    version: str | None = None
    library: str | None = None
    consumer_version: int | None = None  # the consumer's major version when its file names it (libpq.so.5.17: 17)
    store: str = ""  # what it trusts, by its own rules (filled in by the rules)
    reads_default_paths: bool | None = None  # whether its OpenSSL's default paths count here (None: not OpenSSL)


@record
class SystemLibrary:
    """A libcrypto/libssl the dynamic loader picks when no override is set (from its cache)."""

    soname: str
    path: str
    openssldir: str | None
    openssldir_exists: bool | None


@record
class TrustSource:
    """A CA file or directory a default context reads, and where that choice came from."""

    path: str | None
    source: str


@record
class Runtime:
    """The interpreter and its `ssl` module, as the runtime probe saw them.

    Attributes:
        hints: Distribution markers (venv, conda, frozen, nix, pyenv, python-build-standalone, ...).
        compiled_cafile, compiled_capath: `_ssl.get_default_verify_paths()` before Python hides missing paths.
        context_ok: Whether creating a default context worked; None when it was not attempted (`context_skipped`).
        context_loaded: Certificates a fresh default context holds (directories load lazily and count 0).

    """

    python_version: str
    implementation: str
    executable: str
    prefix: str
    base_prefix: str
    hints: tuple[str, ...]
    system: str
    os_release: Mapping[str, str]
    euid: int | None
    ssl_available: bool
    ssl_error: str | None
    openssl_version: str | None
    openssl_version_info: tuple[int, ...]
    ssl_module_file: str | None
    cafile_env: str | None
    capath_env: str | None
    compiled_cafile: str | None
    compiled_capath: str | None
    cafile: TrustSource | None
    capaths: tuple[TrustSource, ...]
    context_ok: bool | None
    context_error: str | None
    context_skipped: str | None
    context_loaded: int
    libraries_available: bool
    libraries_reason: str | None
    environment: Mapping[str, str]
    certifi: str | None = None  # the bundle of this interpreter's certifi, if it has one
    site_folders: tuple[str, ...] = ()  # where its distributions live (sys.path's folders, or its layout's)


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
    der: bytes = field(default=b"", metadata=_INTERNAL, compare=False)


@record
class RootHolder:
    """A bundle on disk that holds the issuer a server's chain ends at.

    Attributes:
        verifies: Whether the presented chain verifies against this bundle alone, offline (None: not tried).
        reason: Why it does not verify, when it does not.

    """

    path: str
    roles: tuple[str, ...]
    verifies: bool | None
    reason: str | None = None


@record
class StoreVerdict:
    """Whether the chain a server sent verifies against one CA file (OpenSSL's verifier), and why not."""

    path: str
    ok: bool
    reason: str | None = None


@record
class HostClient:
    """Whether one client of the examined Python would accept a host's chain, by its own store."""

    name: str
    ok: bool | None
    reason: str | None = None


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
        holders: Bundles on disk that hold `top_issuer`, and whether the chain verifies against each.
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
    error_type: str | None = field(default=None, metadata=_INTERNAL)  # the exception's class: a timeout, a reset
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
    stores: tuple[StoreVerdict, ...] = field(default=(), metadata=_INTERNAL)  # the chain against client stores
    stores_problem: str | None = field(default=None, metadata=_INTERNAL)  # why they could not be checked
    clients: tuple[HostClient, ...] = ()


@record
class Subject:
    """What was examined when it is not the interpreter running cadoctor.

    Attributes:
        kind: `interpreter` (`--python`), `process` (`--pid`) or `root` (`--root`).
        python: Whether it is a Python interpreter (False for curl, nginx, node...; None when unknown).
        root: The file system its paths were resolved in, when it is not this host's (an image, a container).
        observed: How the trust path was learnt: `runtime` (asked the running interpreter) or `files` (read
            from maps, environment and files only: a default context was not made, so its load count is unknown).

    """

    kind: str
    executable: str | None
    python: bool | None
    observed: str
    pid: int | None = None
    user: str | None = None
    uid: int | None = None
    command: tuple[str, ...] = ()
    root: str | None = None


@record
class Distribution:
    """A TLS client (or injector) installed in the examined interpreter, read from its metadata files.

    Attributes:
        name: The normalised project name (`requests`, `pip-system-certs`).
        path: Its `.dist-info` folder; `location` the site folder that holds it.
        bundle: The CA bundle it ships and may fall back to (botocore, grpcio, httplib2), if present.
        problem: Why its metadata could not be read; name and version then come from the folder's name.

    """

    name: str
    version: str
    path: str
    location: str
    bundle: str | None = None
    problem: str | None = None


@record
class Injector:
    """A `.pth` file that runs at every start of the interpreter and changes what every client trusts."""

    name: str
    path: str
    line: str


@record
class Setting:
    """A configuration file's say in a client's trust: pip's `cert`, botocore's `ca_bundle`, uv's switches."""

    client: str
    key: str
    value: str
    source: str


@record
class LocalRoot:
    """A root the system store holds that Mozilla's set (certifi) lacks: added by an administrator or a proxy."""

    subject: str
    found_in: tuple[str, ...]
    identity: str = field(default="", metadata=_INTERNAL)
    der: bytes = field(default=b"", metadata=_INTERNAL, compare=False)


@record
class Facts:
    """Everything the rules look at: the runtime, its libraries, the bundles on disk, live handshakes."""

    runtime: Runtime
    libraries: tuple[LoadedLibrary, ...]
    system_libraries: tuple[SystemLibrary, ...]
    bundles: tuple[Bundle, ...]
    hosts: tuple[HostCheck, ...] = ()
    inventory: str = "full"  # "light": only the sources in effect, unparsed (every --host handshake succeeded);
    # "host": a --host handshake failed, and only what its answer needs was read in full
    subject: Subject | None = None  # None: this very interpreter
    distributions: tuple[Distribution, ...] = ()
    injectors: tuple[Injector, ...] = ()
    local_roots: tuple[LocalRoot, ...] = ()
    settings: tuple[Setting, ...] = ()
    mozilla: str | None = None  # a certifi bundle: Mozilla's set, standing in for roots compiled into a binary
    stacks: tuple[Stack, ...] = ()  # every TLS implementation a process carries (--pid), and who uses each
    extension_modules: tuple[str, ...] = field(default=(), metadata=_INTERNAL)  # what a --pid Python imported

    def bundle(self, path: str | None) -> Bundle | None:
        """Find the inventory entry of a path."""
        return next((b for b in self.bundles if b.path == path), None)

    @property
    def ssl_library(self) -> LoadedLibrary | None:
        """The OpenSSL whose code the `ssl` module runs."""
        return next((lib for lib in self.libraries if lib.in_use), None)


@record
class Finding:
    """One observation about the trust path, with the evidence behind it."""

    code: str
    severity: Severity
    summary: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


@record
class Fix:
    """One safe change that should make the process trust the right roots.

    Attributes:
        kind: `env`, `code`, `library`, `command`, or `server` (the server's operator must change something).
        env: Variables to set (a value) or unset (None).
        lines: Ready-to-paste forms of the change (`shell`, `dockerfile`, `systemd`, `python`, ...).
        preload: Libraries to load with RTLD_GLOBAL before `import ssl` (library swaps).
        cafile, capath: Locations passed to `load_verify_locations` (code fixes).
        verified: True or False once tried in a fresh child interpreter; None when it cannot be tried here.
        evidence: What the trial observed.

    """

    kind: str
    summary: str
    addresses: tuple[str, ...]
    env: Mapping[str, str | None] | None = None
    lines: Mapping[str, str] = field(default_factory=dict)
    preload: tuple[str, ...] = ()
    cafile: str | None = None
    capath: str | None = None
    command: str | None = None
    sample_source: str | None = field(default=None, metadata=_INTERNAL)
    add_cafile: str | None = field(default=None, metadata=_INTERNAL)  # loaded on top of the defaults (code fixes)
    trial_host: HostCheck | None = field(default=None, metadata=_INTERNAL)  # verify with a real handshake to it
    clients: tuple[str, ...] = ()  # the clients it is for: each one's own store is checked in the trial
    inject: str | None = field(default=None, metadata=_INTERNAL)  # a module the code injects first (truststore)
    trial_samples: tuple[bytes, ...] = field(default=(), metadata=_INTERNAL, compare=False)  # roots they must trust
    merge: tuple[str, ...] = field(default=(), metadata=_INTERNAL)  # files the trial joins into the env's one path
    verified: bool | None = None
    evidence: str | None = None


@record
class ClientTrust:
    """What one client trusts: the kind of store, where it is, how many certificates it holds.

    Attributes:
        kind: `openssl-defaults`, `certifi`, `own-bundle`, `variable`, `truststore`, `compiled-in`, `missing`.
        source: What put it in effect: `default`, a variable's name, an injector's `.pth`.

    """

    kind: str
    path: str | None
    certificates: int | None
    source: str
    also: tuple[str, ...] = ()  # files or folders loaded on top of it (pip adds every variable it reads)
    stand_in: str | None = field(default=None, metadata=_INTERNAL)  # certifi: Mozilla's set, as compiled into uv


@record
class Client:
    """One TLS client of the examined interpreter, judged by its own rules.

    Attributes:
        family: The rule row that describes it (`requests`, `httpx`, `pip>=24.2`, ...).
        variables: The CA variables it honours, in precedence order.
        decided_in: The function in the library that makes the choice.
        notes: What else changes its trust here (an injector, a bad variable, a fallback).
        verdict: `ok`, or what is wrong with its store here, in a few words.

    """

    name: str
    version: str
    family: str
    trust: ClientTrust
    variables: tuple[str, ...]
    decided_in: str
    notes: tuple[str, ...] = ()
    verdict: str = "ok"


@record
class Report:
    """The outcome of one check: facts, findings and ranked fixes."""

    facts: Facts
    findings: tuple[Finding, ...]
    fixes: tuple[Fix, ...]
    clients: tuple[Client, ...] = ()
    stacks: tuple[Stack, ...] = ()  # the process's TLS stacks, each judged by its own rules

    @property
    def status(self) -> str:
        """`ok`, `warning` or `error`: the worst finding at warning level or above."""
        worst = max((f.severity.rank for f in self.findings), default=-1)
        return "error" if worst >= 2 else "warning" if worst == 1 else "ok"

    def fails(self, threshold: Severity | None) -> bool:
        """Whether any finding is at or above the threshold (None never fails)."""
        if threshold is None:
            return False
        return any(f.severity.rank >= threshold.rank for f in self.findings)


_SCALARS = frozenset((str, int, float, bool, type(None)))


_PUBLIC: dict[type, tuple[str, ...]] = {}  # a record class -> its fields that JSON shows (`ps` turns thousands)


def plain(value: Any) -> Any:
    """Turn model objects into JSON-able values, leaving internal fields out."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    names = _PUBLIC.get(kind)
    if names is None and is_record(value):
        names = _PUBLIC[kind] = tuple(f.name for f in fields(value) if not f.metadata.get("internal"))
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def facts_to_json(facts: Facts) -> dict[str, Any]:
    """Serialise facts (for recorded-facts fixtures)."""
    return {
        "runtime": plain(facts.runtime),
        "libraries": plain(facts.libraries),
        "system_libraries": plain(facts.system_libraries),
        "bundles": plain(facts.bundles),
    }


def facts_from_json(data: dict[str, Any]) -> Facts:
    """Read facts recorded on another platform, for the pure rules."""
    rt = dict(data["runtime"])
    rt["hints"] = tuple(rt["hints"])
    rt["openssl_version_info"] = tuple(rt["openssl_version_info"])
    rt["cafile"] = TrustSource(**rt["cafile"]) if rt.get("cafile") else None
    rt["capaths"] = tuple(TrustSource(**c) for c in rt["capaths"])
    bundles: list[Bundle] = []
    for b in data["bundles"]:
        entry = dict(b)
        entry["roles"] = tuple(entry["roles"])
        entry["problems"] = tuple(entry.get("problems", ()))
        entry["exposures"] = tuple(Exposure(**e) for e in entry.get("exposures", ()))
        entry["identities"] = frozenset(entry.get("identities", ()))
        entry.pop("samples", None)
        bundles.append(Bundle(**entry))
    return Facts(
        runtime=Runtime(**rt),
        libraries=tuple(LoadedLibrary(**lib) for lib in data["libraries"]),
        system_libraries=tuple(SystemLibrary(**lib) for lib in data.get("system_libraries", [])),
        bundles=tuple(bundles),
    )
