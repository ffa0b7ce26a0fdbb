"""One check of this process: collect, handshake, diagnose, propose, verify."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from cadoctor._collect import collect
from cadoctor._diagnose import diagnose
from cadoctor._host import DEFAULT_TIMEOUT
from cadoctor._model import Facts, Fix, HostCheck, Report, Severity
from cadoctor._remedy import KIND_RANK, propose
from cadoctor._verify import verify as run_trials


def _rank(fix: Fix) -> tuple[int, int]:
    """Smallest change first; within a kind, what was shown to work before what was not tried or failed."""
    return KIND_RANK[fix.kind], {True: 0, None: 1, False: 2}[fix.verified]


def report_for(facts: Facts, *, verify: bool = True, timeout: float = DEFAULT_TIMEOUT) -> Report:
    """Diagnose collected facts and try the fixes."""
    findings = diagnose(facts)
    fixes = propose(facts, findings)
    if verify:
        fixes = run_trials(fixes, facts, host_timeout=timeout)
    return Report(facts=facts, findings=findings, fixes=tuple(sorted(fixes, key=_rank)))


def check(
    *,
    verify: bool = True,
    hosts: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    client_cert: str | None = None,
    client_key: str | None = None,
) -> Report:
    """Examine the trust path of the running interpreter (and live handshakes to `hosts`) and return the report.

    With hosts, the handshakes come first. When all of them succeed and a light look at the sources in effect
    finds nothing at warning level, that light report is the answer; otherwise the whole disk is inventoried,
    which failed handshakes need to find where their root is.
    """
    if not hosts:
        return report_for(collect(), verify=verify, timeout=timeout)
    from concurrent.futures import ThreadPoolExecutor

    from cadoctor._host import analyse, default_context, shake

    context = default_context(client_cert, client_key)
    with ThreadPoolExecutor(max_workers=min(8, len(hosts))) as pool:
        shaken = list(pool.map(lambda target: shake(target, context, timeout), hosts))
    if all(not isinstance(item, HostCheck) and item.outcome.get("ok") for item in shaken):
        light = collect(light=True)
        light = replace(light, hosts=tuple(analyse(item, ()) for item in shaken))
        report = report_for(light, verify=verify, timeout=timeout)
        if not report.fails(Severity.WARNING):
            return report
    facts = collect()
    facts = replace(facts, hosts=tuple(analyse(item, facts.bundles) for item in shaken))
    return report_for(facts, verify=verify, timeout=timeout)
