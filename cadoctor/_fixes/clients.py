"""Fixes for clients whose own store lacks the local roots: the variables each reads, verified by the client.

One environment change covers every affected client when it can: `REQUESTS_CA_BUNDLE` alone serves requests,
pip before 24.2, azure-core, google-auth and botocore. Each variable points at a system bundle that holds the
public roots and the local ones, so no client loses public sites for it; the trial then asks each library,
in a fresh child of the examined interpreter, which file it now uses and whether that file trusts the roots.
A host some client fails is `hosts.py`'s: its fix points them at a store proven to verify that host's chain.
"""

from __future__ import annotations

from cadoctor._fixes.bundles import trustworthy
from cadoctor._fixes.reach import cover
from cadoctor._fixes.shell import env_lines
from cadoctor._model import Bundle, Facts, Finding, Fix
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


def _affected(findings: tuple[Finding, ...]) -> list[str]:
    """The clients that lack the local roots."""
    names: list[str] = []
    for finding in findings:
        if finding.code == "client-lacks-local-roots":
            names.extend(str(c["name"]) for c in finding.evidence["clients"] if str(c["name"]) not in names)
    return names


def client_fixes(facts: Facts, findings: tuple[Finding, ...]) -> list[Fix]:
    """An env change that points the affected clients at the system bundle, and truststore as code.

    Each fix is tried by asking each library which store it then resolves and whether that store trusts the
    local roots. A variable set now is someone's choice and is never overwritten here.
    """
    affected = _affected(findings)
    target = _target(facts)
    if not affected or target is None:
        return []
    addresses = ("client-lacks-local-roots",)
    clients = judge(facts)
    reached = cover([c for c in clients if c.name in affected], clients, facts, os_store=True, overwrite=False)
    samples = tuple(root.der for root in facts.local_roots if root.der)
    fixes: list[Fix] = []
    if reached.served and samples:
        change: dict[str, str | None] = {v: reached.setting(v, target.path) for v in reached.served}
        served = sorted({name for names in reached.served.values() for name in names})
        left = "; no unset variable reaches %s" % ", ".join(reached.unreached) if reached.unreached else ""
        fixes.append(
            Fix(
                kind="env",
                summary="Point %s at %s (%d certificates, the local roots included) for %s%s"
                % (" and ".join(reached.served), target.path, target.certificates, ", ".join(served), left),
                addresses=addresses,
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
                addresses=addresses,
                lines={"python": _CODE},
                clients=tuple(ssl_clients),
                inject="truststore",
                evidence="not tried: without a host, a trial cannot show what truststore changes",
            )
        )
    return fixes
