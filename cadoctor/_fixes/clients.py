"""Fixes for clients whose own store lacks the local roots, or cannot be loaded: the variables each reads.

One environment change covers every affected client when it can: `REQUESTS_CA_BUNDLE` alone serves requests,
pip before 24.2, azure-core, google-auth and botocore. Each variable points at a system bundle that holds the
public roots and the local ones, so no client loses public sites for it; the trial then asks each library,
in a fresh child of the examined interpreter, which file it now uses and whether that file trusts the roots.
A client whose own default store is gone (client-store-missing) is pointed the same way at a store that exists.
A host some client fails is `hosts.py`'s: its fix points them at a store proven to verify that host's chain.
"""

from __future__ import annotations

from cadoctor._fixes.bundles import best_bundle, joined_lines, trustworthy
from cadoctor._fixes.proven import keeping, proven_stores
from cadoctor._fixes.reach import cover
from cadoctor._fixes.shell import env_lines, sh_quote
from cadoctor._model import Bundle, Facts, Finding, Fix
from cadoctor._rules.clients import host_verdicts, judge, silenced_hosts
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
        change = reached.change(target.path)
        served = reached.clients()
        fixes.append(
            Fix(
                kind="env",
                summary="Point %s at %s (%d certificates, the local roots included) for %s%s"
                % (" and ".join(reached.served), target.path, target.certificates, ", ".join(served), reached.left()),
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
        # a client that fails at import (certifi's where() raising before 3.11) is reached by no variable
        names = {str(c["name"]) for c in finding.evidence["clients"] if not c.get("at_import")}
        target = best_bundle(facts, exclude=store)
        if target is not None and names:
            needing = [c for c in clients if c.name in names]
            reached = cover(needing, clients, facts, os_store="system" in target.roles, overwrite=False)
            samples = (*target.samples, *(root.der for root in facts.local_roots if root.der))
            if reached.served:
                change = reached.change(target.path)
                served = reached.clients()
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
                            reached.left(),
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


def injector_fixes(facts: Facts, findings: tuple[Finding, ...]) -> list[Fix]:
    """pip-system-certs before 5 makes its clients ignore the file that holds a host's root: reach them anyway.

    Under it a client on requests trusts what `ssl.create_default_context()` loads, OpenSSL's default paths: the
    variable of the default CA file (SSL_CERT_FILE) reaches it, pointed at a store proven to verify the host's
    chain (joined with the public roots where it lacks them), tried by those clients. Upgrading to 5 (which adds
    what a client loads to the OS store) or removing it is the lasting change: a command, not tried here.
    """
    fixes: list[Fix] = []
    clients = judge(facts)
    for finding in findings:
        if finding.code != "client-injector" or "version" not in finding.evidence:
            continue
        variable = facts.runtime.cafile_env or "SSL_CERT_FILE"
        for host, hurt in silenced_hosts(facts, clients):
            stores = proven_stores(facts, host)
            if not stores:
                continue
            now = facts.runtime.environment.get(variable)
            store = keeping(facts, stores[0], [now] if now else [])
            change: dict[str, str | None] = {variable: store.path}
            working = [v.name for v in host_verdicts(host, clients) if v.ok is True]
            guards = tuple(c.name for c in clients if c.name in working and variable in c.variables)
            made = "join %s in %s and point %s at it" % (" and ".join(store.parts), store.path, variable)
            fixes.append(
                Fix(
                    kind="env",
                    summary="For %s: %s; %s %s makes them ignore %s, and the OS store context it gives them reads "
                    "%s (%s verified the chain of %s)"
                    % (
                        ", ".join(c.name for c in hurt),
                        made if store.parts else "point %s at %s" % (variable, store.path),
                        finding.evidence["injector"],
                        finding.evidence["version"],
                        " and ".join(finding.evidence.get("ignored") or {}) or "their CA values",
                        variable,
                        store.holder,
                        host.target,
                    ),
                    addresses=(finding.code, str(host.code or "client-host-fails")),
                    env=change,
                    lines=joined_lines(store.parts, store.path, change) if store.parts else env_lines(change),
                    clients=tuple(c.name for c in hurt),
                    guards=guards,
                    trial_host=host,
                    merge=store.parts,
                    sample_source=next((p for p in store.parts if p != store.holder), None),
                )
            )
        executable = facts.runtime.executable
        if executable and not has_control(executable) and (facts.subject is None or not facts.subject.root):
            command = "%s -m pip install --upgrade 'pip-system-certs>=5'" % sh_quote(executable)
            fixes.append(
                Fix(
                    kind="command",
                    summary="Upgrade pip-system-certs to 5 or later (it injects truststore, which adds what a client "
                    "loads instead of clearing it), or remove it: %s -m pip uninstall pip-system-certs"
                    % sh_quote(executable),
                    addresses=(finding.code,),
                    command=command,
                    lines={"shell": command},
                    evidence="not tried: it changes the environment and needs the package index",
                )
            )
    return fixes
