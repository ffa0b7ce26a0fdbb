"""What one host check needs beside the handshake: its chain described, who holds its root, each store's verdict.

What is gathered follows raw conditions (the handshake succeeded; a verify code rejected the server's
certificates, or found no trusted root); what the outcome means, its `host-*` code, is `_rules.handshakes`'.
"""

from __future__ import annotations

from collections.abc import Iterable

from cadoctor._facts.tls.handshake import Handshake, reached_no_trusted_root, rejected_certificates, rejected_strictly
from cadoctor._facts.tls.holders import (
    describe_chain,
    find_root_holders,
    os_holders,
    partial_anchor,
    reaches_public_roots,
    sought_names,
)
from cadoctor._facts.tls.verifier import verdicts
from cadoctor._model import Bundle, HostCheck, RootHolder, StoreVerdict


def sought_issuers(made: Iterable[Handshake | HostCheck]) -> frozenset[bytes]:
    """The names failing handshakes need found on disk: a host check reads in full only the files holding them.

    The issuer each chain ends at, and the intermediates the server sent: a store that trusts one of those
    instead of a root anchors a partial chain. A chain the strict rules refused reached a root: which files
    supply it is what its fix names.
    """
    names: set[bytes] = set()
    for item in made:
        if isinstance(item, Handshake) and (reached_no_trusted_root(item.outcome) or rejected_strictly(item.outcome)):
            names.update(sought_names(describe_chain(item.chain)))
    return frozenset(names)


def strict_rejection(chain: tuple[bytes, ...], bundles: Iterable[Bundle]) -> tuple[str | None, bool | None]:
    """The certificate VERIFY_X509_STRICT rejects in this chain, and whether its stores accept it without any flag.

    The certificate is one the server sent, or the root a store supplies; without a flag is how a client's own
    bare context verifies. Both are asked of the stores a default context reads (its CA file and folders).
    """
    in_effect = [b for b in bundles if any(role.startswith("in-effect:") for role in b.roles)]
    sources = [b.path for b in in_effect if b.kind in ("file", "directory")]
    checked = verdicts(chain, sources, strict=True, anchors=True) if sources else ()
    if not isinstance(checked, tuple) or not checked:
        return None, None
    rejected = next((v.rejected for v in checked if not v.ok and v.rejected), None)
    return rejected, any(v.plain for v in checked)


def analyse(
    made: Handshake | HostCheck,
    bundles: Iterable[Bundle],
    stores: Iterable[str] = (),
    mozilla: str | None = None,
    strict: bool = False,
) -> HostCheck:
    """Describe a handshake's chain, find who holds a root it did not trust, and check the chain against `stores`.

    `stores` are the CA files the clients of the examined Python use (certifi, their own bundles, the files
    their variables name): the chain this one connection received is verified against each, offline.
    `mozilla` is a copy of Mozilla's root set: whether an accepted chain's root is in it, and if not, who here
    holds it (an interception's root). With a full inventory (`bundles`), who holds an accepted chain's root is
    found and checked offline whatever the root: a fix for a client that refuses the chain may name only a store
    proven to verify it. `strict`: the examined Python is 3.13 or later, whose default context
    verifies strictly (so do the checks). The record leaves `code` and `missing_issuer` to the rules.
    """
    if isinstance(made, HostCheck):
        return made
    bundles = tuple(bundles)
    outcome = made.outcome
    accepted = bool(outcome.get("ok"))
    checked: tuple[StoreVerdict, ...] | str = ()
    cafiles = list(stores)
    if cafiles and (accepted or rejected_certificates(outcome)):  # each answer with and without the default flags
        checked = verdicts(made.chain, cafiles, strict, anchors=True)
    chain = describe_chain(made.chain)
    top_issuer: str | None = None
    holders: tuple[RootHolder, ...] = ()
    public: bool | None = None
    anchored: str | None = None
    strictly: str | None = None
    plain: bool | None = None  # the default context's stores without its flags, where a flag decided the outcome
    if rejected_strictly(outcome):  # which certificate the strict rules refused, asked of the stores in effect
        strictly, plain = strict_rejection(made.chain, bundles)
        if strictly is not None and chain and not any(c.subject == strictly for c in chain):
            # a root a store supplies, not the server: the files that hold it are what its fix must name
            top_issuer, holders, _ = find_root_holders(chain, bundles, verify=False)
            public = reaches_public_roots(chain[-1:], mozilla)
    if reached_no_trusted_root(outcome):
        top_issuer, holders, public = find_root_holders(chain, bundles, strict=strict)
    elif accepted and outcome.get("anchor"):  # verified up to an intermediate: only PARTIAL_CHAIN let it through
        anchor, holders = partial_anchor(outcome["anchor"], bundles)
        if anchor is not None:
            anchored, top_issuer, plain = anchor.subject, anchor.issuer, False
    if anchored is None and accepted and chain:  # is its root a public one, or a private root trusted here?
        whole = outcome.get("chain_whole") is not False or len(chain) > 1 or chain[0].self_issued
        public = reaches_public_roots(chain, mozilla) if whole else None
        if bundles:  # a full inventory: where a client that refuses the chain could find its root, proven
            top_issuer, holders, _ = find_root_holders(chain, bundles, strict=strict)
        if public is False:
            top_issuer = top_issuer or (chain[-1].subject if chain[-1].self_issued else chain[-1].issuer)
            holders = holders or os_holders(chain)
    return HostCheck(
        target=made.target,
        host=made.host,
        port=made.port,
        server_name=made.host,
        proxy=outcome.get("proxy"),
        ok=accepted,
        stage=str(outcome.get("stage")),
        code=None,
        error=outcome.get("error"),
        error_type=outcome.get("error_type"),
        reason=outcome.get("reason"),
        verify_code=outcome.get("verify_code"),
        verify_message=outcome.get("verify_message"),
        protocol=outcome.get("protocol"),
        seconds=outcome.get("handshake_seconds"),
        chain=chain,
        top_issuer=top_issuer,
        holders=holders,
        public_root=public,
        partial_anchor=anchored,
        strict_rejected=strictly,
        stores=checked if isinstance(checked, tuple) else (),
        stores_problem=checked if isinstance(checked, str) else None,
        default_plain=plain,
    )
