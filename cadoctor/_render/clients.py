"""The Clients page of the docs, written from the client rules table so the two never disagree.

`python -m cadoctor._cli.docs > docs/clients.md` writes it; a test fails when the page is stale.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from cadoctor._rules.client_table import ClientRule
    from cadoctor._rules.stack_table import StackRule

_KINDS = {
    "openssl-defaults": "OpenSSL's default paths (`SSL_CERT_FILE`/`SSL_CERT_DIR`, else OPENSSLDIR): the OS store",
    "certifi": "certifi's `cacert.pem` (Mozilla's set)",
    "own-or-certifi": "certifi when importable, else its own bundle",
    "own-bundle": "the bundle it ships",
    "truststore": "the OS store through truststore",
    "compiled-in": "roots compiled into the binary (Mozilla's set)",
}
HEADER = """# Clients: which store each Python TLS client trusts

`cadoctor check` finds the TLS clients installed in the examined Python from their metadata (it never imports
them), and judges each by its own rules: the table below, one row per client family and version range where the
behaviour flips, measured on Linux with real handshakes. The `clients[]` array of the [JSON report](json.md)
and the "Clients" lines of the human report show the result; the `client-*` [findings](findings.md) say what is
wrong. Python's own `urllib.request`/`http.client` follow OpenSSL's default paths, like the first rows.

"""
FOOTER = """
- *replaces*: a variable in effect replaces the client's store; *adds*: it is loaded on top of it.
- *A > B*: only the first variable set counts; *A + B*: every one set is loaded.
- A `.pth` injector (pip-system-certs, or a `.pth` importing truststore) moves every client that verifies
  through Python's `ssl` module to the OS store at interpreter start; grpcio and uv are not reached.
- Under `--host`, the chain is checked against each client's own store; for roots compiled into a binary (uv),
  certifi's copy of Mozilla's set stands in for them (the examined environment's certifi, else cadoctor's own).
  A private root is in neither; a public root added or removed very recently may differ.

This page is generated from `cadoctor/_rules/client_table.py`: `python -m cadoctor._cli.docs > docs/clients.md`.
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


def rules_table(rules: Iterable[ClientRule]) -> str:
    """The client rules as one Markdown table."""
    lines = [
        "| client | versions | trusts by default | CA variables | a variable | missing file | switches | decided in |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rule in rules:
        joiner = " > " if rule.first_only else " + "
        switches = ", ".join("`%s` → %s" % pair for pair in rule.switches) or "-"
        lines.append(
            "| %s | %s | %s | %s | %s | %s | %s | %s |"
            % (
                rule.distribution,
                _version_range(rule),
                _KINDS.get(rule.default, rule.default),
                joiner.join("`%s`" % v for v in rule.variables) or "none",
                "replaces" if rule.replaces else "adds",
                rule.missing,
                switches,
                rule.decided_in.replace("|", "/"),
            )
        )
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
    return HEADER + rules_table(rules) + FOOTER + STACKS_HEADER + stacks_table(stacks)
