"""Propose fixes from facts and findings: pure, ranked smallest safe change first, never weakening verification."""

from __future__ import annotations

import os
from collections.abc import Mapping

from cadoctor._fixes.anchors import anchor_fixes
from cadoctor._fixes.bundles import best_bundle, merged_fix
from cadoctor._fixes.clients import client_fixes, injector_fixes, store_fixes
from cadoctor._fixes.complete import completed
from cadoctor._fixes.hosts import host_fixes
from cadoctor._fixes.image import for_image, image_root
from cadoctor._fixes.rehash import rehash_fix
from cadoctor._fixes.settings import value_fixes
from cadoctor._fixes.shell import env_lines, sh_quote
from cadoctor._fixes.stacks import stack_fixes
from cadoctor._locations import ANCHOR_COMMANDS, CA_PACKAGE_COMMANDS, CA_PACKAGE_INSTALLS, LOCAL_ANCHORS, STORE_TOOLS
from cadoctor._model import Facts, Finding, Fix, SystemLibrary
from cadoctor._record import replace
from cadoctor._rules.client_table import STDLIB
from cadoctor._rules.clients import judge
from cadoctor._text import has_control

KIND_RANK = {"env": 0, "config": 0, "code": 1, "library": 2, "command": 3, "server": 4}


def _env_fix(summary: str, env: Mapping[str, str | None], addresses: tuple[str, ...], sample: str | None) -> Fix:
    """An environment change with its shell, Dockerfile and systemd forms."""
    return Fix(
        kind="env", summary=summary, addresses=addresses, env=dict(env), lines=env_lines(env), sample_source=sample
    )


def _ssl_variables_to_unset(facts: Facts, findings: tuple[Finding, ...]) -> list[str]:
    """The variables Python's ssl reads that name something unusable."""
    runtime = facts.runtime
    names = {f.evidence.get("variable") for f in findings if f.code == "env-path-invalid"}
    return [n for n in (runtime.cafile_env, runtime.capath_env) if n and n in names]


def _compiled_defaults_serve(facts: Facts) -> bool:
    """Whether the compiled default file or directory would serve if no variable overrode them."""
    cafile = facts.bundle(facts.runtime.compiled_cafile)
    capath = facts.bundle(facts.runtime.compiled_capath)
    return any(b is not None and b.usable and not b.exposures for b in (cafile, capath))


def _drop_library_path(
    facts: Facts, folders: set[str], why: str, addresses: tuple[str, ...], sample: str | None
) -> Fix | None:
    """Remove the LD_LIBRARY_PATH entries that pulled in the wrong library, if any did."""
    entries = [e for e in facts.runtime.environment.get("LD_LIBRARY_PATH", "").split(os.pathsep) if e]
    pulled = [e for e in entries if e in folders or e.rstrip("/") in folders]
    if not pulled or has_control(os.pathsep.join(entries)):
        return None
    change = {"LD_LIBRARY_PATH": os.pathsep.join(e for e in entries if e not in pulled) or None}
    return Fix(
        kind="library",
        summary="Drop %s from LD_LIBRARY_PATH %s" % (", ".join(pulled), why),
        addresses=addresses,
        env=change,
        lines=env_lines(change),
        sample_source=sample,
    )


def _ssl_import_fix(facts: Facts, finding: Finding) -> Fix | None:
    """When `ssl` fails to load a library found through LD_LIBRARY_PATH, drop that entry."""
    error = facts.runtime.ssl_error or ""
    entries = facts.runtime.environment.get("LD_LIBRARY_PATH", "").split(os.pathsep)
    named = {e.rstrip("/") for e in entries if e and e.rstrip("/") + "/" in error}
    return _drop_library_path(facts, named, "so that ssl loads the system libraries", (finding.code,), None)


def _library_fixes(facts: Facts, addresses: tuple[str, ...], sample: str | None) -> list[Fix]:
    """Swap the libcrypto `ssl` uses for the loader's own copy, or drop the override that pulled it in."""
    library = facts.ssl_library
    if library is None or library.role != "libcrypto":
        return []
    fixes: list[Fix] = []
    folders = {os.path.dirname(library.path), os.path.dirname(library.realpath)}
    drop = _drop_library_path(facts, folders, "so the loader picks the system libcrypto", addresses, sample)
    if drop is not None:
        fixes.append(drop)
    by_soname = {s.soname: s for s in facts.system_libraries}
    crypto = by_soname.get(os.path.basename(library.path))
    ssl_name = os.path.basename(library.path).replace("libcrypto", "libssl", 1)
    libssl: SystemLibrary | None = by_soname.get(ssl_name)
    if (
        crypto is not None
        and libssl is not None
        and crypto.openssldir_exists
        and (os.path.realpath(crypto.path) != library.realpath)
    ):
        preload = (crypto.path, libssl.path)
        snippet = "\n".join(
            [
                "import ctypes",
                *("ctypes.CDLL(%r, mode=ctypes.RTLD_GLOBAL)" % p for p in preload),
                "import ssl  # must come after the preload",
            ]
        )
        fixes.append(
            Fix(
                kind="library",
                summary="Load the system libcrypto (OPENSSLDIR %s) before ssl is imported" % crypto.openssldir,
                addresses=addresses,
                preload=preload,
                lines={"python": snippet, "shell": "export LD_PRELOAD=%s" % sh_quote(":".join(preload))},
                sample_source=sample,
            )
        )
    return fixes


def _trust_fixes(facts: Facts, findings: tuple[Finding, ...], addresses: tuple[str, ...]) -> list[Fix]:
    """Fixes for a trust store that is empty or names something unusable."""
    runtime = facts.runtime
    fixes: list[Fix] = []
    unset = _ssl_variables_to_unset(facts, findings)
    target = best_bundle(facts, exclude=runtime.cafile.path if runtime.cafile else None)
    sample = target.path if target else None
    if unset and _compiled_defaults_serve(facts):
        change: dict[str, str | None] = {name: None for name in unset}
        fixes.append(_env_fix("Unset %s: the compiled defaults serve" % " and ".join(unset), change, addresses, sample))
    if target is not None and runtime.cafile_env:
        change = {runtime.cafile_env: target.path}
        if runtime.capath_env in unset:
            change[runtime.capath_env] = None
        fixes.append(
            _env_fix(
                "Point %s at %s (%d certificates)" % (runtime.cafile_env, target.path, target.certificates),
                change,
                addresses,
                sample,
            )
        )
        snippet = "import ssl\ncontext = ssl.create_default_context(cafile=%r)" % target.path
        fixes.append(
            Fix(
                kind="code",
                summary="Load %s explicitly where the code builds its context" % target.path,
                addresses=addresses,
                cafile=target.path,
                lines={"python": snippet},
                sample_source=sample,
            )
        )
    fixes.extend(_library_fixes(facts, addresses, sample))
    if target is None:
        command = _ca_package_command(facts)
        if command:
            fixes.append(
                Fix(
                    kind="command",
                    summary="Install the distribution's CA certificates",
                    addresses=addresses,
                    command=command,
                    lines={"shell": command},
                )
            )
    return fixes


def _ca_package_command(facts: Facts) -> str | None:
    """The distro command that installs CA certificates, from os-release (an image's: its build's install)."""
    release = facts.runtime.os_release
    ids = [release.get("ID", ""), *release.get("ID_LIKE", "").split()]
    for distro, command in CA_PACKAGE_INSTALLS if image_root(facts) else CA_PACKAGE_COMMANDS:
        if distro in ids:
            return command
    return None


def _private_ca_fix(facts: Facts, finding: Finding) -> Fix | None:
    """Add a private CA to the OS store instead of replacing every root with it: the system's own store tool's way."""
    path = str(finding.evidence.get("path"))
    variable = str(finding.evidence.get("variable"))
    folder_and_command = _anchor_folder(facts)
    if folder_and_command is None or has_control(path):  # a pasted line would name another path (_text.py)
        return None
    anchor, refresh = folder_and_command
    name = os.path.basename(path) if path.endswith(".crt") else os.path.basename(path) + ".crt"
    command = "cp %s %s && %s && unset %s" % (sh_quote(path), sh_quote(os.path.join(anchor, name)), refresh, variable)
    return Fix(
        kind="command",
        summary="Add the private CA to the OS store instead of replacing all roots",
        addresses=(finding.code,),
        command=command,
        lines={"shell": command},
    )


def _anchor_folder(facts: Facts) -> tuple[str, str] | None:
    """Where a root is added to the OS store and what rebuilds it: the system's own tool, else its os-release's."""
    if facts.anchor_tools:
        tool = facts.anchor_tools[0]
        folder = next(t.anchors[0] for t in STORE_TOOLS if t.name == tool.name)
        return folder, tool.command
    ids = [facts.runtime.os_release.get("ID", ""), *facts.runtime.os_release.get("ID_LIKE", "").split()]
    for anchor, users in LOCAL_ANCHORS:
        family = users.split(" (")[0].lower()
        if any(i and i in family for i in ids):
            return anchor, ANCHOR_COMMANDS[anchor]
    return None


def _explicit_locations_fixes(facts: Facts, finding: Finding) -> list[Fix]:
    """LibreSSL ignores the variables: load what they name explicitly, when it holds certificates."""
    env = facts.runtime.environment
    cafile = facts.bundle(env.get("SSL_CERT_FILE"))
    capath = facts.bundle(env.get("SSL_CERT_DIR"))
    cafile_path = cafile.path if cafile is not None and cafile.usable else None
    capath_path = capath.path if capath is not None and capath.usable else None
    if cafile_path is None and capath_path is None:
        return []
    arguments = ", ".join("%s=%r" % pair for pair in (("cafile", cafile_path), ("capath", capath_path)) if pair[1])
    snippet = "import ssl\ncontext = ssl.create_default_context()\ncontext.load_verify_locations(%s)" % arguments
    return [
        Fix(
            kind="code",
            summary="Load %s explicitly: this TLS library does not read the variables"
            % " and ".join(p for p in (cafile_path, capath_path) if p),
            addresses=(finding.code,),
            cafile=cafile_path,
            capath=capath_path,
            lines={"python": snippet},
        )
    ]


def _install_certificates_fix(facts: Facts, finding: Finding) -> Fix:
    """The python.org installer's own step that puts certifi's roots where its OpenSSL looks."""
    minor = ".".join(facts.runtime.python_version.split(".")[:2])
    command = sh_quote("/Applications/Python %s/Install Certificates.command" % minor)
    return Fix(
        kind="command",
        summary="Run the python.org installer's 'Install Certificates' step for Python %s" % minor,
        addresses=(finding.code,),
        command=command,
        lines={"shell": command},
    )


def propose(facts: Facts, findings: tuple[Finding, ...]) -> tuple[Fix, ...]:
    """Ranked fixes for the findings: env first, then code, library and command; one per real option."""
    codes = {f.code for f in findings}
    fixes: list[Fix] = []
    trust_codes = tuple(sorted(codes & {"trust-store-empty", "openssldir-missing"}))
    ssl_variables = (facts.runtime.cafile_env, facts.runtime.capath_env)  # what Python's ssl itself reads
    ssl_env = [
        f
        for f in findings
        if f.code == "env-path-invalid" and f.severity.value == "error" and f.evidence.get("variable") in ssl_variables
    ]
    if "trust-store-empty" in codes or ssl_env:
        fixes.extend(_trust_fixes(facts, findings, trust_codes + (("env-path-invalid",) if ssl_env else ())))
    for finding in findings:
        if finding.code == "override-replaces-defaults":
            variable = str(finding.evidence.get("variable"))
            if variable == (facts.runtime.cafile_env or "SSL_CERT_FILE"):
                merged = merged_fix(facts, str(finding.evidence.get("path")), (finding.code,), variable)
                fixes.extend([merged] if merged is not None else [])
            private = _private_ca_fix(facts, finding)
            if private is not None:
                fixes.append(private)
        elif finding.code == "capath-unhashed" and not has_control(str(finding.evidence["path"])):
            folder = str(finding.evidence["path"])
            # a failing host whose root sits in this folder, unlinked: the links are what it needs too
            needing = [h for h in facts.hosts if not h.ok and any(x.path == folder for x in h.holders)]
            summary = "Create the hash links OpenSSL looks for" + (
                " (%s needs the root it holds)" % ", ".join(h.target for h in needing) if needing else ""
            )
            # the hosts' own failures (an unknown CA, or a chain that stops short of the root it holds)
            addresses = (finding.code, *sorted({h.code for h in needing if h.code}))
            fixes.append(rehash_fix(facts, folder, summary, addresses))
        elif finding.code == "trust-writable":
            # a path no pasted line can carry as it is stays in the finding, out of the command
            paths = sorted(p for p in {str(e["path"]) for e in finding.evidence["exposures"]} if not has_control(p))
            if not paths:
                continue
            command = "chown root %s && chmod go-w %s" % (
                " ".join(map(sh_quote, paths)),
                " ".join(map(sh_quote, paths)),
            )
            fixes.append(
                Fix(
                    kind="command",
                    summary="Let only root change %s" % finding.evidence["path"],
                    addresses=(finding.code,),
                    command=command,
                    lines={"shell": command},
                )
            )
        elif finding.code == "openssl-config-broken" and facts.runtime.environment.get("OPENSSL_CONF"):
            change: dict[str, str | None] = {"OPENSSL_CONF": None}
            fixes.append(
                _env_fix("Unset OPENSSL_CONF so the library reads its own configuration", change, (finding.code,), None)
            )
        elif finding.code == "runtime-known-issue" and finding.evidence.get("distribution") == "python.org-macos":
            fixes.append(_install_certificates_fix(facts, finding))
        elif finding.code == "runtime-known-issue" and finding.evidence.get("missing_local_roots"):
            system = best_bundle(facts, exclude=str(finding.evidence.get("cafile")))
            if system is not None and "system" in system.roles:  # cx_Freeze's ssl keeps an SSL_CERT_FILE set
                change = {"SSL_CERT_FILE": system.path}
                fixes.append(
                    _env_fix(
                        "Start the app with SSL_CERT_FILE=%s (the system store)" % system.path,
                        change,
                        (finding.code,),
                        system.path,
                    )
                )
        elif finding.code == "libressl-ignores-env":
            fixes.extend(_explicit_locations_fixes(facts, finding))
        elif finding.code == "ssl-unavailable":
            drop = _ssl_import_fix(facts, finding)
            if drop is not None:
                fixes.append(drop)
        elif finding.code.startswith("local-anchor-"):
            fixes.extend(anchor_fixes(facts, finding))
        elif finding.code == "library-deleted":
            fixes.append(
                Fix(
                    kind="command",
                    summary="Restart the process so that it maps the current %s"
                    % os.path.basename(str(finding.evidence["path"])),
                    addresses=(finding.code,),
                )
            )
    fixes.extend(host_fixes(facts, findings))
    fixes.extend(client_fixes(facts, findings))
    fixes.extend(store_fixes(facts, findings))
    fixes.extend(injector_fixes(facts, findings))
    fixes.extend(value_fixes(facts, findings))
    fixes.extend(stack_fixes(facts, findings))
    unique: dict[tuple[object, ...], Fix] = {}
    python = {client.name for client in judge(facts)}
    for fix in (for_image(facts, completed(facts, _shown_where_it_can(proposed))) for proposed in fixes):
        key = (
            fix.kind,
            tuple(sorted((fix.env or {}).items(), key=str)),
            fix.preload,
            fix.cafile,
            fix.add_cafile,
            fix.command,
            fix.edit,
        )
        unique[key] = _merged(unique[key], fix, python) if key in unique else fix
    return tuple(sorted(unique.values(), key=lambda f: KIND_RANK[f.kind]))


def _shown_where_it_can(fix: Fix) -> Fix:
    """A fix for a value, tried against a host only where the host verified or some store here verifies its chain.

    Where none does, every change fails the host's request alike (its root is nowhere here), and that failure says
    nothing about the value the fix is for: the fix is tried by what it addresses instead (the store each client
    then loads), and the host's own findings keep their own fixes.
    """
    host = fix.trial_host
    if host is None or any(code.startswith("host-") for code in fix.addresses):
        return fix
    if host.ok or any(holder.verifies is True for holder in host.holders):
        return fix
    return replace(fix, trial_host=None)


def _merged(first: Fix, second: Fix, python: set[str]) -> Fix:
    """One change proposed twice (for Python's ssl, and for a client that breaks on the same value): one fix for both.

    The one tried by clients leads, with every finding each addressed; the default context, which the other was
    for, joins the clients it is tried by.
    """
    base, other = (second, first) if second.clients and not first.clients else (first, second)
    clients = list(dict.fromkeys((*base.clients, *other.clients)))
    if base.clients and not other.clients and other.kind == "env" and STDLIB.family in python:
        clients.append(STDLIB.family)  # the other was for Python's own default context: its clients are urllib's
    return replace(
        base,
        addresses=tuple(dict.fromkeys((*base.addresses, *other.addresses))),
        clients=tuple(dict.fromkeys(clients)),
        guards=tuple(g for g in dict.fromkeys((*base.guards, *other.guards)) if g not in clients),
        trial_host=base.trial_host or other.trial_host,
        sample_source=base.sample_source or other.sample_source,
        trial_samples=base.trial_samples or other.trial_samples,
        evidence=base.evidence or other.evidence,
        rehash=base.rehash or other.rehash,
    )
