"""CA values judged by what reads them: the default context's sources, and each variable's or setting's value.

A CA variable or setting is judged by each consumer's own reading of its value (`client_values`): a hashed folder
in REQUESTS_CA_BUNDLE is a CA folder to requests and an error to botocore; an empty one is nothing to requests
and an error to botocore; a FIFO hangs most of them. Python's own ssl reads SSL_CERT_FILE and SSL_CERT_DIR.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from cadoctor._model import Bundle, Facts, Finding, Severity
from cadoctor._rules.client_judgement import reading_of
from cadoctor._rules.client_table import SETTINGS
from cadoctor._rules.client_values import (
    EMPTY_FOLDER,
    HASH_LOOKUP,
    HASHED,
    LOADS,
    NOTHING,
    STORE,
    UNHASHED,
    kind_of,
    resolved,
)
from cadoctor._rules.clients import host_verdicts, judge, path_effects, says_of
from cadoctor._variables import CA_VARIABLES

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def in_effect(facts: Facts) -> tuple[Bundle | None, list[Bundle]]:
    """The CA file and directories a default context reads."""
    runtime = facts.runtime
    cafile = facts.bundle(runtime.cafile.path) if runtime.cafile else None
    capaths = [b for b in (facts.bundle(c.path) for c in runtime.capaths) if b is not None]
    return cafile, capaths


def opens_folder_as_store(facts: Facts) -> bool:
    """Whether the default paths also open the CA folder's value as a store URI: OpenSSL 3 does, 1.x never.

    OpenSSL 3's X509_STORE_set_default_paths adds a store lookup whose URI is SSL_CERT_DIR (else the compiled
    folder), beside the hash lookup (crypto/x509/by_store.c): a file of certificates named there loads, as measured
    with a real handshake. OpenSSL 1.1 and LibreSSL only look certificates up there by hash and find nothing in a
    file.
    """
    runtime = facts.runtime
    return runtime.openssl_version_info[:1] >= (3,) and not (runtime.openssl_version or "").startswith("LibreSSL")


def trust_served(facts: Facts) -> bool:
    """Whether a default context can find any root: certificates loaded, or a usable CA folder.

    Where no context was made (a process or image read from outside), the CA file's own certificates count. A
    file named as the CA folder serves only where OpenSSL opens that value as a store (`opens_folder_as_store`).
    """
    cafile, capaths = in_effect(facts)
    loaded = facts.runtime.context_loaded > 0
    if facts.runtime.context_ok is None and cafile is not None:
        loaded = loaded or cafile.usable
    as_store = opens_folder_as_store(facts)
    return loaded or any(b.usable and (b.kind == "directory" or as_store) for b in capaths)


# Variables that name folders: OpenSSL's, and grpc's system folder (read file by file, with its switch on).
_FOLDER_VARIABLES = ("SSL_CERT_DIR", "GRPC_SYSTEM_SSL_ROOTS_DIR")


def _env_problem(name: str, bundle: Bundle, takes_folders: bool = False, as_store: bool = False) -> str | None:
    """Say what is wrong with the path a CA variable names, or None.

    A folder named where a file is wanted is said by its kind (hashed or not): clients that take a folder there
    (requests, pip: `takes_folders`) read it as one, by its hash links; for the others it is no file. A file of
    certificates named as the CA folder loads where OpenSSL opens it as a store (`as_store`), and only there.
    """
    wants_directory = name in _FOLDER_VARIABLES
    if bundle.file_type == "relative":
        return "is relative (%s)" % bundle.path
    if bundle.file_type in ("missing", "symlink-loop", "unreadable"):
        return bundle.error
    if name == "SSL_CERT_DIR" and bundle.kind == "file" and bundle.usable and as_store:
        return (
            "is a file, not a directory: OpenSSL 3 opens it as a store and loads its certificates, so it works "
            "here; OpenSSL 1.1 and LibreSSL look certificates up in it by hash and find none"
        )
    if wants_directory:
        kind = "file" if bundle.file_type == "regular" else bundle.file_type
        return None if bundle.kind == "directory" else "is a %s, not a directory" % kind
    if bundle.kind == "directory":
        folder = _FOLDERS.get(kind_of(bundle.path, bundle, not bundle.parsed), "a folder")
        return "is %s" % folder if takes_folders else "is %s, not a file" % folder
    if bundle.kind != "file":
        return bundle.error
    if bundle.size == 0:
        return "is an empty file"
    if bundle.certificates == 0 and bundle.parsed and bundle.read_by and bundle.marked:
        return "holds no parseable certificate (%d marked, and OpenSSL loads none of them)" % bundle.marked
    if bundle.certificates == 0 and bundle.parsed:
        return "holds no parseable certificate (%d blocks marked)" % bundle.marked
    return None


_FOLDERS = {HASHED: "a hashed folder", UNHASHED: "a folder without hash links", EMPTY_FOLDER: "an empty folder"}

# Configuration settings judged as the variables are, with the file they come from; who reads each.
_SETTING_READERS = {"pip.conf cert": "pip", "aws config ca_bundle": "botocore, AWS CLI"}


def _sources(facts: Facts) -> Iterator[tuple[str, str, str, str | None]]:
    """Every CA variable set and CA setting present: (name, value, who reads it, the file a setting is in)."""
    for name, consumers in CA_VARIABLES.items():
        value = facts.runtime.environment.get(name)
        if value is not None:
            yield name, value, consumers, None
    for name, consumers in _SETTING_READERS.items():
        client, key = SETTINGS[name]
        found = [s for s in facts.settings if (s.client, s.key) == (client, key)]
        if found:
            yield name, found[-1].value, consumers, found[-1].source


def _target(facts: Facts, entry: str) -> Bundle | None:
    """What the facts know of a value's path, resolved against the process's working directory when relative."""
    return facts.bundle(resolved(entry, facts.runtime.cwd)) or facts.bundle(entry)


def env_path_invalid(facts: Facts) -> Iterator[Finding]:
    """A CA variable or setting names something that cannot serve as CA certificates, for some client.

    Each installed client is judged by its own reading of the value: a hashed folder in REQUESTS_CA_BUNDLE is a
    CA folder to requests and an error to botocore; an empty one is nothing to requests and an error to botocore.
    An error when Python's ssl reads it, or when a client installed here raises, hangs or aborts on it. A folder
    without hash links that a client reads as its CA folder is first a `capath-unhashed` of that folder: the
    clients that take it find nothing there, and the links are what they need.
    """
    runtime = facts.runtime
    served = trust_served(facts)
    as_store = opens_folder_as_store(facts)
    for name, value, consumers, setting in _sources(facts):
        effects = path_effects(facts, name)
        python = next((c for c in judge(facts) if c.name == "urllib (stdlib)"), None)
        if python is not None and python.effects.get(name) in ("hangs", "raises", "aborts"):
            effects = {python.name: says_of(python, name), **effects}  # Python's own ssl would block on it
        stopped = [n for n, e in effects.items() if e.startswith(_STOPS)]
        told = _told(effects)
        label = name if setting is None else "%s (%s)" % (name, setting)
        evidence: dict[str, object] = {"variable": name, "consumers": consumers}
        if setting is not None:
            evidence["setting"] = setting
        if not value:
            if name == "SSL_CERT_DIR" or (not stopped and _disabled_only(facts, name)):
                continue  # an empty folder list is no list; verification-disabled says what turns verification off
            severity = ERROR if stopped else (WARNING if name in (runtime.cafile_env, runtime.capath_env) else INFO)
            yield Finding(
                "env-path-invalid",
                severity,
                "%s is set but empty%s" % (label, " (here: %s)" % told if told else ""),
                {**evidence, "value": value, **({"clients": effects} if effects else {})},
            )
            continue
        entries = value.split(os.pathsep) if name == "SSL_CERT_DIR" else [value]
        # a folder is named by its kind alone where some client takes folders there; Python's own CA file variable
        # is read by OpenSSL's file lookup first, to which a folder is no file whatever a client does with it
        takes_folders = name != runtime.cafile_env and any(
            e.startswith(("loads it", "takes it and finds")) for e in effects.values()
        )
        for entry in entries:
            bundle = _target(facts, entry) if entry else None
            if bundle is not None:
                yield from _unhashed_folder(facts, name, label, bundle)
            problem = _env_problem(name, bundle, takes_folders, as_store) if bundle is not None else None
            loads_as_store = name == "SSL_CERT_DIR" and problem is not None and "opens it as a store" in problem
            works_here = problem is None  # a relative path that serves from here only: fragile, not broken
            if entry and not os.path.isabs(entry) and runtime.cwd is not None:
                where = "from the working directory %s" % runtime.cwd
                said = "%s it %s" % (where, problem) if problem else "it works only " + where
                problem = "is relative (%s): %s" % (entry, said)
            if problem is None and not stopped:
                continue
            severity = WARNING
            if stopped or (
                not works_here and (name == runtime.cafile_env or (name == runtime.capath_env and not served))
            ):
                severity = ERROR
            elif bundle is not None and bundle.kind == "directory" and effects and not _hurt(effects):
                severity = INFO  # a folder every client here reads as one (requests, pip): only other readers fail
            if loads_as_store and not stopped:
                severity = INFO  # it works with this OpenSSL: said so that a move to another one is not a surprise
            said = "here: %s" % told if told else "affects %s" % consumers  # what the installed clients do
            yield Finding(
                "env-path-invalid",
                severity,
                "%s=%s %s; %s" % (label, entry, problem or "is not usable here", said),
                {**evidence, "path": entry, "problem": problem, "clients": effects},
            )


def _unhashed_folder(facts: Facts, name: str, label: str, bundle: Bundle) -> Iterator[Finding]:
    """A folder without hash links that a client installed here takes as its CA folder, looked up by hash.

    requests (and pip, azure-core, google-auth through it) takes a folder in REQUESTS_CA_BUNDLE as `ca_cert_dir`
    and does not raise: it finds no certificate there, and fails every host. Python's own CA folders in effect
    (SSL_CERT_DIR) are the default paths' rule (`trust.capath_unhashed`); a client that reads every file of a
    folder (uv) needs no links.
    """
    if kind_of(bundle.path, bundle, facts.inventory == "light") != UNHASHED:
        return
    blind = [
        client
        for client in judge(facts)
        if client.effects.get(name) == NOTHING
        and (reading := reading_of(client, name)) is not None
        and reading.part == STORE
        and reading.folders == HASH_LOOKUP
        and reading.effect(HASHED) == LOADS
    ]
    if not blind:
        return
    replaced = [c for c in blind if c.trust.source == name]  # the folder is its whole store: it trusts nothing
    # a host whose root waits in the folder, failed by a client that reads it: the links are what that client needs
    needing = [h for h in facts.hosts if not h.ok and any(x.path == bundle.path for x in h.holders)]
    names = {c.name for c in blind}
    hurt = sorted(
        {v.name for h in needing for v in host_verdicts(h, tuple(blind)) if v.ok is False and v.name in names}
    )
    yield Finding(
        "capath-unhashed",
        ERROR if replaced or hurt else WARNING,
        "%s holds %d certificate files but no hash links, and %s=%s makes %s read it as a CA folder: OpenSSL looks "
        "certificates up there by hash and finds nothing%s"
        % (
            bundle.path,
            bundle.unlinked,
            label,
            bundle.path,
            ", ".join(c.name for c in blind),
            (" (it is the whole store of %s)" % ", ".join(c.name for c in replaced) if replaced else "")
            + (
                "; %s fail%s %s, whose root is there"
                % (", ".join(hurt), "s" if len(hurt) == 1 else "", ", ".join(h.target for h in needing))
                if hurt
                else ""
            ),
        ),
        {
            "path": bundle.path,
            "unlinked": bundle.unlinked,
            "hash_links": bundle.hash_links,
            "variable": name,
            "clients": [c.name for c in blind],
        },
    )


_STOPS = ("raises", "hangs", "aborts")  # how path_effects words a client that a value stops


def _told(effects: dict[str, str]) -> str:
    """What the value does to the clients that read it, those it stops first (`requests, pip: loads it`).

    The clients that do not read it are in the evidence only.
    """
    by_effect: dict[str, list[str]] = {}
    for name, effect in effects.items():
        if effect != "ignores it":
            by_effect.setdefault(effect, []).append(name)
    ordered = sorted(by_effect.items(), key=lambda pair: (not pair[0].startswith(_STOPS), pair[0]))
    return "; ".join(
        "%s %s" % (", ".join(names), effect) if len(names) == 1 else "%s: %s" % (", ".join(names), effect)
        for effect, names in ordered
    )


def _hurt(effects: dict[str, str]) -> bool:
    """Whether a value leaves some installed client without roots it was meant to give, or stops it."""
    return any(e.startswith(_STOPS) or e.startswith(("takes it and finds", "trusts nothing")) for e in effects.values())


def _disabled_only(facts: Facts, name: str) -> bool:
    """Whether the only clients an empty value harms are the ones it turns verification off for."""
    return any(c.trust.effect == "verification off" and c.trust.source == name for c in judge(facts))
