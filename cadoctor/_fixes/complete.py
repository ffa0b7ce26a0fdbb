"""A fix for a client must leave it on a store that verifies the host, whatever else decides its store.

Unsetting a value that breaks a client (an empty CURL_CA_BUNDLE that turns requests' verification off, a missing
SSL_CERT_FILE that stops uv) hands the client back to the next source in its precedence: its default store, which
may lack the root the host needs (certifi lacks a private CA the OS store holds). The clients are judged again on
the environment with the fix made; any the fix is for that would then still not verify the host's chain, by a
store proven to verify it, are pointed at such a store by the same fix, with the settings their own precedence
reads (`reach.py`). The trial then asks them.
"""

from __future__ import annotations

from cadoctor._fixes.after import changed, joined_store, landing
from cadoctor._fixes.bundles import joined_lines
from cadoctor._fixes.proven import proven_stores
from cadoctor._fixes.reach import cover
from cadoctor._fixes.shell import env_lines
from cadoctor._model import Facts, Fix, HostCheck, StoreVerdict
from cadoctor._record import replace
from cadoctor._rules.clients import host_verdicts, judge


def _proven(host: HostCheck) -> HostCheck:
    """The host with every store its chain was proven against, the holders' own verdicts included."""
    extra = tuple(StoreVerdict(h.path, bool(h.verifies), h.reason) for h in host.holders if h.verifies is not None)
    return replace(host, stores=(*host.stores, *extra))


def completed(facts: Facts, fix: Fix) -> Fix:
    """The fix, with the settings that point each client it is for at a proven store where it would not verify."""
    host = fix.trial_host
    if fix.kind != "env" or not fix.env or host is None or not fix.clients or fix.merge:
        return fix
    after_facts = changed(facts, fix.env)
    after = judge(after_facts)
    verdicts = {v.name: v.ok for v in host_verdicts(_proven(host), after)}
    wanting = [c for c in after if c.name in fix.clients and verdicts.get(c.name) is not True]
    if not wanting:
        return fix
    names = [c.name for c in wanting]
    for store in proven_stores(facts, host):
        reached = cover(wanting, after, after_facts, os_store=store.system, overwrite=True)
        if reached.unreached or not reached.served or set(reached.served) & set(fix.env):
            continue  # a client left out, or a setting the fix itself changes: not this way
        addition = reached.change(store.path)
        change = {**fix.env, **addition}
        read = (store.read,) if store.read is not None else ()
        written = joined_store(facts, store.path, store.parts, read) if store.parts else store.read
        if landing(facts, change, store.path, store.system, names, written) != names:
            continue
        proof = "the OS store" if store.system else store.holder
        return replace(
            fix,
            summary="%s; and point %s at %s (%s verified the chain of %s): what %s would use otherwise was not shown to"
            % (fix.summary, " and ".join(addition), store.path, proof, host.target, ", ".join(names)),
            env=change,
            lines=joined_lines(store.parts, store.path, change) if store.parts else env_lines(change),
            merge=store.parts,
            guards=tuple(dict.fromkeys((*fix.guards, *(g for g in reached.touched if g not in fix.clients)))),
        )
    return fix
