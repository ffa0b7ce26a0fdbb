"""TLS-intercepting products, by the names their CAs carry: one table for `check --host` and for `explain`.

`--host` looks for a name in the names of the chain a server sent, where it begins a word; `explain` looks for
it as whole words of a pasted message (its pattern is built from this table). The name found first in the table
is the one reported, so each row keeps its oldest names first.
"""

from __future__ import annotations

# One row per product, lowercase, as its CA names itself (or a message names it).
PRODUCTS: tuple[tuple[str, ...], ...] = (
    ("zscaler",),
    ("netskope",),
    ("fortigate", "fortinet"),
    ("palo alto",),
    ("blue coat", "bluecoat"),  # Broadcom's ProxySG
    ("forcepoint", "websense"),  # Websense: Forcepoint's former name
    ("cisco umbrella", "opendns", "umbrella root"),  # OpenDNS: Umbrella's former name
    ("sophos",),
    ("mitmproxy",),
    ("do_not_trust_fiddlerroot", "fiddler", "fiddlerroot"),  # Fiddler's root names itself DO_NOT_TRUST_FiddlerRoot
    ("charles proxy", "charlesproxy"),
    ("kaspersky",),
    ("avast", "avg antivirus", "avg internet security", "avg web shield", "web shield"),  # Avast and AVG
    ("eset ssl filter", "eset"),
    ("bitdefender",),
    ("check point", "checkpoint ssl"),
    ("barracuda",),
    ("smoothwall",),
    ("lightspeed",),
    ("securly",),
    ("iboss",),
    ("menlo security",),
    ("cato networks",),
    ("mcafee web gateway", "skyhigh", "webgateway", "web gateway"),  # Skyhigh Security: McAfee's, renamed
    ("untangle",),
    ("contentkeeper",),
    ("portswigger", "burp suite"),
    ("reqable",),
    ("proxyman",),
    ("gateway ca - cloudflare",),  # Cloudflare Zero Trust: "Gateway CA - Cloudflare Managed G1"
    # No product in particular: what an inspecting appliance's CA, or a message, calls the interception itself.
    (
        "ssl inspection",
        "tls inspection",
        "https inspection",
        "ssl decryption",
        "deep packet inspection",
        "man-in-the-middle",
        "mitm detected",
    ),
)


NAMES = tuple(name for row in PRODUCTS for name in row)


_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _begins_a_word(name: str, folded: str) -> bool:
    """Whether `name` occurs where a word begins: `ZscalerRootCA` names Zscaler, `Preset Systems` does not name ESET."""
    at = folded.find(name)
    while at > 0 and folded[at - 1] in _WORD:
        at = folded.find(name, at + 1)
    return at != -1


def interception_product(names: list[str]) -> str | None:
    """The name of an interception product that certificate names give away (the first in the table), if any."""
    folded = " ".join(names).lower()
    return next((name for name in NAMES if _begins_a_word(name, folded)), None)
