"""The facts a check's rules read: the runtime, its OpenSSL, the bundles on disk, the clients installed."""

from __future__ import annotations

from collections.abc import Mapping

from cadoctor._model.document import INTERNAL
from cadoctor._model.hosts import HostCheck
from cadoctor._record import field, record


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
        certificates: Certificates OpenSSL loads (a directory: hash links that reach their certificate).
        marked: Certificates a file carries, loaded or not (`BEGIN CERTIFICATE` blocks, DER between them), or a
            directory's hash links and unlinked certificate files.
        unparseable: Marked certificates OpenSSL does not load, with `problems` saying why, as OpenSSL drops them
            (a CA file with one bad block loads none; a hashed folder's file, those before it).
        crls: Certificate revocation lists OpenSSL loads from the file.
        read_by: The OpenSSL whose own reading of the file decided (it was not plain PEM); None: scanned.
        hash_links: `<hash>.<n>` entries of a directory; `hash_mismatches` of them name the wrong hash.
        unlinked: Single-certificate files of a directory that no hash link reaches (what `openssl rehash` would
            link; multi-certificate bundles in a directory are never looked up by hash and are not counted).
        expires: The earliest end of validity, in Unix time, among the certificates OpenSSL loads from it that are
            valid now (None: none is, or it was not read); not in the JSON (`Report.roots_expire` uses it).

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
    crls: int = 0
    read_by: str | None = None
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
    # the earliest end of validity (Unix time) of the certificates OpenSSL loads from it that are valid now
    expires: int | None = field(default=None, metadata=INTERNAL, compare=False)
    identities: frozenset[str] = field(default=frozenset(), metadata=INTERNAL, compare=False)
    samples: tuple[bytes, ...] = field(default=(), metadata=INTERNAL, compare=False)
    subjects: Mapping[str, bytes] = field(default_factory=dict, metadata=INTERNAL, compare=False)  # DER, by identity
    ders: Mapping[str, bytes] = field(default_factory=dict, metadata=INTERNAL, compare=False)  # the certificates
    # what it carries that OpenSSL does not load (a damaged file, a DER block): by identity, the DER
    dropped: Mapping[str, bytes] = field(default_factory=dict, metadata=INTERNAL, compare=False)

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
    same_bytes_as: str | None = field(default=None, metadata=INTERNAL)  # the loader's own copy, byte for byte


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
    consumer_version: int | None = None  # the consumer's major version when its files say it (libpq.so.5.17: 17)
    consumer_release: str | None = None  # its full version when its file holds it (node: 24.19.0)
    build_switches: tuple[str, ...] = ()  # switches its build turns on by default (node: --use-openssl-ca)
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
        certifi: The store this interpreter's `certifi.where()` names, what certifi-based clients trust here:
            the `cacert.pem` beside it upstream, the OS bundle in Debian's python3-certifi; when `where()`
            cannot be read, the `cacert.pem` beside it (None: no certifi). `certifi_decided` says how.
        certifi_mozilla: The copy of Mozilla's set that certifi ships, when its `where()` names it (upstream's;
            the path even when the file is gone) or cannot be read; None when `where()` names another store (then
            the file left beside it is no one's, and no yardstick).
        site_folders: Where its distributions live, in import order; `site_source` says how they were learnt:
            `sys.path` (the interpreter said so: this one, `--python`, a fresh copy of `--pid`'s) or `layout`
            (derived from its files: an image, or a process whose interpreter cannot be run here).

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
    certifi: str | None = None  # what its certifi's where() names (see certifi_decided), if it has certifi
    site_folders: tuple[str, ...] = ()  # where its distributions live (sys.path's folders, or its layout's)
    certifi_decided: str | None = None
    certifi_mozilla: str | None = None
    site_source: str = "sys.path"
    cwd: str | None = None  # the working directory a relative CA path is resolved against (None: not known)


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
        path: Its `.dist-info` or `.egg-info` (a folder, or a single file: `metadata` says which); `location`
            the site folder that holds it.
        bundle: The CA bundle it ships and may fall back to (botocore, grpcio, httplib2, pip), if present.
        problem: Why its metadata could not be read; name and version then come from the entry's name.
        store: The CA file (or folder) its own resolver names when no variable is set, read from the deciding
            source (`certifi/core.py where()`, `httplib2/certs.py where()`, ...): Debian's name the OS bundle.
        store_kind: `file` (`store` is that path), `openssl-defaults` (the resolver names none: the ssl
            module's default verify paths, as upstream urllib3) or `model` (not read or not certain: the rules
            table's model of the client applies).
        store_decided: How the store was decided, in words, or why the source could not tell.
        shadowed: Metadata of the same project later on the path: installed, but never imported while this is.

    """

    name: str
    version: str
    path: str
    location: str
    bundle: str | None = None
    problem: str | None = None
    store: str | None = None
    store_kind: str = "model"
    store_decided: str = ""
    metadata: str = "dist-info"
    shadowed: tuple[str, ...] = ()


@record
class Injector:
    """A `.pth` file that runs at every start of the interpreter and changes what every client trusts."""

    name: str
    path: str
    line: str


@record
class Setting:
    """A configuration file's say in a client's trust: pip's `cert`, botocore's `ca_bundle`, uv's switches.

    Attributes:
        client: The client that reads it.
        key: The key, as the rules name it.
        value: Its value as the client reads it ('' when set empty).
        source: The configuration file it is written in.
        section: The INI section it is written in, as the file spells it (`default`, `profile dev`, `global`,
            `DEFAULT` when every section inherits it); '' for a top-level TOML key. A fix edits that section.
        tool: The client's own program that edits this file, where the shell of whoever runs cadoctor finds it
            (the AWS CLI on its PATH: the one who pastes a fix's line runs it there), None when there is none.

    """

    client: str
    key: str
    value: str
    source: str
    section: str = ""
    tool: str | None = None


@record
class LocalRoot:
    """A root the system store holds that Mozilla's set (certifi) lacks: added by an administrator or a proxy."""

    subject: str
    found_in: tuple[str, ...]
    identity: str = field(default="", metadata=INTERNAL)
    der: bytes = field(default=b"", metadata=INTERNAL, compare=False)


@record
class AnchorTool:
    """A tool that builds the examined system's OS store from anchor files, as the system's own files show it.

    The system's own (its program's text, else os-release) comes first; another tool's is listed when the system
    carries its tree (anchor folder and bundle), as a copied or emulated RHEL tree on Debian does.

    Attributes:
        name: Its row of the store tools' rules (`_locations.STORE_TOOLS`: `debian`, `alpine`, `rhel`, ...).
        command: What rebuilds the store; `program`: where the tool is installed (None: it is not).
        decided_by: What told which tool applies: its program's own text, os-release, or its tree.
        bundle: The file it builds, whose content says whether a root is already in the store.

    """

    name: str
    command: str
    program: str | None
    decided_by: str
    bundle: str


@record
class Anchor:
    """A file the OS store's tool reads, or will never read, where roots are added: judged by that tool's rules.

    Attributes:
        path: The file, as the examined system names it; `folder`: the anchor folder it was found under.
        tool: The store tool whose rules judge it (its `AnchorTool.name`).
        form: `pem`, `der`, `trusted` (PEM with p11-kit's trust flags), `none` (no certificate), `unreadable`.
        certificates: The certificates it holds as the tool reads them; `subjects`: their names.
        taken: Whether the tool takes it, and OpenSSL then finds its certificates in the store it builds.
        reason: Why not, or not wholly: `name`, `hidden`, `sub-folder`, `der`, `several` (no hash link),
            `no-certificate`, `not-regular`, `not-ca`, `blocklisted`, `unselected`, `not-anchor`.
        in_store: Whether the bundle the tool builds holds every certificate of it now (None: unknown).
        problem: Why cadoctor could not read it (then `form` is `unreadable`).
        private_key: It holds a private key, which a copying tool puts into the world-readable bundle.

    """

    path: str
    folder: str
    tool: str
    form: str
    certificates: int
    subjects: tuple[str, ...]
    taken: bool
    reason: str | None = None
    in_store: bool | None = None
    problem: str | None = None
    private_key: bool = False
    identities: frozenset[str] = field(default=frozenset(), metadata=INTERNAL, compare=False)
    ders: tuple[bytes, ...] = field(default=(), metadata=INTERNAL, compare=False)


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
    anchor_tools: tuple[AnchorTool, ...] = ()  # the tools that build the OS store from anchor files: the system's first
    anchors: tuple[Anchor, ...] = ()  # the files they read (or never will) where roots are added
    settings: tuple[Setting, ...] = ()
    mozilla: str | None = None  # a certifi bundle: Mozilla's set, standing in for roots compiled into a binary
    stacks: tuple[Stack, ...] = ()  # every TLS implementation a process carries (--pid), and who uses each
    extension_modules: tuple[str, ...] = field(default=(), metadata=INTERNAL)  # what a --pid Python imported
    other_pythons: tuple[str, ...] = field(default=(), metadata=INTERNAL)  # an image's other interpreters and venvs

    def bundle(self, path: str | None) -> Bundle | None:
        """Find the inventory entry of a path."""
        return next((b for b in self.bundles if b.path == path), None)

    @property
    def ssl_library(self) -> LoadedLibrary | None:
        """The OpenSSL whose code the `ssl` module runs."""
        return next((lib for lib in self.libraries if lib.in_use), None)
