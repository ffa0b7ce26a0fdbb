"""What an environment change leaves each client trusting, judged by the client rules table as if it were made.

A fix is for the clients it moves onto the store it names, and for no other. Whether a setting moves a client is
the client's own precedence and semantics, as the rules table records them, not a guess per client: uv with
UV_SYSTEM_CERTS on still replaces the OS store with a file SSL_CERT_FILE names (and refuses to start on an empty
one), requests reads REQUESTS_CA_BUNDLE before CURL_CA_BUNDLE. So the clients are judged again on the environment
with the change applied, the file the fix writes described from the files it joins, and a client that does not
land on the store is not one the fix may claim. The trial then asks the clients themselves.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping

from cadoctor._fixes.bundles import hashed_files
from cadoctor._model import Bundle, Client, Facts
from cadoctor._record import replace
from cadoctor._rules.client_judgement import DEFAULT_KINDS
from cadoctor._rules.client_table import SYSTEM
from cadoctor._rules.clients import judge


def joined_store(facts: Facts, path: str, parts: tuple[str, ...], also: tuple[Bundle, ...] = ()) -> Bundle:
    """The file a fix writes by joining `parts`, as the rules would see it once written: a file of certificates.

    Every part was proven to hold certificates (the root, the public roots); what the inventory read of each
    (a hashed folder's part: of its folder), or `also` for a part read apart from it, says which.
    """
    identities: frozenset[str] = frozenset()
    certificates = 0
    for part in parts:
        bundle = facts.bundle(os.path.dirname(part) if hashed_files(part) else part)
        bundle = bundle if bundle is not None else next((b for b in also if b.path == part), None)
        if bundle is not None and bundle.kind == "file":
            identities |= bundle.identities
            certificates += bundle.certificates
    return Bundle(path, ("fix",), "file", "regular", certificates=max(1, certificates), identities=identities)


def changed(facts: Facts, change: Mapping[str, str | None], store: Bundle | None = None) -> Facts:
    """The facts as they would be with the change made: its variables set or unset, the file it writes there."""
    environment = dict(facts.runtime.environment)
    for name, value in change.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    bundles = facts.bundles
    if store is not None and facts.bundle(store.path) is None:
        bundles = (*bundles, store)
    return replace(facts, runtime=replace(facts.runtime, environment=environment), bundles=bundles)


def judged_after(facts: Facts, change: Mapping[str, str | None], store: Bundle | None = None) -> dict[str, Client]:
    """Every client, by name, judged on the environment with the change made."""
    return {client.name: client for client in judge(changed(facts, change, store))}


def lands(client: Client, path: str, os_store: bool) -> bool:
    """Whether a client, judged after a change, trusts the file at `path` (or the OS store, when that is the file).

    A client on Python's default paths trusts what the probe resolved: the variables that move those paths are
    OpenSSL's, which reads them as the rules say, so it lands when nothing stops it.
    """
    trust = client.trust
    if trust.effect is not None or trust.kind == "missing":
        return False
    if trust.path == path or path in trust.also:
        return True
    if trust.kind == SYSTEM and os_store:
        return True  # a switch to the OS store, which holds the root
    return trust.kind in DEFAULT_KINDS and not trust.own_path


def landing(
    facts: Facts,
    change: Mapping[str, str | None],
    path: str,
    os_store: bool,
    names: Collection[str],
    store: Bundle | None,
) -> list[str]:
    """The clients of `names` that the change moves onto the file at `path`, in the order given."""
    after = judged_after(facts, change, store)
    return [name for name in names if name in after and lands(after[name], path, os_store)]
