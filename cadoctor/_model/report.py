"""The outcome of a check: findings with their severity, fixes, each client's trust, and the report."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from cadoctor._model.document import INTERNAL
from cadoctor._model.facts import Bundle, Facts, Stack
from cadoctor._model.hosts import UNREACHED_CODES, HostCheck
from cadoctor._record import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


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
class Finding:
    """One observation about the trust path, with the evidence behind it."""

    code: str
    severity: Severity
    summary: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


@record
class ConfigEdit:
    """One key of a client's configuration file to set or remove: what a `config` fix changes.

    Attributes:
        file: The configuration file, as the client finds it.
        section: Its INI section (`default`, `profile NAME`, `global`).
        value: The new value; None removes the key.
        variable: The variable that points the client at a file of this kind (`AWS_CONFIG_FILE`,
            `PIP_CONFIG_FILE`): a trial gives it an edited copy, and never writes the file itself.
        triable: Whether a copy named by `variable` stands for the edited file (pip reads its global files
            whatever PIP_CONFIG_FILE names: a key removed from one of them cannot be tried so).
        first_bracket: Whether the client's Python ends a section header at its first `]` (before 3.10): the
            trial's copy and the printed line then find the section as that configparser does.

    """

    file: str
    section: str
    key: str
    value: str | None
    variable: str
    triable: bool = field(default=True, metadata=INTERNAL)
    first_bracket: bool = field(default=False, metadata=INTERNAL)


@record
class ClientTrial:
    """What one client a fix is for showed when the fix was tried through it.

    Attributes:
        client: The client's name, as the fix's `clients` names it.
        verified: True: with the fix applied it verified the host's chain (or its store held the roots it lacked);
            False: it still failed; None: it was not tried, or its answer proved nothing (`detail` says which).
        through: The library (and version) the request went through, or what stood in for the client: another
            client that makes the same call, the default context's handshake; None when nothing ran for it.
        detail: What it answered, or why it was not tried.
        absent: Its library does not even import in the examined interpreter: it is no client there, and the fix's
            verdict does not wait for it.

    """

    client: str
    verified: bool | None
    through: str | None
    detail: str
    absent: bool = False


@record
class Fix:
    """One safe change that should make the process trust the right roots.

    Attributes:
        kind: `env`, `config`, `code`, `library`, `command`, or `server` (the server's operator must change
            something).
        env: Variables to set (a value) or unset (None).
        edit: The configuration key a `config` fix sets or removes.
        lines: Ready-to-paste forms of the change (`shell`, `dockerfile`, `systemd`, `python`, ...).
        preload: Libraries to load with RTLD_GLOBAL before `import ssl` (library swaps).
        cafile, capath: Locations passed to `load_verify_locations` (code fixes).
        root: The file-system root a `command` acts inside (an image or chroot given by `--root`), its paths
            named as there; None: this host. Its lines then say how to run it there (`chroot`, a Dockerfile `RUN`).
        clients: The clients it is for; `guards`: clients that work now and read a setting it changes, so that
            its trial checks they keep working.
        verified: True when its trial showed it works for every client it is for (each by its own request or
            store) and broke none it touches; False when the trial showed it does not; None when it was not tried,
            or only partly (a client it is for could not be tried: `trials` says which).
        evidence: What the trial observed.
        trials: Each client it is for, with what its own trial showed (empty: no client of its own was asked).

    """

    kind: str
    summary: str
    addresses: tuple[str, ...]
    env: Mapping[str, str | None] | None = None
    edit: ConfigEdit | None = None
    lines: Mapping[str, str] = field(default_factory=dict)
    preload: tuple[str, ...] = ()
    cafile: str | None = None
    capath: str | None = None
    command: str | None = None
    root: str | None = None
    sample_source: str | None = field(default=None, metadata=INTERNAL)
    add_cafile: str | None = field(default=None, metadata=INTERNAL)  # loaded on top of the defaults (code fixes)
    trial_host: HostCheck | None = field(default=None, metadata=INTERNAL)  # verify with a real handshake to it
    clients: tuple[str, ...] = ()  # the clients it is for: each one's own store is checked in the trial
    guards: tuple[str, ...] = field(default=(), metadata=INTERNAL)  # clients that work and must keep working
    inject: str | None = field(default=None, metadata=INTERNAL)  # a module the code injects first (truststore)
    trial_samples: tuple[bytes, ...] = field(default=(), metadata=INTERNAL, compare=False)  # roots they must trust
    merge: tuple[str, ...] = field(default=(), metadata=INTERNAL)  # files the trial joins into the env's one path
    rehash: str | None = field(default=None, metadata=INTERNAL)  # the folder a trial replaces by a hashed copy
    verified: bool | None = None
    evidence: str | None = None
    trials: tuple[ClientTrial, ...] = ()

    @property
    def worked(self) -> bool:
        """Whether it may lead: its trial showed it works, or it is the server's change (nothing here to try)."""
        return self.verified is True or (self.kind == "server" and self.verified is None)

    @property
    def partly(self) -> bool:
        """Whether it was tried for some of its clients and shown to work for them, but not tried for the rest."""
        return self.verified is None and any(t.verified for t in self.trials)


@record
class ClientTrust:
    """What one client trusts: the kind of store, where it is, how many certificates it holds.

    Attributes:
        kind: `openssl-defaults`, `certifi`, `own-bundle`, `variable`, `truststore`, `compiled-in`, `system`,
            `missing`.
        source: What put it in effect: `default`, a variable's or setting's name, `switch`, an injector's `.pth`.
        effect: What a CA value makes the client do instead of verifying with a store: `raises`, `hangs`,
            `aborts`, `verification off`; `yields nothing` when the value it took holds no certificate. None when
            it verifies with its store.
        own_path: Its store is the file at `path`, judged on its own, although its kind is one the default
            context also reads (the OS store as uv or grpc read it, truststore's fallback file).
        decided: How its default store was decided, when its own resolver's source said it (`certifi:
            certifi/core.py where(): '/etc/ssl/certs/ca-certificates.crt'`); None: the rules table's model.

    """

    kind: str
    path: str | None
    certificates: int | None
    source: str
    also: tuple[str, ...] = ()  # files or folders loaded on top of it (pip adds the variable it reads)
    stand_in: str | None = field(default=None, metadata=INTERNAL)  # certifi: Mozilla's set, as compiled into uv
    effect: str | None = None
    own_path: bool = field(default=False, metadata=INTERNAL, compare=False)
    unchecked: tuple[str, ...] = field(default=(), metadata=INTERNAL, compare=False)  # read file by file (uv)
    decided: str | None = field(default=None, compare=False)


@record
class Client:
    """One TLS client of the examined interpreter, judged by its own rules.

    Attributes:
        family: The rule row that describes it (`requests`, `httpx`, `pip>=24.2`, ...).
        variables: The CA variables it honours, in precedence order.
        decided_in: The function in the library that makes the choice.
        notes: What else changes its trust here (an injector, a bad variable, a fallback).
        verdict: `ok`, or what is wrong with its store here, in a few words.
        effects: What it does with each CA variable or setting set here (`client_values` effects, or `not read`).
        decided_by: For a client where only the first source set counts, the one that did: a variable after it
            is never read, so no fix may lie there.

    """

    name: str
    version: str
    family: str
    trust: ClientTrust
    variables: tuple[str, ...]
    decided_in: str
    notes: tuple[str, ...] = ()
    verdict: str = "ok"
    effects: Mapping[str, str] = field(default_factory=dict, metadata=INTERNAL, compare=False)  # by value it reads
    decided_by: str | None = field(default=None, metadata=INTERNAL, compare=False)  # the source that won, if one


@record
class Report:
    """The outcome of one check: facts, findings and ranked fixes."""

    facts: Facts
    findings: tuple[Finding, ...]
    fixes: tuple[Fix, ...]
    clients: tuple[Client, ...] = ()
    stacks: tuple[Stack, ...] = ()  # the process's TLS stacks, each judged by its own rules

    @property
    def trust_findings(self) -> tuple[Finding, ...]:
        """The findings about trust: all but a host's that got no TLS answer (those are `unreachable`)."""
        return tuple(f for f in self.findings if f.code not in UNREACHED_CODES)

    @property
    def unreachable(self) -> tuple[HostCheck, ...]:
        """The hosts that gave no TLS answer to judge trust by: refused, unknown, silent, not TLS, cut off."""
        return tuple(host for host in self.facts.hosts if not host.reached)

    @property
    def status(self) -> str:
        """`ok`, `warning` or `error`: the trust verdict, from the worst trust finding at warning level or above."""
        worst = max((f.severity.rank for f in self.trust_findings), default=-1)
        return "error" if worst >= 2 else "warning" if worst == 1 else "ok"

    @property
    def counts(self) -> tuple[tuple[str, int], ...]:
        """Trust findings per severity, worst first (`error`, `warning`, `info`): what `status` is made of.

        Every format counts with this: the human summary line, Prometheus' `cadoctor_findings`, the plugin's
        perfdata. A host that gave no TLS answer is counted apart (`unreachable`).
        """
        severities = [f.severity.value for f in self.trust_findings]
        return tuple((name, severities.count(name)) for name in ("error", "warning", "info"))

    @property
    def stores_in_use(self) -> tuple[Bundle, ...]:
        """The CA files and folders the examined process trusts: its default context's, then each client's store."""
        runtime = self.facts.runtime
        paths = [runtime.cafile.path] if runtime.cafile is not None else []
        paths += [source.path for source in runtime.capaths]
        for client in self.clients:
            paths += [client.trust.path, *client.trust.also]
        found = (self.facts.bundle(path) for path in dict.fromkeys(path for path in paths if path))
        return tuple(bundle for bundle in found if bundle is not None)

    @property
    def roots_expire(self) -> int | None:
        """The earliest end of validity (Unix time) among the valid certificates of the stores in use.

        None when it is not known: a store in use was not read in full (a light inventory), or none holds a
        certificate valid now. Certificates already expired are not counted here (`bundle-expired-roots` is).
        """
        stores = self.stores_in_use
        if any(not bundle.parsed for bundle in stores):
            return None
        return min((bundle.expires for bundle in stores if bundle.expires is not None), default=None)

    @property
    def unworked(self) -> tuple[str, ...]:
        """The error codes no fix shown to work addresses (a server's change counts: nothing local can be tried)."""
        worked = {code for fix in self.fixes if fix.worked for code in fix.addresses}
        codes = (f.code for f in self.findings if f.severity is Severity.ERROR and f.code not in worked)
        return tuple(dict.fromkeys(codes))

    def fails(self, threshold: Severity | None) -> bool:
        """Whether any trust finding is at or above the threshold (None never fails)."""
        if threshold is None:
            return False
        return any(f.severity.rank >= threshold.rank for f in self.trust_findings)
