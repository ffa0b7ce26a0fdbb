"""Which setting points each client at a CA file, and the fewest settings that reach every client that needs one.

A client is reached by a variable it honours that no setting of higher precedence, set now, shadows: requests
reads REQUESTS_CA_BUNDLE before CURL_CA_BUNDLE and only the first set counts, so while REQUESTS_CA_BUNDLE is set,
CURL_CA_BUNDLE reaches nothing. A switch (UV_SYSTEM_CERTS, GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK) moves a
client to the OS store, so it reaches that client only when the store to trust is the OS store. Variables that
name a folder (SSL_CERT_DIR) are never chosen: a fix names one file, which every client accepts. Precedence and
switches are the rules table's (`_rules/client_table.py`); nothing here re-implements a client.
"""

from __future__ import annotations

from collections.abc import Sequence

from cadoctor._fixes.after import judged_after
from cadoctor._model import Client, Facts
from cadoctor._record import record
from cadoctor._rules.client_table import OPENSSL, SETTINGS, STDLIB, SYSTEM, ClientRule, mode, rule_for
from cadoctor._rules.clients import values_of

# What turns a switch on: grpc's config parser takes "true"; uv's takes "1", "true", "yes" or "on".
SWITCHED_ON = {"GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK": "true"}
_ON = ("1", "true", "yes", "on")


def switch_value(name: str) -> str:
    """The value that turns a switch variable on."""
    return SWITCHED_ON.get(name, "1")


def rule_of(client: Client, facts: Facts) -> ClientRule | None:
    """The rules table's row for a judged client (the stdlib's own row for urllib)."""
    if client.name == STDLIB.family:
        return STDLIB
    return rule_for(client.name, client.version, facts.runtime.python_version)


def settings_for(client: Client, facts: Facts, *, os_store: bool, overwrite: bool) -> list[str]:
    """The variables that, set to a file (or, for a switch, turned on), decide what this client trusts.

    `overwrite`: a variable set now may be given a new value (the fix then keeps what it named); otherwise only
    unset ones count. `os_store`: the file to trust is the OS store, so a switch to the OS store reaches it too.
    """
    rule = rule_of(client, facts)
    if rule is None:
        return []
    values = values_of(facts)
    folders = {facts.runtime.capath_env or "SSL_CERT_DIR", "SSL_CERT_DIR"}
    chosen: list[str] = []
    for name in rule.variables:
        variable = (facts.runtime.cafile_env or name) if rule.default == OPENSSL and name == "SSL_CERT_FILE" else name
        in_effect = bool(values.get(variable))
        if name not in SETTINGS and name not in folders and (overwrite or not in_effect):
            chosen.append(variable)  # a configuration file's setting is no variable: the files fix it
        if rule.first_only and in_effect:
            break  # only the first one set counts: the ones after it are shadowed
    if os_store and client.family == rule.family:  # a switch that is on has moved it already: no other moves it
        for name, family, _word in rule.switches:
            target = mode(family)  # the row the switch moves the client to: does it read the OS store?
            on = values.get(name, "").strip().lower() in _ON
            moves = target is not None and target.default == SYSTEM and name not in SETTINGS and not on
            if moves and _lands_on_os_store(client, facts, name):
                chosen.append(name)
    return list(dict.fromkeys(chosen))


def _lands_on_os_store(client: Client, facts: Facts, switch: str) -> bool:
    """Whether turning the switch on leaves the client on the OS store, by its mode's own readings.

    A value that mode reads and that is set now replaces the OS store there (uv's SSL_CERT_FILE), or stops the
    client (an empty one, for uv's --system-certs): the switch alone then reaches nothing.
    """
    after = judged_after(facts, {switch: switch_value(switch)}).get(client.name)
    return after is not None and after.trust.kind == SYSTEM and after.trust.effect is None and not after.trust.also


@record
class Cover:
    """The settings a fix makes, with the clients each serves.

    Attributes:
        served: Each chosen variable, with the clients it points at the file (sorted).
        unreached: Clients that no setting can point at the file (their precedence has it shadowed, or a
            configuration file decides), left to other fixes.
        touched: Clients that do not need the fix but read a variable it sets: they must keep working.
        overwritten: Chosen variables that are set now, whose old value the fix replaces.
        switched: Chosen switches: turned on (`switch_value`), not pointed at the file.

    """

    served: dict[str, list[str]]
    unreached: tuple[str, ...]
    touched: tuple[str, ...]
    overwritten: tuple[str, ...]
    switched: tuple[str, ...] = ()

    def setting(self, variable: str, path: str) -> str:
        """The value a chosen variable gets: the file's path, or what turns a switch on."""
        return switch_value(variable) if variable in self.switched else path

    def change(self, path: str) -> dict[str, str | None]:
        """The environment change that points every chosen variable at `path` (switches turned on)."""
        return {variable: self.setting(variable, path) for variable in self.served}

    def clients(self) -> list[str]:
        """Every client a chosen setting reaches, sorted."""
        return sorted({name for names in self.served.values() for name in names})

    def left(self) -> str:
        """What a fix's summary says of the clients no setting reaches ("" when none is left)."""
        return "; no unset variable reaches %s" % ", ".join(self.unreached) if self.unreached else ""


def cover(
    needing: Sequence[Client], others: Sequence[Client], facts: Facts, *, os_store: bool, overwrite: bool
) -> Cover:
    """The fewest settings that reach every client in `needing` (a greedy set cover).

    Ties go to the variable fewer other clients (`others`) read, so a fix changes as little as it can beside what
    it is for (AWS_CA_BUNDLE for botocore alone, not REQUESTS_CA_BUNDLE); then to one not set now; then to the
    client's own precedence, variables before switches.
    """
    options = {c.name: settings_for(c, facts, os_store=os_store, overwrite=overwrite) for c in needing}
    readers: dict[str, set[str]] = {}
    for name, names in options.items():
        for variable in names:
            readers.setdefault(variable, set()).add(name)
    needed = {c.name for c in needing}
    bystanders: dict[str, set[str]] = {variable: set() for variable in readers}
    for client in others:
        if client.name in needed:
            continue
        for variable in settings_for(client, facts, os_store=True, overwrite=True):
            if variable in bystanders:
                bystanders[variable].add(client.name)
    switches = {switch[0] for c in needing for switch in (rule_of(c, facts) or STDLIB).switches}
    order = sorted(readers, key=lambda v: v in switches)  # stable: each client's precedence, switches last
    values = values_of(facts)
    left = {name for name, names in options.items() if names}
    served: dict[str, list[str]] = {}
    while left:
        best = max(
            order,
            key=lambda v: (len(readers[v] & left), -len(bystanders[v]), not values.get(v), -order.index(v)),
        )
        if not readers[best] & left:
            break
        served[best] = sorted(readers[best] & left)
        left -= readers[best]
    touched = sorted({name for variable in served for name in bystanders[variable]})
    return Cover(
        served=served,
        unreached=tuple(c.name for c in needing if not options[c.name]),
        touched=tuple(touched),
        overwritten=tuple(v for v in served if values.get(v) and v not in switches),
        switched=tuple(v for v in served if v in switches),
    )
