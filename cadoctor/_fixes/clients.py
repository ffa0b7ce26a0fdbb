"""Fixes for clients whose own store lacks the local roots, or cannot be loaded: the variables each reads.

One environment change covers every affected client when it can: `REQUESTS_CA_BUNDLE` alone serves requests,
pip before 24.2, azure-core, google-auth and botocore. Each variable points at a system bundle that holds the
public roots and the local ones, so no client loses public sites for it; the trial then asks each library,
in a fresh child of the examined interpreter, which file it now uses and whether that file trusts the roots.
A client whose own default store is gone (client-store-missing) is pointed the same way at a store that exists.
A host some client fails is `hosts.py`'s: its fix points them at a store proven to verify that host's chain.
"""

from __future__ import annotations

from cadoctor._fixes.bundles import best_bundle, trustworthy
from cadoctor._fixes.reach import cover
from cadoctor._fixes.shell import env_lines, sh_quote
from cadoctor._model import Bundle, Facts, Finding, Fix
from cadoctor._rules.clients import judge
from cadoctor._text import has_control

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


def store_fixes(facts: Facts, findings: tuple[Finding, ...]) -> list[Fix]:
    """For each store client-store-missing reports: its clients pointed at a store that exists, and certifi back.

    The store named is the OS's bundle (else a certifi that loads), tried by each library in a fresh child: the
    store it then resolves must load and hold the roots the old one was for (the target's sample of the public
    roots, and the local ones). A variable set now is someone's choice and is never overwritten here.
    """
    fixes: list[Fix] = []
    clients = judge(facts)
    for finding in findings:
        if finding.code != "client-store-missing":
            continue
        store = str(finding.evidence["store"])
        names = {str(c["name"]) for c in finding.evidence["clients"]}
        target = best_bundle(facts, exclude=store)
        if target is not None:
            needing = [c for c in clients if c.name in names]
            reached = cover(needing, clients, facts, os_store="system" in target.roles, overwrite=False)
            samples = (*target.samples, *(root.der for root in facts.local_roots if root.der))
            if reached.served:
                change: dict[str, str | None] = {v: reached.setting(v, target.path) for v in reached.served}
                served = sorted({name for group in reached.served.values() for name in group})
                left = "; no unset variable reaches %s" % ", ".join(reached.unreached) if reached.unreached else ""
                fixes.append(
                    Fix(
                        kind="env",
                        summary="Point %s at %s (%d certificates) for %s: their default store %s %s%s"
                        % (
                            " and ".join(reached.served),
                            target.path,
                            target.certificates,
                            ", ".join(served),
                            store,
                            finding.evidence.get("problem"),
                            left,
                        ),
                        addresses=(finding.code,),
                        env=change,
                        lines=env_lines(change),
                        clients=tuple(served),
                        guards=reached.touched,
                        trial_samples=tuple(samples),
                    )
                )
        archived = "inside the archive" in str(finding.evidence.get("problem"))  # a freeze's: rebuilt, not reinstalled
        certifi = any(str(c.get("kind")) == "certifi" for c in finding.evidence["clients"])
        executable = facts.runtime.executable
        here = facts.subject is None or not facts.subject.root  # an image's interpreter is not run from here
        if certifi and not archived and here and executable and not has_control(executable):
            command = "%s -m pip install --force-reinstall certifi" % sh_quote(executable)
            fixes.append(
                Fix(
                    kind="command",
                    summary="Reinstall certifi so that %s is a real file again (keep it when an image is slimmed or "
                    "an app frozen: a file beside the package, not inside an archive)" % store,
                    addresses=(finding.code,),
                    command=command,
                    lines={"shell": command},
                    evidence="not tried: it changes the environment and needs the package index",
                )
            )
    return fixes
