"""One check of this process: collect, handshake, diagnose, propose, verify."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence

from cadoctor._facts import memo
from cadoctor._facts.child.facts import interpreter_facts
from cadoctor._facts.child.ssl_module import context_facts, default_context_obstacle
from cadoctor._facts.subjects.this_process import collect, facts_from_probe, loadable
from cadoctor._facts.tls.handshake import DEFAULT_TIMEOUT
from cadoctor._fixes.propose import KIND_RANK, propose
from cadoctor._fixes.verify import trial_obstacle
from cadoctor._fixes.verify import verify as run_trials
from cadoctor._model import Facts, Finding, Fix, HostCheck, Report, Severity, Subject
from cadoctor._record import replace
from cadoctor._rules.clients import host_verdicts, own_stores
from cadoctor._rules.clients import judge as judge_clients
from cadoctor._rules.stacks import judge_stacks
from cadoctor._rules.trust import diagnose
from cadoctor._variables import for_child

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from typing import Any

    from cadoctor._facts.tls.handshake import Shaken


def _client_stores(facts: Facts) -> list[str]:
    """The stores the clients of the examined Python use besides the OS store: each host's chain is checked there."""
    return loadable(own_stores(judge_clients(facts)))


def _strict(facts: Facts) -> bool:
    """Whether the examined Python verifies strictly by default (3.13 and later: X509_STRICT, PARTIAL_CHAIN)."""
    parts = facts.runtime.python_version.split(".")[:2]
    return len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit() and (int(parts[0]), int(parts[1])) >= (3, 13)


def _focus(facts: Facts, findings: tuple[Finding, ...]) -> frozenset[str]:
    """What a check with hosts must answer: the hosts' findings, and, when one failed, its default context's trust."""
    from cadoctor._rules.stacks import about_default_paths

    failed = not all(host.ok for host in facts.hosts)
    return frozenset(f.code for f in findings if f.code.startswith("host-") or (failed and about_default_paths(f)))


def _rank(fix: Fix) -> tuple[int, int]:
    """Smallest change first; within a kind, what was shown to work before what was not tried or failed."""
    return KIND_RANK[fix.kind], {True: 0, None: 1, False: 2}[fix.verified]


def report_for(
    facts: Facts,
    *,
    verify: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    executable: str | None = None,
    environment: Mapping[str, str] | None = None,
) -> Report:
    """Diagnose collected facts and try the fixes in fresh children of `executable` (by default this one).

    The children get `environment` (by default this one's) with each fix applied. A subject that cannot be
    tried here (a non-Python program, another user's or another root's interpreter) keeps every fix untried,
    with the reason; fixes only Python can apply are not offered to a program that is not Python.
    """
    findings = diagnose(facts)
    fixes = propose(facts, findings)
    if facts.subject is not None and facts.subject.python is False:
        fixes = tuple(f for f in fixes if f.kind != "code" and not f.preload)
    obstacle = trial_obstacle(facts)
    if verify and obstacle is not None:
        fixes = tuple(f if f.kind in ("command", "server") else replace(f, evidence=obstacle) for f in fixes)
    elif verify:
        fixes = run_trials(
            fixes,
            facts,
            executable=executable or sys.executable,
            environment=environment,
            host_timeout=timeout,
            focus=_focus(facts, findings) if facts.hosts else None,
        )
    clients = judge_clients(facts)
    hosts = tuple(replace(host, clients=host_verdicts(host, clients)) for host in facts.hosts)
    return Report(
        facts=replace(facts, hosts=hosts),
        findings=findings,
        fixes=tuple(sorted(fixes, key=_rank)),
        clients=clients,
        stacks=judge_stacks(facts),
    )


def _default_context(client_cert: str | None, client_key: str | None) -> tuple[ssl.SSLContext | str, dict[str, Any]]:
    """The context handshakes use and what it loaded; or why none can be made, as text, when it cannot."""
    from cadoctor._errors import ClientCertificateError
    from cadoctor._facts.tls.handshake import default_context

    obstacle = default_context_obstacle()  # a user's ssl.py is never imported, a FIFO never read
    if obstacle is not None:
        return obstacle, {}
    try:
        context = default_context(client_cert, client_key)
    except ClientCertificateError:
        raise
    except Exception as exc:  # what the probe reports as context_error, seen from the handshake's side
        return "the default context cannot be made: %s: %s" % (type(exc).__name__, exc), {}
    return context, context_facts(context)


def _succeeded(item: Shaken | HostCheck) -> bool:
    """Whether a handshake went through."""
    return not isinstance(item, HostCheck) and bool(item.outcome.get("ok"))


def _shake_all(
    hosts: Sequence[str], context: ssl.SSLContext | str, timeout: float, meanwhile: Callable[[], None]
) -> list[Shaken | HostCheck]:
    """Handshake with every host, several at once; a single host's wait for late alerts runs `meanwhile`."""
    from cadoctor._facts.tls.handshake import shake

    if len(hosts) == 1:
        return [shake(hosts[0], context, timeout, meanwhile)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(8, len(hosts))) as pool:
        return list(pool.map(lambda target: shake(target, context, timeout), hosts))


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
) -> Report:
    """Examine the trust path of the running interpreter (and live handshakes to `hosts`) and return the report.

    With `python`, examine that interpreter instead: the probe runs there, the rules here, and fixes are tried
    in fresh children of it (raises `InterpreterError` when it cannot be probed); with `hosts`, that interpreter
    makes the handshakes.

    With `pid`, examine that running process from outside (Linux): its maps, environment and files, read in
    its own root; fixes are tried in a fresh copy of its interpreter only when it is a Python of this user in
    this root (raises `ProcessError` when it cannot be read).

    With `root`, examine an unpacked image or chroot from its files alone (raises `RootError` when it is not a
    readable directory); nothing in it is run, so no fix is tried.

    With hosts, the handshakes come first, with one default context whose load counts serve the probe too; with
    a single host, the probe and the light look run while the handshake waits for a late alert. When every
    handshake succeeds and a light look at the sources in effect finds nothing at warning level, that light
    report is the answer; a warning brings the whole disk's inventory. A failed handshake reads in full only
    what its answer needs: where the issuer its chain ends at is kept, and what CA variables name.
    """
    with memo.kept():  # a long-lived caller holds none of the decoded bundles between checks
        if sum(subject is not None for subject in (python, pid, root)) > 1:
            raise ValueError("python, pid and root name different subjects: choose one")
        if (pid is not None or root is not None) and hosts:
            raise ValueError("hosts cannot be combined with --pid or --root: the handshake would come from this one")
        if python is not None:
            from cadoctor._facts.interpreters.run import probe_interpreter
            from cadoctor._facts.tls.handshake import analyse, shake_in, sought_issuers, whole_chain

            probed_there = probe_interpreter(python)
            subject = Subject(kind="interpreter", executable=python, python=True, observed="runtime")
            # made by that interpreter, checked here against each of its clients' stores
            shaken = [whole_chain(shake_in(target, python, timeout), timeout) for target in hosts]
            failed = not all(_succeeded(item) for item in shaken)
            facts = facts_from_probe(probed_there, local=False, names=sought_issuers(shaken) if failed else None)
            facts = replace(facts, subject=subject)
            if hosts:
                stores = _client_stores(facts)
                facts = replace(
                    facts,
                    hosts=tuple(analyse(item, facts.bundles, stores, facts.mozilla, _strict(facts)) for item in shaken),
                )
            return report_for(facts, verify=verify, timeout=timeout, executable=python)
        if root is not None:
            from cadoctor._facts.subjects.image import facts_of_root, open_root

            return report_for(facts_of_root(open_root(root)), verify=verify, timeout=timeout)
        if pid is not None:
            from cadoctor._facts.process import read_process
            from cadoctor._facts.subjects.process import facts_of_process

            view = read_process(pid)
            facts = facts_of_process(view)
            return report_for(
                facts, verify=verify, timeout=timeout, executable=facts.runtime.executable, environment=view.environ
            )
        if not hosts:
            return report_for(collect(), verify=verify, timeout=timeout)
        from cadoctor._facts.tls.handshake import analyse, sought_issuers, whole_chain

        context, loaded = _default_context(client_cert, client_key)
        probed: list[dict[str, Any]] = []
        looked: list[Facts] = []

        def look() -> None:
            """Probe the process and take the light look: what a successful handshake needs, done while it lingers."""
            if not probed:
                probed.append(interpreter_facts(for_child(), loaded or None))
            looked.append(facts_from_probe(probed[0], light=True))

        shaken = _shake_all(hosts, context, timeout, look)
        if all(_succeeded(item) for item in shaken):
            if not looked:
                look()
            stores = _client_stores(looked[0])
            shaken = [whole_chain(item, timeout) for item in shaken] if stores else shaken
            light = replace(
                looked[0],
                hosts=tuple(analyse(item, (), stores, looked[0].mozilla, _strict(looked[0])) for item in shaken),
            )
            report = report_for(light, verify=verify, timeout=timeout)
            if not report.fails(Severity.WARNING):
                return report
        if not probed:
            probed.append(interpreter_facts(for_child(), loaded or None))
        failed = not all(_succeeded(item) for item in shaken)
        facts = facts_from_probe(probed[0], names=sought_issuers(shaken) if failed else None)
        stores = _client_stores(facts)
        shaken = [whole_chain(item, timeout) for item in shaken] if stores else shaken
        facts = replace(
            facts, hosts=tuple(analyse(item, facts.bundles, stores, facts.mozilla, _strict(facts)) for item in shaken)
        )
        return report_for(facts, verify=verify, timeout=timeout)
