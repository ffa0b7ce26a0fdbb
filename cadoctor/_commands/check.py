"""`check`: open the subject, handshake, read its facts, diagnose, propose, verify; the report."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence

from cadoctor._errors import ClientCertificateError
from cadoctor._facts import memo
from cadoctor._facts.certs.stores import loadable
from cadoctor._facts.child.ssl_module import context_facts, default_context_obstacle
from cadoctor._facts.subjects import Examinee, facts_of, open_subject, tried_in
from cadoctor._facts.tls.analysis import analyse, sought_issuers
from cadoctor._facts.tls.handshake import (
    DEFAULT_TIMEOUT,
    complete_chain,
    default_context,
    handshake,
    handshake_from,
)
from cadoctor._model import Facts, Finding, Fix, HostCheck, Report, Severity
from cadoctor._record import record, replace
from cadoctor._rules.client_table import RULES
from cadoctor._rules.clients import host_verdicts, own_stores
from cadoctor._rules.clients import judge as judge_clients
from cadoctor._rules.handshakes import classified
from cadoctor._rules.stacks import about_default_paths, judge_stacks
from cadoctor._rules.trust import diagnose

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from typing import Any

    from cadoctor._facts.tls.handshake import Handshake
    from cadoctor._fixes.library_trials import Identity

# The distributions discovery looks for: every client the rules describe, the injectors they judge (truststore,
# pip-system-certs) and certifi, which the report lists beside them. The facts never read a rule: named here.
CLIENTS = frozenset({rule.distribution for rule in RULES} | {"truststore", "pip-system-certs", "certifi"})


@record
class Trying:
    """How a check tries its fixes: whether at all, whether kept answers may serve, what its requests present.

    `identity` is the client certificate `--client-cert` names (and its key): a host that requires one refuses every
    trial's request without it, whatever the fix does for trust.
    """

    verify: bool
    cache: bool = True
    identity: Identity | None = None


def _client_stores(facts: Facts) -> list[str]:
    """The stores the clients of the examined Python use besides the OS store: each host's chain is checked there."""
    return loadable(own_stores(judge_clients(facts)))


def _strict(facts: Facts) -> bool:
    """Whether the examined Python verifies strictly by default (3.13 and later: X509_STRICT, PARTIAL_CHAIN)."""
    parts = facts.runtime.python_version.split(".")[:2]
    return len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit() and (int(parts[0]), int(parts[1])) >= (3, 13)


def _focus(facts: Facts, findings: tuple[Finding, ...]) -> frozenset[str]:
    """What a check with hosts must answer: the hosts' findings, and, when one failed, its default context's trust."""
    failed = not all(host.ok for host in facts.hosts)
    return frozenset(f.code for f in findings if f.code.startswith("host-") or (failed and about_default_paths(f)))


_TRIED = {True: 0, None: 1, False: 2}  # shown to work, not tried (or only partly), shown not to work
# Findings whose fix comes before any other at their severity: a value that turns verification off makes any
# server trusted, which is worse than a server that cannot be reached.
URGENT = frozenset({"verification-disabled"})


def ranked(fixes: tuple[Fix, ...], findings: tuple[Finding, ...]) -> tuple[Fix, ...]:
    """Fixes in the order to apply them: what was shown to work, then what was not tried, then what did not work.

    Only a fix that worked may lead. A server's fix counts with them: nothing local can be tried for what the
    server sends, and it is labelled as the server's. Within each group the worst finding's fixes come first (a
    value that turns verification off before any other error); then the fix for more of the findings (a repair
    of the cause that also lets the host verify, before a way around it: rehashing the folder, before pointing
    clients at a joined file); then the smallest kind of change (env, code, library, command, server); then the
    fix for more of the clients that fail; then the fewest settings (a file that exists before one the fix must
    join first).
    """
    if not fixes:
        return fixes
    from cadoctor._fixes.propose import KIND_RANK

    severity: dict[str, int] = {}
    for finding in findings:
        severity[finding.code] = max(severity.get(finding.code, 0), finding.severity.rank)

    def rank(fix: Fix) -> tuple[int, int, bool, int, int, int, int]:
        """Where one fix goes."""
        worst = max((severity.get(code, 0) for code in fix.addresses), default=0)
        urgent = any(code in URGENT and severity.get(code) == worst for code in fix.addresses)
        size = len(fix.env or {}) + len(fix.merge)
        tried = 0 if fix.kind == "server" and fix.verified is None else _TRIED[fix.verified]
        covered = len(set(fix.addresses) & set(severity))
        return tried, -worst, not urgent, -covered, KIND_RANK[fix.kind], -len(fix.clients), size

    return tuple(sorted(fixes, key=rank))


def report_for(
    facts: Facts,
    *,
    verify: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    executable: str | None = None,
    environment: Mapping[str, str] | None = None,
    cache: bool = True,
    identity: Identity | None = None,
) -> Report:
    """Diagnose collected facts and try the fixes in fresh children of `executable` (by default this one).

    The children get `environment` (by default this one's) with each fix applied; their requests to a host present
    `identity` (a client certificate and its key). A subject that cannot be tried here (a non-Python program,
    another user's or another root's interpreter) keeps every fix untried, with the reason; fixes only Python can
    apply are not offered to a program that is not Python.
    """
    facts = classified(facts)  # each handshake's host-* code is a rule's judgement of the raw facts
    findings = diagnose(facts)
    trying = Trying(verify=verify, cache=cache, identity=identity)
    fixes: tuple[Fix, ...] = ()  # no finding: the fixes' modules stay unloaded
    if findings:
        fixes = _fixes_for(facts, findings, trying, executable or sys.executable, environment, timeout)
    clients = judge_clients(facts)
    hosts = tuple(replace(host, clients=host_verdicts(host, clients)) for host in facts.hosts)
    return Report(
        facts=replace(facts, hosts=hosts),
        findings=findings,
        fixes=ranked(fixes, findings),
        clients=clients,
        stacks=judge_stacks(facts),
    )


def _fixes_for(
    facts: Facts,
    findings: tuple[Finding, ...],
    trying: Trying,
    executable: str,
    environment: Mapping[str, str] | None,
    timeout: float,
) -> tuple[Fix, ...]:
    """The fixes for `findings`, tried as `trying` says in children of `executable` (with `environment`).

    A subject that cannot be tried here keeps every fix untried, with the reason; fixes only Python can apply are
    not offered to a program that is not Python.
    """
    from cadoctor._fixes.propose import propose
    from cadoctor._fixes.verify import trial_obstacle
    from cadoctor._fixes.verify import verify as run_trials

    fixes = propose(facts, findings)
    if facts.subject is not None and facts.subject.python is False:
        fixes = tuple(f for f in fixes if f.kind != "code" and not f.preload)
    if not trying.verify:
        return fixes
    obstacle = trial_obstacle(facts)
    if obstacle is not None:
        return tuple(f if f.kind in ("command", "server") else replace(f, evidence=obstacle) for f in fixes)
    focus = _focus(facts, findings) if facts.hosts else None
    return run_trials(
        fixes,
        facts,
        executable=executable,
        environment=environment,
        host_timeout=timeout,
        focus=focus,
        cache=trying.cache,
        identity=trying.identity,
    )


def _default_context(identity: Identity | None) -> tuple[ssl.SSLContext | str, dict[str, Any]]:
    """The context handshakes use (presenting `identity`) and what it loaded; or why none can be made, as text."""
    obstacle = default_context_obstacle()  # a user's ssl.py is never imported, a FIFO never read
    if obstacle is not None:
        return obstacle, {}
    try:
        context = default_context(*identity) if identity else default_context()
    except ClientCertificateError:
        raise
    except Exception as exc:  # what the probe reports as context_error, seen from the handshake's side
        return "the default context cannot be made: %s: %s" % (type(exc).__name__, exc), {}
    return context, context_facts(context)


def _client_identity(client_cert: str | None, client_key: str | None) -> Identity | None:
    """The client certificate (and key) the handshakes and the trials present, as absolute paths, once loaded here.

    Loading it here first makes a file that cannot be loaded a usage error (`ClientCertificateError`) before any
    handshake, and before another interpreter is started; the trials' children, whose working folder is the
    examined process's, read it by its absolute path.
    """
    if not client_cert:
        return None
    default_context(client_cert, client_key)
    return os.path.abspath(client_cert), os.path.abspath(client_key) if client_key else None


def _succeeded(item: Handshake | HostCheck) -> bool:
    """Whether a handshake went through."""
    return not isinstance(item, HostCheck) and bool(item.outcome.get("ok"))


def _shake_all(
    hosts: Sequence[str], context: ssl.SSLContext | str, timeout: float, meanwhile: Callable[[], None]
) -> list[Handshake | HostCheck]:
    """Handshake with every host, several at once; a single host's wait for late alerts runs `meanwhile`."""
    if len(hosts) == 1:
        return [handshake(hosts[0], context, timeout, meanwhile)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(8, len(hosts))) as pool:
        return list(pool.map(lambda target: handshake(target, context, timeout), hosts))


def check(
    *,
    verify: bool = True,
    hosts: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    client_cert: str | None = None,
    client_key: str | None = None,
    python: str | None = None,
    pid: int | None = None,
    root: str | None = None,
    image_env: Mapping[str, str] | None = None,
    cache: bool = True,
) -> Report:
    """Examine the trust path of the running interpreter (and live handshakes to `hosts`) and return the report.

    With `python`, examine that interpreter instead: the probe runs there, the rules here, and fixes are tried
    in fresh children of it (raises `InterpreterError` when it cannot be probed); with `hosts`, that interpreter
    makes the handshakes.

    With `pid`, examine that running process from outside (Linux): its maps, environment and files, read in
    its own root; fixes are tried in a fresh copy of its interpreter only when it is a Python of this user in
    this root (raises `ProcessError` when it cannot be read).

    With `root`, examine an unpacked image or chroot from its files alone (raises `RootError` when it is not a
    readable directory, or `python` names no file in it); nothing in it is run, so no fix is tried. `python` with
    `root` is an interpreter inside the image (a venv's, `/opt/venv/bin/python`), read like the rest;
    `image_env` is the environment the image's programs start with (its config's or Dockerfile's `ENV`): its
    PATH chooses the interpreter, its CA variables are judged as a process's are.

    `cache`: a fix's trial (which store each client library resolves with it, or, with a host, whether each
    client's request succeeds) may be answered by what an earlier check's trial showed, when nothing that trial
    followed from has changed (`_fixes/kept_trials.py` for a host's); False tries it anew.

    With hosts, the handshakes come first, with one default context whose load counts serve the probe too; with
    a single host, the probe and the light look run while the handshake waits for a late alert. When every
    handshake succeeds and a light look at the sources in effect finds nothing at warning level, that light
    report is the answer; a warning brings the whole disk's inventory. A failed handshake reads in full only
    what its answer needs: where the issuer its chain ends at is kept, and what CA variables name.
    """
    with memo.CheckScope(cache):  # a long-lived caller holds none of the decoded bundles between checks
        inside = python if root is not None else None  # with root: an interpreter inside the image
        python = None if root is not None else python
        if sum(subject is not None for subject in (python, pid, root)) > 1:
            raise ValueError("python, pid and root name different subjects: choose one")
        if (pid is not None or root is not None) and hosts:
            raise ValueError("hosts cannot be combined with --pid or --root: the handshake would come from this one")
        identity = _client_identity(client_cert, client_key) if hosts else None
        trying = Trying(verify=verify, cache=cache, identity=identity)
        if hosts and python is None:
            return _check_here(hosts, trying, timeout)
        examinee = open_subject(python=python, pid=pid, root=root, inside=inside, image_env=image_env)
        shaken: list[Handshake | HostCheck] = []
        if python is not None and hosts:  # made by that interpreter, checked here against its clients' stores
            shaken = [complete_chain(handshake_from(target, python, timeout, identity), timeout) for target in hosts]
        facts = facts_of(examinee, clients=CLIENTS, names=_sought(shaken))
        if shaken:
            facts = _analysed(facts, shaken, _client_stores(facts))
        report = _report(examinee, facts, trying, timeout)
        if root is not None:  # an image's venvs, examined with it when nothing named one interpreter
            from cadoctor._commands.image import with_venvs

            def report_of(venv: Examinee) -> Report:
                return _report(venv, facts_of(venv, clients=CLIENTS), trying, timeout)

            report = with_venvs(examinee, report, report_of, ranked)
        return report


def _check_here(hosts: Sequence[str], trying: Trying, timeout: float) -> Report:
    """The interpreter running cadoctor, with hosts: handshakes first, with one default context the probe reuses.

    The probe and the light look run while a single host's handshake waits for a late alert. When every
    handshake succeeds and the light report finds nothing at warning level, it is the answer; otherwise the
    disk is read as the handshakes' answer needs.
    """
    context, loaded = _default_context(trying.identity)
    opened: list[Examinee] = []
    looked: list[Facts] = []

    def look() -> None:
        """Probe the process and take the light look: what a successful handshake needs, done while it lingers."""
        if not opened:
            opened.append(open_subject(default_context=loaded or None))
        looked.append(facts_of(opened[0], clients=CLIENTS, light=True))

    shaken = _shake_all(hosts, context, timeout, look)
    if all(_succeeded(item) for item in shaken):
        if not looked:
            look()
        stores, shaken = _chains_for(looked[0], shaken, timeout)
        report = _report(opened[0], _analysed(looked[0], shaken, stores), trying, timeout)
        if not report.fails(Severity.WARNING):
            return report
    if not opened:
        opened.append(open_subject(default_context=loaded or None))
    facts = facts_of(opened[0], clients=CLIENTS, names=_sought(shaken))
    stores, shaken = _chains_for(facts, shaken, timeout)
    return _report(opened[0], _analysed(facts, shaken, stores), trying, timeout)


def _sought(shaken: Sequence[Handshake | HostCheck]) -> frozenset[bytes] | None:
    """The issuers a failed handshake's chain needs, for a look at the disk that reads only them; None: read it all."""
    return None if all(_succeeded(item) for item in shaken) else sought_issuers(shaken)


def _chains_for(
    facts: Facts, shaken: list[Handshake | HostCheck], timeout: float
) -> tuple[list[str], list[Handshake | HostCheck]]:
    """The stores of the examined Python's clients, and the handshakes with the whole chain where one will check it."""
    stores = _client_stores(facts)
    return stores, [complete_chain(item, timeout) for item in shaken] if stores else shaken


def _analysed(facts: Facts, shaken: Sequence[Handshake | HostCheck], stores: list[str]) -> Facts:
    """The facts with each handshake analysed: classified, its root attributed on disk, checked against `stores`.

    A light look read no certificate: no bundle of it holds an issuer, but its sources in effect are named.
    """
    return replace(
        facts, hosts=tuple(analyse(item, facts.bundles, stores, facts.mozilla, _strict(facts)) for item in shaken)
    )


def _report(examinee: Examinee, facts: Facts, trying: Trying, timeout: float) -> Report:
    """The report on a subject's facts, its fixes tried in a fresh copy of it as `trying` says."""
    executable, environment = tried_in(examinee, facts)
    return report_for(
        facts,
        verify=trying.verify,
        timeout=timeout,
        executable=executable,
        environment=environment,
        cache=trying.cache,
        identity=trying.identity,
    )
