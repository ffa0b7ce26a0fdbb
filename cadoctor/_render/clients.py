"""The Clients page of the docs, written from the client rules table so the two never disagree.

`python -m cadoctor._cli.docs > docs/clients.md` writes it; a test fails when the page is stale.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from cadoctor._rules.client_table import ClientRule
    from cadoctor._rules.client_values import Reading
    from cadoctor._rules.stack_table import StackRule

_KINDS = {
    "openssl-defaults": "OpenSSL's default paths (`SSL_CERT_FILE`/`SSL_CERT_DIR`, else OPENSSLDIR): the OS store",
    "certifi": "certifi's `cacert.pem` (Mozilla's set)",
    "own-or-certifi": "certifi when importable, else its own bundle",
    "certifi-or-openssl": "certifi when importable, else OpenSSL's default paths",
    "own-bundle": "the bundle it ships",
    "truststore": "the OS store through truststore",
    "compiled-in": "roots compiled into the binary (Mozilla's set)",
    "system": "the OS store, read by the library itself",
}
HEADER = """# Clients: which store each Python TLS client trusts

`cadoctor check` finds the TLS clients installed in the examined Python from their metadata (it never imports
them), and judges each by its own rules: the tables below, one row per client family and version range where the
behaviour flips, measured on Linux with real handshakes. The `clients[]` array of the [JSON report](json.md)
and the "Clients" lines of the human report show the result; the `client-*` [findings](findings.md) say what is
wrong. Python's own `urllib.request`/`http.client` follow OpenSSL's default paths, like the first rows.

"""
FOOTER = """
- *A > B*: only the first variable or setting whose value the client does not treat as unset counts;
  *A + B*: each one is applied. *replaces*: what they load replaces the client's store; *adds*: it is loaded on
  top of it; *its half*: each replaces its own half of OpenSSL's default paths (the file, or the folders), so on
  Debian, where both halves hold the whole store, one of them set leaves the OS store trusted, and both set
  replace it.
- A switch moves the client to another row (below, *Modes*): `UV_SYSTEM_CERTS=1`, pip's
  `PIP_USE_DEPRECATED=legacy-certs`, grpc's `GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK=true`.
- *via*: the client makes its requests with that library: the installed version's row decides its readings.
- A `.pth` injector (pip-system-certs, or a `.pth` importing truststore) moves every client that verifies
  through Python's `ssl` module to the OS store at interpreter start, and what the client loads is added to it;
  pip-system-certs before 5 instead clears `ca_certs` on every connection of requests: the variables of the
  clients built on requests then do not count. grpcio and uv are not reached.
- Under `--host`, the chain is checked against each client's own store; for roots compiled into a binary (uv),
  certifi's copy of Mozilla's set stands in for them (the examined environment's certifi, else cadoctor's own).
  A private root is in neither; a public root added or removed very recently may differ.

This page is generated from `cadoctor/_rules/client_table.py` and `client_readings.py`:
`python -m cadoctor._cli.docs > docs/clients.md`.
"""
VALUES_HEADER = """
## What each kind of value does

A variable or setting is judged by the kind of its value, client by client: what each reading does with an
empty value, a file of certificates, a file without one, a path that does not exist, a folder with OpenSSL's
`<hash>.N` names, one without them, an empty folder, a FIFO or a device, and a path it cannot read. A relative
path is resolved against the process's working directory first (`check --pid` reads the process's own). The
effects: *loads*; *treated as unset* (the next source in precedence, or the default, decides); *yields nothing*
(taken without an error, no certificate comes from it); *raises*; *hangs* (the request never ends: cadoctor
never opens such a path itself); *aborts* (the whole process); *fails closed* (nothing is trusted from it nor
from the default roots it replaces); *verification off* (any server is accepted); *reads the working directory*.
Measured with each real client, one request per value.

"""


def _range(since: tuple[int, ...], before: tuple[int, ...] | None) -> str:
    """`all`, `>= 0.28`, `< 24.2` or `2.3 to < 2.16`."""
    low = ".".join(map(str, since)) if since else ""
    high = ".".join(map(str, before)) if before else ""
    if low and high:
        return "%s to < %s" % (low, high)
    return ">= %s" % low if low else "< %s" % high if high else "all"


def _version_range(rule: ClientRule) -> str:
    """The versions a row covers, and the Pythons when the row depends on them."""
    pythons = "" if rule.python == ((), None) else " (Python %s)" % _range(*rule.python)
    return _range(rule.since, rule.before) + pythons


def _read(rule: ClientRule) -> tuple[str, str]:
    """The variables and settings it reads, in precedence, and how what they load joins its store."""
    own = [r.name for r in rule.readings if r.part == "store"]
    halves = [r.name for r in rule.readings if r.part != "store"]
    joiner = " > " if rule.first_only else " + "
    named = joiner.join("`%s`" % v for v in own)
    if halves:
        named += ("; " if named else "") + " + ".join("`%s`" % v for v in halves) + " (its half)"
    joined = ("adds" if rule.adds else "replaces") if own else ("its half" if halves else "-")
    return named or "none", joined


def rules_table(rules: Iterable[ClientRule]) -> str:
    """The client rules as one Markdown table (the modes a switch reaches, after the others)."""
    lines = [
        "| client | versions | trusts by default | CA variables and settings | they | switches | decided in |",
        "|---|---|---|---|---|---|---|",
    ]
    modes = {switch[1] for rule in rules for switch in rule.switches}
    ordered = [r for r in rules if r.family not in modes] + [r for r in rules if r.family in modes]
    for rule in ordered:
        named, joined = _read(rule)
        switches = ", ".join("`%s` → %s" % (variable, family) for variable, family, _ in rule.switches) or "-"
        name = rule.client if rule.family not in modes else "%s (mode: %s)" % (rule.client, rule.family)
        lines.append(
            "| %s | %s | %s%s | %s | %s | %s | %s |"
            % (
                name,
                "-" if rule.family in modes else _version_range(rule),
                _KINDS.get(rule.default, rule.default),
                " (via %s)" % rule.via if rule.via else "",
                named,
                joined,
                switches,
                rule.decided_in.replace("|", "/"),
            )
        )
    return "\n".join(lines) + "\n"


def values_table(rules: Iterable[ClientRule]) -> str:
    """What each distinct reading does with each kind of value, with the rows that read it so."""
    readers: dict[tuple[object, ...], list[str]] = {}
    readings: dict[tuple[object, ...], Reading] = {}
    for rule in rules:
        for reading in rule.readings:
            key = (reading.name, tuple(sorted(reading.effects.items())), reading.folders, reading.part)
            readings.setdefault(key, reading)
            if rule.family not in readers.setdefault(key, []):
                readers[key].append(rule.family)
    if not readings:
        return ""
    kinds = [k for k in next(iter(readings.values())).effects if k != "unset"]
    lines = [
        "| variable or setting | rows | %s |" % " | ".join(kinds),
        "|---|---|%s|" % "|".join("---" for _ in kinds),
    ]
    for found, reading in readings.items():
        name = "`%s`%s" % (reading.name, " (folders: %s)" % reading.folders if reading.folders != "hash lookup" else "")
        cells = [reading.effects.get(kind, "-") for kind in kinds]
        lines.append("| %s | %s | %s |" % (name, ", ".join(readers[found]), " | ".join(cells)))
    return "\n".join(lines) + "\n"


STACKS_HEADER = """
## Native TLS stacks

`check --pid` and `ps` find every TLS implementation in a process (see [stacks](findings.md#stacks)) and judge
each by its consumer's row. *Default paths* says when that copy's OpenSSL default paths (`SSL_CERT_FILE`,
`SSL_CERT_DIR`, OPENSSLDIR) count: findings about them are made only then.

"""


def stacks_table(rules: Iterable[StackRule]) -> str:
    """The native stack rules as one Markdown table."""
    lines = [
        "| consumer | trusts by default | default paths | switches | variables | fix | decided in |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in rules:
        lines.append(
            "| %s | %s | %s | %s | %s | %s | %s |"
            % (
                rule.title,
                rule.store,
                rule.default_paths,
                ", ".join("`%s`" % s for s in rule.switches) or "-",
                ", ".join("`%s`" % v for v in rule.variables) or "-",
                rule.fix.replace("|", "/") or "-",
                rule.decided_in.replace("|", "/"),
            )
        )
    return "\n".join(lines) + "\n"


def page(rules: Iterable[ClientRule], stacks: Iterable[StackRule] = ()) -> str:
    """The whole docs page."""
    rows = list(rules)
    clients = HEADER + rules_table(rows) + FOOTER + VALUES_HEADER + values_table(rows)
    return clients + STACKS_HEADER + stacks_table(stacks)
