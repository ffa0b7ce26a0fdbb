"""Fixes for clients whose own store lacks the local roots: the variables each reads, verified by the client.

One environment change covers every affected client when it can: `REQUESTS_CA_BUNDLE` alone serves requests,
pip before 24.2, azure-core, google-auth and botocore. Each variable points at a system bundle that holds the
public roots and the local ones, so no client loses public sites for it; the trial then asks each library,
in a fresh child of the examined interpreter, which file it now uses and whether that file trusts the roots.
"""

from __future__ import annotations

from cadoctor._fixes.bundles import trustworthy
from cadoctor._fixes.shell import env_lines
from cadoctor._model import Bundle, Facts, Finding, Fix, HostCheck
from cadoctor._rules.client_table import SETTINGS
from cadoctor._rules.clients import judge

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
    # the variables each reads here, by its own row; Python's own ssl gets its fixes from the trust path's
    judged = {client.name: client for client in judge(facts) if client.name != "urllib (stdlib)"}
    readers: dict[str, set[str]] = {}
    for name in clients:
        client = judged.get(name)
        usable = client.variables if client is not None else ()
        if client is not None and client.decided_by in usable:  # only a source before the one that won is read
            usable = usable[: usable.index(client.decided_by)]
        for variable in usable:
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


def _affected(facts: Facts, findings: tuple[Finding, ...]) -> tuple[list[str], HostCheck | None, str | None]:
    """The clients that lack the local roots or fail a host, the first such host, and the finding to address."""
    names: list[str] = []
    host, code = None, None
    for finding in findings:
        if finding.code == "client-host-fails":
            target = finding.evidence["target"]
            host = host or next((h for h in facts.hosts if h.target == target), None)
        elif finding.code != "client-lacks-local-roots":
            continue
        code = code or finding.code
        names.extend(str(c["name"]) for c in finding.evidence["clients"] if str(c["name"]) not in names)
    return names, host, code


def client_fixes(facts: Facts, findings: tuple[Finding, ...]) -> list[Fix]:
    """An env change that points the affected clients at the system bundle, and truststore as code.

    With a host some client fails, each fix is tried by a real request to it through those clients' libraries;
    otherwise by asking each library which store it now resolves and whether that store trusts the local roots.
    """
    affected, host, code = _affected(facts, findings)
    target = _target(facts)
    if not affected or code is None or target is None:
        return []
    addresses = tuple(sorted({f.code for f in findings if f.code in ("client-lacks-local-roots", "client-host-fails")}))
    cover = _cover(affected, facts)
    samples = tuple(root.der for root in facts.local_roots if root.der)
    fixes: list[Fix] = []
    if cover and (samples or host):
        change: dict[str, str | None] = {variable: target.path for variable in cover}
        served = sorted({name for names in cover.values() for name in names})
        what = "the local roots included" if facts.local_roots else "the system store"
        fixes.append(
            Fix(
                kind="env",
                summary="Point %s at %s (%d certificates, %s) for %s"
                % (" and ".join(cover), target.path, target.certificates, what, ", ".join(served)),
                addresses=addresses,
                env=change,
                lines=env_lines(change),
                clients=tuple(served),
                trial_samples=samples,
                trial_host=host,
            )
        )
    ssl_clients = [name for name in affected if name not in ("grpcio", "uv")]
    if ssl_clients:
        fixes.append(
            Fix(
                kind="code",
                summary="Let %s trust the OS store: truststore.inject_into_ssl() before any client is built "
                "(pip install truststore)" % ", ".join(ssl_clients),
                addresses=addresses,
                lines={"python": _CODE},
                clients=tuple(ssl_clients),
                inject="truststore",
                trial_host=host,
                evidence=None if host else "not tried: without a host, a trial cannot show what truststore changes",
            )
        )
    return fixes
