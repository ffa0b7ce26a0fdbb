"""The outcome of a check: findings with their severity, fixes, each client's trust, and the report."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from cadoctor._model.document import INTERNAL
from cadoctor._model.facts import Facts, Stack
from cadoctor._model.hosts import HostCheck
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
class Fix:
    """One safe change that should make the process trust the right roots.

    Attributes:
        kind: `env`, `code`, `library`, `command`, or `server` (the server's operator must change something).
        env: Variables to set (a value) or unset (None).
        lines: Ready-to-paste forms of the change (`shell`, `dockerfile`, `systemd`, `python`, ...).
        preload: Libraries to load with RTLD_GLOBAL before `import ssl` (library swaps).
        cafile, capath: Locations passed to `load_verify_locations` (code fixes).
        clients: The clients it is for; `guards`: clients that work now and read a setting it changes, so that
            its trial checks they keep working.
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
    sample_source: str | None = field(default=None, metadata=INTERNAL)
    add_cafile: str | None = field(default=None, metadata=INTERNAL)  # loaded on top of the defaults (code fixes)
    trial_host: HostCheck | None = field(default=None, metadata=INTERNAL)  # verify with a real handshake to it
    clients: tuple[str, ...] = ()  # the clients it is for: each one's own store is checked in the trial
    guards: tuple[str, ...] = field(default=(), metadata=INTERNAL)  # clients that work and must keep working
    inject: str | None = field(default=None, metadata=INTERNAL)  # a module the code injects first (truststore)
    trial_samples: tuple[bytes, ...] = field(default=(), metadata=INTERNAL, compare=False)  # roots they must trust
    merge: tuple[str, ...] = field(default=(), metadata=INTERNAL)  # files the trial joins into the env's one path
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
    stand_in: str | None = field(default=None, metadata=INTERNAL)  # certifi: Mozilla's set, as compiled into uv


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
