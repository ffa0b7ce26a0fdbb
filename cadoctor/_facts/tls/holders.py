"""A server's chain described without trusting it, and who holds the root it ends at: bundles, Mozilla's set."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable

from cadoctor._facts.certs.chain import describe
from cadoctor._facts.certs.der import MalformedDER, certificate_parts
from cadoctor._facts.certs.names import with_subject
from cadoctor._facts.certs.pem import file_holds
from cadoctor._facts.tls.verifier import verdicts
from cadoctor._locations import KNOWN_FILES
from cadoctor._model import Bundle, ChainCertificate, RootHolder


def describe_chain(ders: Iterable[bytes]) -> tuple[ChainCertificate, ...]:
    """Subject, issuer, validity and key identifiers of each certificate the server presented (read from DER)."""
    described = []
    for der in ders:
        try:
            described.append(describe(der))
        except (MalformedDER, ValueError, IndexError):
            continue
    return tuple(described)


def issuer_sought(chain: tuple[ChainCertificate, ...]) -> bytes | None:
    """The raw name of the issuer a chain ends at (the top's own, when it is a root), or None."""
    if not chain:
        return None
    try:
        parts = certificate_parts(chain[-1].der)
    except MalformedDER:
        return None
    return parts.subject if chain[-1].self_issued else parts.issuer


def sought_names(chain: tuple[ChainCertificate, ...]) -> set[bytes]:
    """The names a store must hold to anchor a chain: the issuer it ends at, and each intermediate the server sent.

    A store that trusts an intermediate (not a root) anchors the chain with VERIFY_X509_PARTIAL_CHAIN.
    """
    names: set[bytes] = set()
    sought = issuer_sought(chain)
    if sought is not None:
        names.add(sought)
    for certificate in chain[1:]:
        with contextlib.suppress(MalformedDER):
            names.add(certificate_parts(certificate.der).subject)
    return names


def partial_anchor(
    anchor_b64: str, bundles: Iterable[Bundle]
) -> tuple[ChainCertificate | None, tuple[RootHolder, ...]]:
    """The certificate a handshake anchored its chain at when it is not a root, and the stores in effect that trust it.

    Such a handshake succeeded only through VERIFY_X509_PARTIAL_CHAIN (Python 3.13+); (None, ()) when the anchor
    is a root, as it is with any default context before Python 3.13.
    """
    import binascii

    from cadoctor._facts.certs.pem import store_holds

    try:
        described = describe(binascii.a2b_base64(anchor_b64))
        parts = certificate_parts(described.der)
    except (MalformedDER, ValueError, IndexError, binascii.Error):
        return None, ()
    if described.self_issued:
        return None, ()
    holders = []
    for bundle in bundles:
        in_effect = any(role.startswith("in-effect:") for role in bundle.roles)
        if in_effect and bundle.kind in ("file", "directory") and store_holds(bundle.path, (parts.subject,)):
            holders.append(RootHolder(bundle.path, bundle.roles, True, None, True, described.subject))
    return described, tuple(holders)


def _holder_certificates(bundle: Bundle, issuer_der: bytes) -> list[bytes]:
    """A bundle's certificates named `issuer_der`, compared as OpenSSL compares names; a file from what it read.

    A bundle only looked at (a --host check's light look) holds none: the search that chose what to read in full
    looked for this very name.
    """
    if not bundle.parsed:
        return []
    if bundle.ders:  # what it was read to hold (a folder: linked, or left unlinked as a local anchor folder is)
        return with_subject(list(bundle.ders.values()), issuer_der)
    # Lazy: only a failed handshake's inventory gets here; a successful check never loads datetime and hashlib.
    from cadoctor._facts.certs.bundle import certificates_named

    return certificates_named(bundle.path, issuer_der) if bundle.kind in ("file", "directory") else []


def _identity(der: bytes) -> str | None:
    """A certificate's identity as inventories key it: its subject and key (re-issued copies compare equal)."""
    import hashlib

    try:
        parts = certificate_parts(der)
    except MalformedDER:
        return None
    return hashlib.sha256(parts.subject + parts.public_key).hexdigest()


def _chain_members(chain: tuple[ChainCertificate, ...]) -> list[tuple[str, str]]:
    """The identity and subject of each certificate the server sent above its leaf, topmost first."""
    members = []
    for certificate in reversed(chain[1:]):
        identity = _identity(certificate.der)
        if identity is not None:
            members.append((identity, certificate.subject))
    return members


def _anchor(held: list[bytes], issuer_der: bytes) -> str | None:
    """The subject of the issuer a store holds when none of its copies is self-issued (an intermediate), else None."""
    from cadoctor._facts.certs.der import name_text
    from cadoctor._facts.certs.names import same_name

    for der in held:
        with contextlib.suppress(MalformedDER):
            parts = certificate_parts(der)
            if same_name(parts.issuer, parts.subject):
                return None
    try:
        return name_text(issuer_der)
    except (MalformedDER, ValueError):
        return None


def unlinked_copies(folder: str, issuer_der: bytes) -> tuple[str, ...]:
    """The files of a hashed folder that hold the issuer alone, where no `<hash>.<n>` link for its name reaches them.

    OpenSSL looks a root up in a folder only through those links: such a file (a root copied in by hand, never
    hashed) is on disk and trusted by nothing that reads the folder. Only a file of one certificate counts: it is
    what `openssl rehash` would link (a bundle in the folder, such as ca-certificates.crt, never is).
    """
    from cadoctor._facts.certs.names import subject_hash
    from cadoctor._facts.certs.pem import pem_certificates
    from cadoctor._facts.fs.disk import CERT_SUFFIXES, DIRECTORY_LIMIT, HASH_LINK

    try:
        prefix = os.path.join(folder, subject_hash(issuer_der))
    except MalformedDER:
        return ()
    linked: set[tuple[int, int]] = set()
    for index in range(DIRECTORY_LIMIT):
        link = "%s.%d" % (prefix, index)
        if not os.path.lexists(link):
            break
        with contextlib.suppress(OSError):
            info = os.stat(link)
            linked.add((info.st_dev, info.st_ino))
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for _, e in zip(range(DIRECTORY_LIMIT), entries))
    except OSError:
        return ()
    found = []
    for name in names:
        if HASH_LINK.match(name) or not name.endswith(CERT_SUFFIXES):
            continue
        path = os.path.join(folder, name)
        ders = pem_certificates(path)  # never blocks: a FIFO or a device gives nothing
        if len(ders) != 1 or not with_subject(ders, issuer_der):
            continue
        try:
            info = os.stat(path)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) not in linked:
            found.append(path)
    return tuple(found)


def find_root_holders(
    chain: tuple[ChainCertificate, ...], bundles: Iterable[Bundle], *, verify: bool = True, strict: bool = False
) -> tuple[str | None, tuple[RootHolder, ...], bool | None]:
    """Which bundles hold the issuer the chain ends at, and whether the chain verifies against each of them.

    Each holder is asked of OpenSSL's own `X509_verify_cert` in the loaded libcrypto (the verifier the
    clients run, with its rules, not a stricter RFC 5280 reading); the name is the handshake's to judge.
    A bundle that trusts an intermediate of the path instead (the one the chain ends at, or one the server
    sent) is a holder too: it verifies only with VERIFY_X509_PARTIAL_CHAIN, which Python 3.13's default context
    sets and older ones do not (`partial_chain`, with the intermediate as `anchor`).
    Without `verify` (a chain the handshake accepted) only who holds the root is found.
    """
    issuer_der = issuer_sought(chain)
    if issuer_der is None:
        return None, (), None
    top = chain[-1]
    bundles = tuple(bundles)
    # a light look read no certificate: none of its bundles can trust one of the chain's (and hashlib stays unloaded)
    members = _chain_members(chain) if any(b.parsed for b in bundles) else []
    found: dict[str, Bundle] = {}
    roles: dict[str, tuple[str, ...]] = {}  # a file under several names (a compiled path, the OS's): every role
    anchors: dict[str, str | None] = {}  # the intermediate a holder trusts in place of a root
    unloaded: dict[str, Bundle] = {}  # files that carry the issuer where OpenSSL does not load it
    for bundle in bundles:
        real = bundle.realpath or bundle.path
        if real in found:
            roles[real] += tuple(r for r in bundle.roles if r not in roles[real])
            if "system" in bundle.roles and "system" not in found[real].roles:
                found[real] = bundle  # named as the OS names it
            continue
        held = _holder_certificates(bundle, issuer_der)
        if held:
            found[real], roles[real] = bundle, bundle.roles
            anchors[real] = None if top.self_issued else _anchor(held, issuer_der)
            continue
        if with_subject(list(bundle.dropped.values()), issuer_der):  # there, but OpenSSL never loads it
            found[real], roles[real], unloaded[real] = bundle, bundle.roles, bundle
        member = next((subject for identity, subject in members if identity in bundle.identities), None)
        if member is not None and bundle.parsed:
            found[real], roles[real], anchors[real] = bundle, bundle.roles, member
    paths = [b.path for real, b in found.items() if real not in unloaded]
    partial = verify and any(anchor is not None for anchor in anchors.values())
    checked = verdicts(tuple(c.der for c in chain), paths, strict, anchors=partial) if found and verify else ()
    by_path = {v.path: v for v in checked} if isinstance(checked, tuple) else {}
    holders = []
    for real, bundle in found.items():
        verdict = by_path.get(bundle.path)
        if real in unloaded:
            why = "; ".join(bundle.problems) or "a block of it OpenSSL skips"
            reason = "OpenSSL does not load it from there: " + why
            holders.append(RootHolder(bundle.path, roles[real], False, reason, dropped=True))
        elif not verify:
            holders.append(RootHolder(bundle.path, roles[real], None))
        elif verdict is None:  # the loaded libcrypto cannot verify offline: say why, guess nothing
            holders.append(RootHolder(bundle.path, roles[real], None, str(checked)))
        else:
            anchor = anchors.get(real) if verdict.partial_chain else None
            hashed = bundle.kind == "directory" and "local-anchors" not in roles[real]  # an anchor folder is never
            unlinked = unlinked_copies(bundle.path, issuer_der) if hashed and not verdict.ok else ()
            holders.append(
                RootHolder(
                    bundle.path, roles[real], verdict.ok, verdict.reason, verdict.partial_chain, anchor, False, unlinked
                )
            )
    public = any("certifi" in h.roles for h in holders) if holders else None
    return top.subject if top.self_issued else top.issuer, tuple(holders), public


def _names(chain: tuple[ChainCertificate, ...]) -> set[bytes]:
    """The raw subject and issuer names of a chain's certificates."""
    names: set[bytes] = set()
    for certificate in chain:
        with contextlib.suppress(MalformedDER):
            parts = certificate_parts(certificate.der)
            names.update((parts.subject, parts.issuer))
    return names


def reaches_public_roots(chain: tuple[ChainCertificate, ...], mozilla: str | None) -> bool | None:
    """Whether the chain reaches Mozilla's set: a certificate of it, or its issuer, is there (None: cannot tell).

    Any certificate counts, not only the top: a server may still send a cross-signed root whose own issuer has
    left the set (ISRG Root X1 under DST Root CA X3).
    """
    return None if mozilla is None else file_holds(mozilla, _names(chain))


def os_holders(chain: tuple[ChainCertificate, ...]) -> tuple[RootHolder, ...]:
    """The distribution's CA files that hold the chain's root: where an accepted private root came from."""
    names = _names(chain[-1:])
    return tuple(RootHolder(path, ("system",), None) for path, _ in KNOWN_FILES if file_holds(path, names))
