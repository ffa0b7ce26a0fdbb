"""The `openssl rehash` fix, made triable: for the clients a setting points at the folder, tried on a hashed copy.

The command changes the user's folder, which no trial may do, and cadoctor runs no `openssl`. What the command
makes can be built elsewhere (`_facts.certs.rehash.hashed_copy`); a client reads that copy instead of the folder
when every setting that names the folder names the copy: an environment variable in the trial's environment, a
configuration key on a copy of its file. A folder no setting names (a compiled default such as /etc/ssl/certs)
cannot be redirected so: its fix stays untried.
"""

from __future__ import annotations

import os

from cadoctor._fixes.shell import sh_quote
from cadoctor._model import Client, Facts, Fix, HostCheck
from cadoctor._record import replace
from cadoctor._rules.client_judgement import DEFAULT_KINDS, NOT_READ, reading_of, values_of
from cadoctor._rules.client_table import SETTINGS
from cadoctor._rules.client_values import SKIPPED, resolved
from cadoctor._rules.clients import host_verdicts, judge
from cadoctor._variables import CA_VARIABLES


def rehash_fix(facts: Facts, folder: str, summary: str, addresses: tuple[str, ...]) -> Fix:
    """The rehash command for `folder`, with the clients and host its trial is for when a setting names the folder.

    Its clients are those that read the folder through such a setting and fail a host whose root the folder holds;
    without them (no failing host, or only a compiled default reads the folder) it is the command alone, untried.
    """
    command = "openssl rehash %s" % sh_quote(folder)
    fix = Fix(kind="command", summary=summary, addresses=addresses, command=command, lines={"shell": command})
    host = next((h for h in facts.hosts if not h.ok and any(x.path == folder for x in h.holders)), None)
    if host is None or not naming(facts, folder):
        return fix
    clients = _failing_readers(facts, folder, host)
    if not clients:
        return fix
    return replace(fix, clients=clients, trial_host=host, rehash=folder)


def same_folder(value: str, folder: str, cwd: str | None) -> bool:
    """Whether a value names the folder, as its client resolves it (a relative one against the working folder)."""
    return bool(value) and os.path.normpath(resolved(value, cwd)) == os.path.normpath(folder)


def folder_variables(facts: Facts) -> set[str]:
    """The variables whose value is a list of folders (OpenSSL's SSL_CERT_DIR, or this build's own name for it)."""
    return {"SSL_CERT_DIR", facts.runtime.capath_env or "SSL_CERT_DIR"}


def naming(facts: Facts, folder: str) -> tuple[str, ...]:
    """The CA variables and configuration settings (by the rules' names) whose value names the folder."""
    cwd, lists = facts.runtime.cwd, folder_variables(facts)
    found = []
    for name, value in values_of(facts).items():
        if name not in SETTINGS and name not in CA_VARIABLES and name not in lists:
            continue
        entries = value.split(os.pathsep) if name in lists else [value]
        if any(same_folder(entry, folder, cwd) for entry in entries):
            found.append(name)
    return tuple(sorted(found))


def _failing_readers(facts: Facts, folder: str, host: HostCheck) -> tuple[str, ...]:
    """The clients that read the folder and would not accept the host's chain: those the links are for.

    A client reads it through a setting that names it (as its store, or on top of it: pip adds its `cert` to
    truststore's), or as the default context's CA folder.
    """
    names = set(naming(facts, folder))
    in_context = any(s.path and same_folder(s.path, folder, facts.runtime.cwd) for s in facts.runtime.capaths)
    clients = judge(facts)
    failing = {v.name for v in host_verdicts(host, clients) if v.ok is False}
    readers = []
    for client in clients:
        trust = client.trust
        own = trust.source in names or any(_reads(client, name) for name in names)
        by_context = in_context and trust.kind in DEFAULT_KINDS and not trust.own_path
        if (own or by_context) and client.name in failing:
            readers.append(client.name)
    return tuple(readers)


def _reads(client: Client, name: str) -> bool:
    """Whether the client reads the value of a variable or setting here (its row reads it, nothing earlier decided)."""
    return reading_of(client, name) is not None and client.effects.get(name) not in (None, NOT_READ, SKIPPED)
