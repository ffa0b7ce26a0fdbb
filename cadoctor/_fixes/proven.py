"""The stores proven to verify a host's chain: the only ones a fix for that host may point a client at.

A fix is evidence, never an item from a menu. Its candidates are the files and folders on disk that hold the
root a host's chain ends at and against which OpenSSL's own verifier, in the loaded libcrypto, accepted the
chain (`HostCheck.holders`): the OS store, the file SSL_CERT_FILE names, a hashed folder, any bundle a variable
names. A client's variable replaces the client's whole store, so the file it names must keep the public roots
too: a holder that holds only the private root is joined with the public roots first, and the fix's own lines
write that file (the trial writes the same bytes in a scratch folder and tries them).
"""

from __future__ import annotations

import os

from cadoctor._facts.certs.names import subject_hash
from cadoctor._facts.tls.holders import issuer_sought
from cadoctor._fixes.bundles import HASHED_FILES, best_bundle, trustworthy
from cadoctor._model import Bundle, Facts, HostCheck, RootHolder
from cadoctor._record import record, replace
from cadoctor._rules.public_roots import lacks_public_roots
from cadoctor._text import has_control

CANDIDATES = 2  # stores tried per host: each is a child making real requests, and the first usually serves


@record
class ProvenStore:
    """One CA file to point clients at, and the holder on disk that proved it.

    Attributes:
        path: The file a variable names: the holder itself, or the joined file `parts` make.
        parts: Files joined, in this order, into `path` before it is named (empty: `path` is there already). A
            part ending in `<hash>.[0-9]*` is a hashed folder's certificate files for that subject hash.
        holder: The file or folder whose offline verification proved the chain.
        system: The holder is the OS store (so truststore, and a switch to the OS store, reach the root too).
        public: The holder keeps the public roots itself (nothing had to be joined for them).

    """

    path: str
    parts: tuple[str, ...]
    holder: str
    system: bool
    public: bool


def proven_stores(facts: Facts, host: HostCheck) -> list[ProvenStore]:
    """The files that hold the host's root, proven by verifying its chain, best first, at most `CANDIDATES`.

    Files that keep the public roots, as they are (the OS's own bundle first); else a private file joined with the
    public roots; else a hashed folder's copy of the root joined with them.
    """
    verified = [h for h in host.holders if h.verifies is True]
    ranked = sorted(verified, key=lambda h: "system" not in h.roles)
    stores: dict[str, ProvenStore] = {}
    for step in (_as_it_is, _joined_file, _joined_folder):
        for holder in ranked:
            bundle = facts.bundle(holder.path)
            store = step(facts, host, holder, bundle) if bundle is not None else None
            if store is not None:
                stores.setdefault(store.path, store)
        if stores:  # a file to join is written by the user: only when no file here serves as it is
            break
    return list(stores.values())[:CANDIDATES]


def os_store_holds(host: HostCheck) -> bool:
    """Whether the OS store is among the holders the chain verified against."""
    return any(h.verifies is True and "system" in h.roles for h in host.holders)


def _as_it_is(facts: Facts, host: HostCheck, holder: RootHolder, bundle: Bundle) -> ProvenStore | None:
    """A file that holds the root and the public roots: named as it is."""
    if bundle.kind != "file" or not trustworthy(bundle) or lacks_public_roots(facts, bundle):
        return None
    return ProvenStore(bundle.path, (), holder.path, "system" in holder.roles, True)


def _joined_file(facts: Facts, host: HostCheck, holder: RootHolder, bundle: Bundle) -> ProvenStore | None:
    """A file that holds only private roots: joined after the public roots, in a file beside it."""
    if bundle.kind != "file" or not trustworthy(bundle) or not lacks_public_roots(facts, bundle):
        return None
    public = best_bundle(facts, exclude=bundle.path)
    if public is None:
        return None
    return ProvenStore(
        joined_path(bundle.path), (public.path, bundle.path), holder.path, "system" in holder.roles, False
    )


def _joined_folder(facts: Facts, host: HostCheck, holder: RootHolder, bundle: Bundle) -> ProvenStore | None:
    """A hashed folder: the files its hash links name for the root's subject, joined after the public roots.

    A folder works only for the clients that take one (and each differently); a file works for every client.
    """
    if bundle.kind != "directory" or has_control(bundle.path) or bundle.exposures:
        return None
    issuer = issuer_sought(host.chain)
    public = best_bundle(facts)
    if issuer is None or public is None:
        return None
    part = os.path.join(bundle.path, subject_hash(issuer) + HASHED_FILES)
    folder = bundle.path.rstrip("/") or "/"
    return ProvenStore(folder + "+public-roots.pem", (public.path, part), holder.path, "system" in holder.roles, False)


def joined_path(private: str) -> str:
    """Where the joined file of a private CA's file and the public roots goes: beside it, named after it."""
    stem, _ = os.path.splitext(private)
    return stem + "+public-roots.pem"


def keeping(facts: Facts, store: ProvenStore, kept: list[str]) -> ProvenStore:
    """The store joined with the files variables the fix re-points name now: what they trusted stays trusted.

    Public bundles (the OS's, certifi's) are not kept apart: the public roots are in the store already, or joined.
    """
    own = [
        path
        for path in dict.fromkeys(kept)
        if path not in (store.path, store.holder, *store.parts)
        and (bundle := facts.bundle(path)) is not None
        and trustworthy(bundle)
        and not {"system", "certifi"} & set(bundle.roles)
    ]
    if not own:
        return store
    parts = (*own, *(store.parts or (store.path,)))
    stem, _ = os.path.splitext(own[0])
    return replace(store, path="%s+%s.pem" % (stem, _stem(store.holder)), parts=parts)


def _stem(path: str) -> str:
    """A file's or folder's name without its extension."""
    return os.path.splitext(os.path.basename(path.rstrip("/")))[0] or "store"
