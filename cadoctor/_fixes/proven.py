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
from cadoctor._rules.public_roots import lacks_public_roots, public_reference
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
        read: What the file holds, read here, when the check's inventory did not (a file inside a folder).

    """

    path: str
    parts: tuple[str, ...]
    holder: str
    system: bool
    public: bool
    read: Bundle | None = None


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
    if not stores:
        stores = {store.path: store for store in _inside_folders(facts, host)}
    return list(stores.values())[:CANDIDATES]


def _inside_folders(facts: Facts, host: HostCheck) -> list[ProvenStore]:
    """A file that holds the root inside a folder OpenSSL cannot look it up in (unhashed, a local anchor folder).

    The folder does not verify the chain, but a file in it may: each is verified on its own by the loaded
    libcrypto, and one that does is a store, joined with the public roots when it lacks them and some are on
    this host. Where none is, it is the store alone: the clients it serves had no public root to lose (where one
    was only looked at, not read, no such file is offered).
    """
    issuer = issuer_sought(host.chain)
    folders = [h for h in host.holders if h.verifies is not True and _is_folder(facts, h.path)]
    if issuer is None or not folders:
        return []
    from cadoctor._facts.certs.bundle import inventory_bundle  # parsing: only when no holder serves as it is
    from cadoctor._facts.tls.verifier import verdicts

    stores = []
    public = best_bundle(facts)
    # a check with --host reads in full only where the root is: an OS bundle only looked at is public roots all the
    # same, which a file alone would lose for every client pointed at it, and an unread file is never tried
    unread = public is None and best_bundle(facts, unread=True) is not None
    for folder in folders:
        for path in _files_holding(folder.path, issuer):
            bundle = inventory_bundle(path, ("holder",), facts.runtime.euid)
            if not trustworthy(bundle):
                continue
            checked = verdicts(tuple(c.der for c in host.chain), [path], _strict(facts))
            if isinstance(checked, str) or not all(v.ok for v in checked):
                continue
            system = "system" in folder.roles
            if public_reference(facts) is not None and not lacks_public_roots(facts, bundle):
                stores.append(ProvenStore(path, (), path, system, True, bundle))
            elif public is not None:
                stores.append(ProvenStore(joined_path(path), (public.path, path), path, system, False, bundle))
            elif not unread:
                stores.append(ProvenStore(path, (), path, system, False, bundle))
    return stores


def _is_folder(facts: Facts, path: str) -> bool:
    """Whether a holder is a folder of the inventory."""
    bundle = facts.bundle(path)
    return bundle is not None and bundle.kind == "directory" and not has_control(path)


FILES_LOOKED_AT = 200  # files of one folder read for the root: an anchor folder holds a few


def _files_holding(folder: str, issuer: bytes) -> list[str]:
    """The regular files of a folder (not its hash links) that hold a certificate named `issuer`, as OpenSSL loads."""
    from cadoctor._facts.certs.pem import file_holds

    found = []
    try:
        with os.scandir(folder) as entries:
            files = sorted(e.path for e in entries if e.is_file() and not _hash_link(e.name))
    except OSError:
        return []
    for path in files[:FILES_LOOKED_AT]:
        if not has_control(path) and file_holds(path, (issuer,)):
            found.append(path)
    return found


def _hash_link(name: str) -> bool:
    """Whether a folder entry is named as OpenSSL's hash links are (`<8 hex>.<n>`)."""
    stem, _, number = name.partition(".")
    return len(stem) == 8 and all(c in "0123456789abcdef" for c in stem) and number.isdigit()


def _strict(facts: Facts) -> bool:
    """Whether the examined Python verifies strictly by default (3.13 and later)."""
    parts = facts.runtime.python_version.split(".")[:2]
    return len(parts) == 2 and all(p.isdigit() for p in parts) and (int(parts[0]), int(parts[1])) >= (3, 13)


def os_store_holds(host: HostCheck) -> bool:
    """Whether the OS store is among the holders the chain verified against."""
    return any(h.verifies is True and "system" in h.roles for h in host.holders)


def _as_it_is(facts: Facts, host: HostCheck, holder: RootHolder, bundle: Bundle) -> ProvenStore | None:
    """A file that holds the root and the public roots (or any, where no bundle of public roots is here): as it is."""
    if bundle.kind != "file" or not trustworthy(bundle) or lacks_public_roots(facts, bundle):
        return None
    public = public_reference(facts) is not None  # else nothing here to judge it by, nor to join it with
    return ProvenStore(bundle.path, (), holder.path, "system" in holder.roles, public)


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
