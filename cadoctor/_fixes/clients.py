"""Fixes for clients whose own store lacks the local roots: the variables each reads, verified by the client.

One environment change covers every affected client when it can: `REQUESTS_CA_BUNDLE` alone serves requests,
pip before 24.2, azure-core, google-auth and botocore. Each variable points at a system bundle that holds the
public roots and the local ones, so no client loses public sites for it; the trial then asks each library,
in a fresh child of the examined interpreter, which file it now uses and whether that file trusts the roots.
"""

from __future__ import annotations

from cadoctor._fixes.bundles import trustworthy
from cadoctor._fixes.shell import env_lines
from cadoctor._model import Bundle, Facts, Finding, Fix
from cadoctor._rules.client_table import SETTINGS, rule_for

_CODE = """import truststore
truststore.inject_into_ssl()  # first thing in the program, before any client object is built
"""


def _target(facts: Facts) -> Bundle | None:
    """A system bundle that holds every local root and that a fix may name."""
    wanted = {root.identity for root in facts.local_roots}
    for bundle in facts.bundles:
        if "system" in bundle.roles and trustworthy(bundle) and wanted <= bundle.identities:
            return bundle
    return None


def _cover(clients: list[str], facts: Facts) -> dict[str, list[str]]:
    """The fewest unset variables that reach every client, each with the clients it serves (greedy set cover)."""
    versions = {d.name: d.version for d in facts.distributions}
    readers: dict[str, set[str]] = {}
    for name in clients:
        rule = rule_for(name, versions.get(name, ""), facts.runtime.python_version)
        for variable in rule.variables if rule else ():
            # a variable already set is someone's choice (a private root for urllib, say): never overwritten
            if variable not in SETTINGS and not facts.runtime.environment.get(variable):
                readers.setdefault(variable, set()).add(name)
    left, chosen = set(clients), {}
    order = list(readers)
    while left and readers:
        variable = max(order, key=lambda v: (len(readers[v] & left), -order.index(v)))
        if not readers[variable] & left:
            break
        chosen[variable] = sorted(readers[variable] & left)
        left -= readers[variable]
    return chosen


def client_fixes(facts: Facts, findings: tuple[Finding, ...]) -> list[Fix]:
    """An env change that points the affected clients at the system bundle, and truststore as code."""
    finding = next((f for f in findings if f.code == "client-lacks-local-roots"), None)
    target = _target(facts)
    if finding is None or target is None:
        return []
    affected = [str(c["name"]) for c in finding.evidence["clients"]]
    cover = _cover(affected, facts)
    samples = tuple(root.der for root in facts.local_roots if root.der)
    fixes: list[Fix] = []
    if cover:
        change: dict[str, str | None] = {variable: target.path for variable in cover}
        served = sorted({name for names in cover.values() for name in names})
        fixes.append(
            Fix(
                kind="env",
                summary="Point %s at %s (%d certificates, the local roots included) for %s"
                % (" and ".join(cover), target.path, target.certificates, ", ".join(served)),
                addresses=(finding.code,),
                env=change,
                lines=env_lines(change),
                clients=tuple(served),
                trial_samples=samples,
            )
        )
    ssl_clients = [name for name in affected if name not in ("grpcio", "uv")]
    if ssl_clients:
        fixes.append(
            Fix(
                kind="code",
                summary="Let %s trust the OS store: truststore.inject_into_ssl() before any client is built "
                "(pip install truststore)" % ", ".join(ssl_clients),
                addresses=(finding.code,),
                lines={"python": _CODE},
                clients=tuple(ssl_clients),
                evidence="not tried: a trial cannot place code at the start of your program",
            )
        )
    return fixes
