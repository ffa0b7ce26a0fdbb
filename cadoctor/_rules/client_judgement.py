"""Each client's store, by its row of the rules table and the values of the variables and settings it reads.

A client's store comes from its row: its default, a switch that moves it to another row (a mode), an injector,
and each CA variable or setting it reads, kind of value by kind of value, in its order of precedence. The kind
comes from the facts of the value (a file with certificates, a missing path, a hashed folder, a FIFO, ...), so a
client that would raise, hang or stop verifying on a value is judged so, and is never shown as "ok".

The default itself comes from the client's own resolver where discovery could read it (`Distribution.store`:
Debian's `where()` names the OS bundle, a slimmed image's certifi a file that is gone, Debian's urllib3 a bundle
it hard-wires); the row's model decides only where the resolver's source did not make it certain. A default
store that cannot be loaded stops the client as a value would: it raises at its first request.
"""

from __future__ import annotations

import os
import re

from cadoctor._model import Bundle, Client, ClientTrust, Distribution, Facts, Injector
from cadoctor._record import record, replace
from cadoctor._rules.client_readings import DEFAULT_STORE, OPENSSL_READINGS
from cadoctor._rules.client_table import (
    CERTIFI,
    CERTIFI_OR_OPENSSL,
    COMPILED_IN,
    OPENSSL,
    OWN,
    OWN_OR_CERTIFI,
    SETTINGS,
    STDLIB,
    SYSTEM,
    TRUSTSTORE,
    ClientRule,
    mode,
    rule_for,
    rules_for,
    version_key,
)
from cadoctor._rules.client_values import (
    ABORTS,
    BREAKS,
    EVERY_FILE,
    FAILS_CLOSED,
    HANGS,
    HASHED,
    LOADS,
    MISSING,
    NO_VERIFICATION,
    NOTHING,
    RAISES,
    SKIPPED,
    STORE,
    UNHASHED,
    UNKNOWN,
    WORKING_DIRECTORY,
    Reading,
    kind_of,
    resolved,
    says,
)
from cadoctor._rules.store_files import in_archive, store_problem

_TRUE = ("1", "true", "yes", "on")
KINDS_WITH_OWN_COPY = (CERTIFI, OWN, COMPILED_IN, "variable")
DEFAULT_KINDS = (OPENSSL, TRUSTSTORE, SYSTEM)  # stores the default context's handshake speaks for
NOT_READ = "not read"  # a value the client would read, left unread because an earlier source decided
SILENCED = "ignores it (pip-system-certs before 5 clears it on every connection)"  # read, then cleared
_ON_REQUESTS = ("requests", "pip")  # clients that make their requests with (a vendored) requests


def value_of(facts: Facts, name: str) -> str | None:
    """A CA variable's or configuration setting's value, by the name the rules use; None when it is not set."""
    if name in SETTINGS:
        client, key = SETTINGS[name]
        found = [s for s in facts.settings if (s.client, s.key) == (client, key)]
        return found[-1].value if found else None  # the file read last wins, as each client reads them
    return facts.runtime.environment.get(name)


def values_of(facts: Facts) -> dict[str, str]:
    """The CA variables and configuration keys set to something, by the names the rules use."""
    values = {k: v for k, v in facts.runtime.environment.items() if v}
    for name in SETTINGS:
        value = value_of(facts, name)
        if value:
            values[name] = value
    return values


def shown(value: str) -> str:
    """A value as a finding shows it: an empty one as ''."""
    return value if value else "''"


def _count(bundle: Bundle | None) -> int | None:
    """A store's certificate count, None where it was not read (a light look)."""
    return bundle.certificates if bundle is not None and bundle.parsed else None


def _in_effect(facts: Facts) -> str | None:
    """The default context's CA file, else its first CA folder: what names Python's own store."""
    runtime = facts.runtime
    return runtime.cafile.path if runtime.cafile else (runtime.capaths[0].path if runtime.capaths else None)


def _system_file(facts: Facts) -> Bundle | None:
    """The OS's CA bundle file, as a library that reads the OS store itself finds it (the first known one)."""
    return next((b for b in facts.bundles if "system" in b.roles and b.kind == "file"), None)


def _default_paths_exist(facts: Facts) -> bool:
    """Whether the default context's CA file exists, or a CA folder of it does (truststore's own test)."""
    runtime = facts.runtime
    cafile = facts.bundle(runtime.cafile.path) if runtime.cafile else None
    folders = [facts.bundle(c.path) for c in runtime.capaths]
    if facts.inventory == "light" and cafile is None:
        return True  # not looked at: a light look takes the sources in effect at their word
    folder = any(b is not None and b.kind == "directory" for b in folders)
    return (cafile is not None and cafile.kind == "file") or folder


def _defaults_hold_any(facts: Facts) -> bool:
    """Whether OpenSSL's default paths give a context any certificate (trust-store-empty's question, per client).

    A context made there says so; read from files, the CA file's certificates or a CA folder's working links do.
    """
    runtime = facts.runtime
    if runtime.context_loaded > 0 or facts.inventory == "light":
        return True
    cafile = facts.bundle(runtime.cafile.path) if runtime.cafile else None
    folders = [facts.bundle(c.path) for c in runtime.capaths]
    return bool(cafile is not None and cafile.certificates) or any(b is not None and b.working_links for b in folders)


def _store_of(kind: str, facts: Facts, own: str | None) -> ClientTrust:
    """Where a default store of that kind lives in the examined environment."""
    runtime = facts.runtime
    if kind == CERTIFI_OR_OPENSSL:
        kind = CERTIFI if runtime.certifi else OPENSSL
    if kind == TRUSTSTORE and not _default_paths_exist(facts):
        system = _system_file(facts)  # truststore's _configure_context falls back to the first OS bundle there is
        if system is not None:
            return ClientTrust(kind, system.path, _count(system), "default", own_path=True)
    if kind == SYSTEM:
        system = _system_file(facts)
        if system is not None:
            return ClientTrust(kind, system.path, _count(system), "default", own_path=True)
    if kind in DEFAULT_KINDS:
        path = _in_effect(facts)
        return ClientTrust(kind, path, _count(facts.bundle(path)), "default")
    if kind == OWN_OR_CERTIFI:
        kind, own = (CERTIFI, runtime.certifi) if runtime.certifi else (OWN, own)
    if kind == COMPILED_IN:
        return ClientTrust(kind, None, None, "default", stand_in=facts.mozilla)
    path = runtime.certifi if kind == CERTIFI else own
    if kind in (CERTIFI, OWN) and path is None:
        return ClientTrust("missing", None, 0, "default")
    return ClientTrust(kind, path, _count(facts.bundle(path)), "default")


# Defaults a client's own resolver can name a file for (or, for a transport on urllib3, no file: the defaults).
_RESOLVED = (CERTIFI, OWN, OWN_OR_CERTIFI, CERTIFI_OR_OPENSSL, OPENSSL)


def _resolver(rule: ClientRule, distribution: Distribution | None, facts: Facts) -> Distribution | None:
    """The distribution whose own resolver names this client's default store: its own, or its transport's.

    google-auth's and azure-core's requests transport trust what requests' `where()` names.
    """
    if distribution is None or not rule.via:
        return distribution
    return next((d for d in facts.distributions if d.name == rule.via), None)


def _default(rule: ClientRule, distribution: Distribution | None, facts: Facts) -> tuple[str, str | None, str | None]:
    """The client's default store: (its kind, the file, how it was decided), its resolver's answer first.

    A resolver that names a file decides (certifi's when it is the file certifi's `where()` names, else the
    client's own: Debian's pip and urllib3 name the OS bundle); one that names no file leaves a transport on
    urllib3 with the ssl module's defaults; where the source did not make it certain, the row's model decides.
    """
    own = distribution.bundle if distribution is not None else None
    resolver = _resolver(rule, distribution, facts)
    if resolver is None or rule.default not in _RESOLVED or resolver.store_kind not in ("file", OPENSSL):
        return rule.default, own, None
    decided = "%s: %s" % (resolver.name, resolver.store_decided) if resolver.store_decided else None
    if resolver.store_kind == OPENSSL:
        kind = OPENSSL if rule.default in (CERTIFI_OR_OPENSSL, OPENSSL) else rule.default
        return kind, own, decided if kind == OPENSSL else None
    if resolver.store is None:
        return rule.default, own, None
    kind = CERTIFI if resolver.store == facts.runtime.certifi else OWN
    return kind, resolver.store, decided


# requests before 2.33 copies a default bundle that lies inside a zip archive out to a temporary file
# (requests/utils.py extract_zipped_paths, called on DEFAULT_CA_BUNDLE_PATH by adapters.py cert_verify and the
# preloaded context of 2.32); 2.33 dropped it, and the path reaches OpenSSL as it is. pip vendors 2.32 or older.
_EXTRACTS_UNTIL = (2, 33)


def extracts_zipped(rule: ClientRule, version: str, facts: Facts) -> bool:
    """Whether this client's requests copies a default bundle out of the zip archive it lies in."""
    if rule.distribution == "pip":
        return True
    if rule.distribution == "requests":
        return version_key(version) < _EXTRACTS_UNTIL
    if rule.via == "requests":
        requests = next((d for d in facts.distributions if d.name == "requests"), None)
        return requests is not None and version_key(requests.version) < _EXTRACTS_UNTIL
    return False


# certifi's where() from 2020 on (`_CACERT_PATH`) takes its file from importlib.resources: on Python 3.11 and later
# `as_file(files(...))` names it unchecked, before 3.11 `path()` raises FileNotFoundError when it is gone. requests
# (requests/utils.py DEFAULT_CA_BUNDLE_PATH) and httplib2 (httplib2/__init__.py CA_CERTS), pip with its vendored
# pair, and the transports that import requests call where() when they are imported: the import fails, and no CA
# variable can save them (measured on 3.9 with certifi 2026.10 and requests 2.32.5: REQUESTS_CA_BUNDLE set, X).
_WHERE_AT_IMPORT = ("requests", "httplib2", "pip")
AT_IMPORT = (
    "certifi's where() raises FileNotFoundError for its missing file on this Python (before 3.11), and this client "
    "calls it when it is imported: it fails at import whatever CA variable is set"
)


def raises_at_import(rule: ClientRule, default: ClientTrust, facts: Facts) -> bool:
    """Whether the client fails at import: its certifi's where() raises for the missing default store it names."""
    if rule.distribution not in _WHERE_AT_IMPORT and rule.via != "requests":
        return False
    if (
        default.kind not in (CERTIFI, OWN)
        or not default.path
        or "where() returns _CACERT_PATH" not in (default.decided or "")
    ):
        return False
    if not facts.runtime.python_version or version_key(facts.runtime.python_version)[:2] >= (3, 11):
        return False
    bundle = facts.bundle(default.path)
    return bundle is not None and kind_of(default.path, bundle, facts.inventory == "light") == MISSING


def _loaded(trust: ClientTrust, facts: Facts, extracts: bool = False) -> ClientTrust:
    """A default store that cannot be loaded stops the client: it raises at its first request, or hangs on it.

    Only a store that was looked at counts (a light look, or recorded facts, may not have it). A store inside a
    zip archive is loaded by a client that copies it out first (`extracts`: requests before 2.33); what it holds
    is not read here, so the hosts it verifies stay unknown.
    """
    if trust.source != "default" or trust.effect or trust.kind not in (CERTIFI, OWN) or not trust.path:
        return trust
    bundle = facts.bundle(trust.path)
    if bundle is None or (extracts and in_archive(trust.path, bundle) is not None):
        return trust
    effect = DEFAULT_STORE.effect(kind_of(trust.path, bundle, facts.inventory == "light"))
    return trust if effect in (LOADS, UNKNOWN) else replace(trust, effect=effect)


def _through(rule: ClientRule, facts: Facts) -> ClientRule:
    """A client built on another library takes that library's readings, as its installed version reads them."""
    if not rule.via:
        return rule
    library = next((d for d in facts.distributions if d.name == rule.via), None)
    used = rule_for(rule.via, library.version, facts.runtime.python_version) if library else None
    if used is None:
        return rule
    return replace(rule, default=used.default, readings=used.readings, first_only=used.first_only, adds=used.adds)


def _switched(rule: ClientRule, facts: Facts) -> tuple[ClientRule, str | None]:
    """The row a switch that is on moves the client to, and the switch as it was set (None: no switch is on)."""
    for variable, family, word in rule.switches:
        value = (value_of(facts, variable) or "").strip()
        lowered = value.lower()
        on = word in re.split(r"[\s,]+", lowered) if word else lowered in _TRUE
        moved = mode(family) if on else None
        if moved is not None:
            return moved, "%s=%s" % (variable, value)
    return rule, None


def _refused(rule: ClientRule, facts: Facts) -> str | None:
    """The variable naming a word this version of the client does not know (it stops at start), or None."""
    installed = {d.name for d in facts.distributions}
    for variable, word, unless in rule.refuses:
        if unless in installed:
            continue
        if word in re.split(r"[\s,]+", (value_of(facts, variable) or "").strip().lower()):
            return variable
    return None


def clearing(facts: Facts) -> Injector | None:
    """pip-system-certs before 5, when it is installed: it clears `ca_certs` on every connection of requests."""
    for injector in facts.injectors:
        installed = next((d for d in facts.distributions if d.name == injector.name), None)
        if injector.name == "pip-system-certs" and installed is not None and version_key(installed.version) < (5,):
            return injector
    return None


def cleared_by_injector(rule: ClientRule, facts: Facts) -> bool:
    """Whether an injector makes this client ignore the CA values it reads.

    A client on requests, under pip-system-certs before 5: `verify=`, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE and
    PIP_CERT are cleared.
    """
    return (
        rule.ssl_module
        and clearing(facts) is not None
        and (rule.distribution in _ON_REQUESTS or rule.via == "requests")
    )


def _injected(rule: ClientRule, trust: ClientTrust, facts: Facts) -> tuple[ClientTrust, bool, str | None]:
    """What a `.pth` injector makes of a client's store: (store, whether its CA values still count, the note).

    truststore (pip-system-certs 5 injects it) makes every `ssl` context the OS store's, and what a client
    loads into it is added; pip-system-certs before 5 instead clears `ca_certs` on every connection of requests,
    so the values a client on requests reads never count.
    """
    injector = facts.injectors[0] if facts.injectors and rule.ssl_module else None
    if injector is None:
        return trust, True, None
    if clearing(facts) is injector and not cleared_by_injector(rule, facts):
        return trust, True, None  # before 5 it patches requests alone: httpx, botocore, ... keep their own stores
    store = replace(_store_of(TRUSTSTORE, facts, None), certificates=None, source=injector.path)
    if trust.kind != OPENSSL and not store.own_path:
        store = replace(store, path=None)  # the OS store, asked on demand: no file of its own to name
    forced = cleared_by_injector(rule, facts)
    note = "%s injects truststore at every start (%s)" % (injector.name, injector.path)
    if forced:
        note += "; before 5 it clears ca_certs on every connection: the CA variables do not count"
    return store, not forced, note


@record
class Taken:
    """A value a client took: what it did with it, the paths it loaded, its kind."""

    reading: Reading
    value: str
    effect: str
    paths: tuple[str, ...]
    kind: str


def _effect(reading: Reading, value: str, facts: Facts) -> Taken:
    """What the client does with a value (for a list of folders, with each), and the paths it loads."""
    entries = [e for e in value.split(os.pathsep) if e] if reading.listed and value else [value]
    outcomes: list[tuple[str, str, str]] = []  # (effect, path, kind)
    for entry in entries or [value]:
        path = resolved(entry, facts.runtime.cwd)
        bundle = facts.bundle(path) or facts.bundle(entry)
        kind = kind_of(entry, bundle, facts.inventory == "light")
        effect = reading.effect(kind)
        if effect == WORKING_DIRECTORY:
            path = facts.runtime.cwd or "."
        outcomes.append((effect, path, kind))
    broken = next((o for o in outcomes if o[0] in BREAKS), None)
    if broken is not None:
        return Taken(reading, value, broken[0], (broken[1],), broken[2])
    loaded = [o for o in outcomes if o[0] in (LOADS, WORKING_DIRECTORY, UNKNOWN)]
    if loaded:
        return Taken(reading, value, loaded[0][0], tuple(o[1] for o in loaded), loaded[0][2])
    return Taken(reading, value, outcomes[0][0], (), outcomes[0][2])


def _judge_one(name: str, version: str, rule: ClientRule, facts: Facts, distribution: Distribution | None) -> Client:
    """One client's store, notes and what it does with each value it reads, by its row and the environment."""
    rule = _through(rule, facts)
    refused = _refused(rule, facts)  # by the version's own row: a switch it refuses moves it nowhere
    rule, switch = _switched(rule, facts)
    notes: list[str] = []
    kind, own, decided_by = _default(rule, distribution, facts)
    trust = initial = replace(_store_of(kind, facts, own), decided=decided_by)
    if switch is not None:
        trust = replace(trust, source="switch")
        notes.append("%s moves it to %s" % (switch, rule.family))
    trust, counted, injected = _injected(rule, trust, facts)
    if injected is not None:
        notes.append(injected)
        if not any(r.part != STORE for r in rule.readings):  # truststore reads OpenSSL's default paths itself
            rule = replace(rule, readings=(*rule.readings, *OPENSSL_READINGS))
    on_defaults = trust.kind in DEFAULT_KINDS and not trust.own_path
    effects: dict[str, str] = {}
    taken: list[Taken] = []
    decided: str | None = None
    for reading in rule.readings:
        value = value_of(facts, reading.name)
        if value is None:
            continue
        if reading.part != STORE:  # OpenSSL's default paths: the probe resolved them, only a hazard counts here
            hazard = _effect(reading, value, facts) if on_defaults else None
            effects[reading.name] = hazard.effect if hazard is not None else NOT_READ
            if hazard is not None and hazard.effect in BREAKS:
                taken.append(hazard)
            continue
        if decided is not None:
            effects[reading.name] = NOT_READ
            if value and value != value_of(facts, decided):
                notes.append("%s=%s is not read: %s comes first" % (reading.name, value, decided))
            continue
        took = _effect(reading, value, facts)
        effects[reading.name] = took.effect
        # pip-system-certs before 5 clears ca_certs, a file; a folder (ca_cert_dir) is still loaded, on top of the
        # OS store it gives every connection (measured: REQUESTS_CA_BUNDLE naming a hashed folder verifies)
        cleared = not counted and took.kind not in (HASHED, UNHASHED)
        if cleared and took.effect in (LOADS, NOTHING, UNKNOWN):
            effects[reading.name] = SILENCED  # checked (a missing path still raises first), then cleared
            if rule.first_only:
                decided = reading.name
            continue
        if took.effect == SKIPPED:
            continue
        if took.effect not in (LOADS, UNKNOWN):
            said = says(reading, took.effect, took.kind)
            notes.append("%s=%s (%s): this client %s" % (reading.name, shown(value), took.kind, said))
        taken.append(took)
        if rule.first_only:
            decided = reading.name
    adds = rule.adds or injected is not None
    extracts = extracts_zipped(rule, version, facts)
    trust = _loaded(_combine(trust, taken, adds, rule.first_only, notes, facts), facts, extracts)
    if extracts and trust.source == "default" and in_archive(trust.path, facts.bundle(trust.path)) is not None:
        notes.append("its store lies inside a zip archive: this requests copies it out to a temporary file first")
    if raises_at_import(rule, initial, facts):
        trust = replace(initial, effect=RAISES, certificates=0)
        notes.append(AT_IMPORT)
    if refused is not None:
        trust = ClientTrust("variable", value_of(facts, refused), 0, refused, effect=RAISES)
        effects[refused] = RAISES
        notes.append("it stops on %s=%s before any request" % (refused, value_of(facts, refused)))
    return Client(
        name=name,
        version=version,
        family=rule.family,
        trust=trust,
        # what it reads here: OpenSSL's default paths where it trusts them; its own values unless they are cleared
        variables=tuple(
            r.name for r in rule.readings if (r.part == STORE and counted) or (r.part != STORE and on_defaults)
        ),
        decided_in=rule.decided_in,
        notes=tuple(notes),
        effects=effects,
        decided_by=decided,
    )


def _combine(
    trust: ClientTrust,
    taken: list[Taken],
    adds: bool,
    first_only: bool,
    notes: list[str],
    facts: Facts,
) -> ClientTrust:
    """The store the values taken leave the client with: added, replacing, or what stops it instead.

    A client that reads each of its sources (uv) raises on one only when none of the others loads: uv's "No CA
    certificates were loaded" comes when its store would be empty.
    """
    if not first_only and any(t.paths for t in taken if t.effect not in BREAKS):
        taken = [t for t in taken if t.effect != RAISES]
    stop = next((t for t in taken if t.effect in BREAKS), None)
    stop = stop or next((t for t in taken if t.effect == NO_VERIFICATION), None)
    if stop is not None:
        return ClientTrust("variable", stop.value or None, None, stop.reading.name, effect=stop.effect)
    taken = [t for t in taken if t.reading.part == STORE]
    if not taken:
        return trust
    loaded = [p for t in taken for p in t.paths]
    # a folder read file by file (uv): the offline check finds certificates by their hash names only
    unchecked = tuple(p for t in taken if t.reading.folders == EVERY_FILE and t.kind == UNHASHED for p in t.paths)
    if adds:
        notes.extend("adds %s=%s" % (t.reading.name, ", ".join(t.paths)) for t in taken if t.paths)
        return replace(trust, also=(*trust.also, *loaded), unchecked=unchecked)
    if not loaded:
        closed = any(t.effect == FAILS_CLOSED for t in taken)
        why = "its CA setting yields no certificate" + (" and it drops its default roots" if closed else "")
        notes.append("%s: it trusts nothing" % why)
        return ClientTrust("variable", taken[0].value or None, 0, taken[0].reading.name, effect=NOTHING)
    source = next(t.reading.name for t in taken if t.paths)
    count = _count(facts.bundle(loaded[0]))
    return ClientTrust("variable", loaded[0], count, source, also=tuple(loaded[1:]), unchecked=unchecked)


def lacking(client: Client, facts: Facts) -> list[str]:
    """The subjects of the administrator's local roots that this client's store does not hold."""
    if client.trust.kind not in KINDS_WITH_OWN_COPY or client.trust.effect or not facts.local_roots:
        return []
    bundle = facts.bundle(client.trust.path)
    held = bundle.identities if bundle is not None and bundle.parsed else frozenset()
    return [root.subject for root in facts.local_roots if root.identity not in held]


_JUDGED: list[tuple[Facts, tuple[Client, ...]]] = []  # the last facts judged: a check asks several times


def judge(facts: Facts) -> tuple[Client, ...]:
    """Every TLS client of the examined interpreter (the stdlib's first), with its store and a verdict."""
    if _JUDGED and _JUDGED[0][0] is facts:  # facts are immutable: the same object gets the same answer
        return _JUDGED[0][1]
    judged = _judge(facts)
    _JUDGED[:] = [(facts, judged)]
    return judged


_VERDICTS = {
    RAISES: "raises on %s",
    HANGS: "hangs on %s",
    ABORTS: "aborts the process on %s",
    NO_VERIFICATION: "verifies no certificate: %s",
    NOTHING: "trusts nothing: %s",
}


def _verdict(client: Client, facts: Facts) -> str:
    """`ok`, or what is wrong with the client's store here, in a few words."""
    trust = client.trust
    if trust.effect in _VERDICTS and trust.source == "default":
        return _VERDICTS[trust.effect] % ("its store %s, which %s" % (trust.path, store_problem(facts, trust.path)))
    if trust.effect in _VERDICTS:
        return _VERDICTS[trust.effect] % ("%s=%s" % (trust.source, shown(trust.path or "")))
    if trust.kind == "missing":
        return "fails: its CA setting is unusable"
    if trust.kind == OPENSSL and trust.source == "default" and not trust.also and not _defaults_hold_any(facts):
        return "trusts nothing: the default paths hold no certificate"
    missing = lacking(client, facts)
    if missing:
        return "lacks %d local root%s" % (len(missing), "" if len(missing) == 1 else "s")
    return "ok"


def _judge(facts: Facts) -> tuple[Client, ...]:
    """Judge each client afresh."""
    clients = []
    python = facts.runtime.python_version
    if facts.subject is None or facts.subject.python:
        clients.append(_judge_one("urllib (stdlib)", python, STDLIB, facts, None))
    for distribution in facts.distributions:
        for rule in rules_for(distribution.name, distribution.version, python):
            clients.append(_judge_one(rule.client, distribution.version, rule, facts, distribution))
    return tuple(replace(client, verdict=_verdict(client, facts)) for client in clients)


def own_stores(clients: tuple[Client, ...]) -> list[str]:
    """The stores clients use besides the default context's: its handshake does not speak for them."""
    paths: list[str] = []
    for client in clients:
        trust = client.trust
        if trust.effect in (*BREAKS, NO_VERIFICATION):
            continue
        if trust.path and trust.kind != "missing" and (trust.kind not in DEFAULT_KINDS or trust.own_path):
            paths.append(trust.path)
        paths.extend(trust.also)
        paths = [p for p in paths if p not in trust.unchecked]
        if trust.kind == COMPILED_IN and trust.stand_in:
            paths.append(trust.stand_in)
    return list(dict.fromkeys(paths))


def reading_of(client: Client, name: str) -> Reading | None:
    """The client's reading of a variable or setting, by the row it was judged by."""
    rule = mode(client.family) or (STDLIB if client.family == STDLIB.family else None)
    return next((r for r in rule.readings if r.name == name), None) if rule is not None else None
