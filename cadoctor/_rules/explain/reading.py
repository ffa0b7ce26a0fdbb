"""`cadoctor explain`: decode a TLS error message or traceback into likely causes and the command that checks them."""

from __future__ import annotations

import re

from cadoctor._record import field, record, replace
from cadoctor._rules.explain.clues import CLUES, shown
from cadoctor._rules.explain.phrases import Text
from cadoctor._rules.explain.table import CONTEXTS, PATTERNS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from cadoctor._rules.explain.clues import Clue
    from cadoctor._rules.explain.phrases import Pattern

INPUT_LIMIT = 1 << 20  # characters of text examined: tracebacks are long, logs can be endless


@record
class Evidence:
    """A clue the text shows around its error line, and why it reranks the cause's codes."""

    name: str
    matched: str
    reason: str


@record
class Cause:
    """A pattern that matched, with the text it matched and the command to run.

    Attributes:
        clue: The clue of the text that put `codes[0]` first, when one did.

    """

    name: str
    codes: tuple[str, ...]
    matched: str
    cause: str
    check: str
    command: str
    clue: Evidence | None = None


@record
class Explanation:
    """Everything `explain` found in one text."""

    known: bool
    host: str | None
    causes: tuple[Cause, ...] = field(default=())
    side: str | None = None  # "client" or "server": the side that printed the message, when it shows
    side_evidence: str | None = None  # the phrase that shows it (`SSL_accept`, `curl: (`)


MATCH_SHOWN = 200  # characters of the matched text kept: a phrase and its neighbourhood, not a whole log line


# Hosts are found in the text with only ASCII letters lowered (a host may hold `_`); offsets stay the same.
_HOST_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


_NAME = r"(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9._-]{1,253})"


# Where a message names the host of the failing connection: never a URL merely mentioned (a documentation link).
_HOST_PATTERNS = (
    re.compile(r"host=['\"]%s['\"],\s{0,4}port=(\d{1,5})" % _NAME),  # urllib3, requests, pip, conda
    re.compile(r"cannot connect to host %s:(\d{1,5})" % _NAME),  # aiohttp
    re.compile(r"connect(?:ed|ion|ing)? to %s(?:[: ]port (\d{1,5})|:(\d{1,5}))" % _NAME),  # curl
    re.compile(  # git, pip, npm, Go (`Get "https://…": x509: …`), docker
        r"(?:unable to access '|could not fetch url |request to |get \"|post \"|put \"|head \"|delete \"|patch \")"
        r"https://%s(?::(\d{1,5}))?(?=[/'\"\s]|$)" % _NAME
    ),
)


_NODE_HOST = re.compile(r"host(?:name)?: ['\"]?%s['\"]?" % _NAME)


_NODE_PORT = re.compile(r"port: ['\"]?(\d{1,5})")


_NODE_WINDOW = 400  # characters between `host:` and `port:` in a printed Node error object


_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def valid_target(host: str, port: str | None) -> str | None:
    """`host[:port]` when the host is a DNS name, an IPv4 or a bracketed IPv6 address and the port a port."""
    if port is not None and not 0 < int(port) < 65536:
        return None
    if host.startswith("["):
        inner = host[1:-1]
        if inner.count(":") < 2 or not re.fullmatch(r"[0-9A-Fa-f:.]+", inner):
            return None
    elif len(host) > 253 or not all(_LABEL.match(label) for label in host.rstrip(".").split(".")):
        return None
    return "%s:%s" % (host, port) if port and port != "443" else host


def _node_host(text: str, folded: str) -> str | None:
    """The host of a printed Node error object: `host: 'x'` with `port: N` close after it."""
    at = 0
    while True:
        found = _NODE_HOST.search(folded, at)
        if found is None:
            return None
        window = found.end() + _NODE_WINDOW
        port = _NODE_PORT.search(folded, found.end(), window)
        if port is not None:
            return valid_target(text[found.start(1) : found.end(1)], port.group(1))
        at = window


def find_host(text: str, folded: str | None = None) -> str | None:
    """The HOST[:PORT] of the failing connection, if the message names one that parses as such."""
    folded = text.translate(_HOST_FOLD) if folded is None else folded
    for pattern in _HOST_PATTERNS:
        for match in pattern.finditer(folded):
            port = next((g for g in match.groups()[1:] if g), None)
            target = valid_target(text[match.start(1) : match.end(1)], port)
            if target is not None:
                return target
    return _node_host(text, folded)


class _Reading:
    """One text read against the table: each context searched at most once."""

    def __init__(self, sample: str) -> None:
        """Fold the sample for the table and cut it into words."""
        self.sample = sample
        self.text = Text(sample)
        self._seen: dict[str, tuple[int, int] | None] = {}

    def shows(self, name: str) -> tuple[int, int] | None:
        """Where the text shows a context (`server`, `loading`, ...), or None."""
        if name not in self._seen:
            self._seen[name] = next((c.search(self.text) for c in CONTEXTS if c.name == name), None)
        return self._seen[name]

    def side(self) -> tuple[str | None, str | None]:
        """The side that printed the text and the phrase that shows it: one side's phrases only, else unknown."""
        server, client = self.shows("server"), self.shows("client")
        if server is not None and client is None:
            return "server", self.sample[server[0] : server[1]]
        if client is not None and server is None:
            return "client", self.sample[client[0] : client[1]]
        return None, None

    def clue(self, clue: Clue) -> tuple[int, int] | None:
        """Where the text shows a clue (`clues.CLUES`), or None; each clue is looked for at most once."""
        key = "clue " + clue.name
        if key not in self._seen:
            self._seen[key] = shown(clue, self.text)
        return self._seen[key]

    def applies(self, pattern: Pattern) -> bool:
        """Whether the text shows the context a reading needs, and not the one that rules it out."""
        if pattern.unless and self.shows(pattern.unless):
            return False
        if not pattern.when:
            return True
        if pattern.when in ("server", "client", "side-unknown"):
            return (self.side()[0] or "side-unknown") == pattern.when
        return self.shows(pattern.when) is not None


def _shown(matched: str) -> str:
    """The matched text, cut at MATCH_SHOWN characters."""
    return matched if len(matched) <= MATCH_SHOWN else matched[:MATCH_SHOWN] + "..."


# Rows that are clues themselves, kept first: a named interception product, a context the row requires (a
# python.org framework path, a certificate being loaded, a CA file handed to the TLS library).
_PINNED = frozenset(("interception-product",))
_SIDES = ("", "server", "client", "side-unknown")


def _ranked(found: list[tuple[Pattern, Cause]], reading: _Reading) -> tuple[Cause, ...]:
    """The causes: pinned rows, then those a clue of the text decides (their codes led by the clue's), then the rest.

    Within each group the table's order stands; among clued causes, the clue's row in `CLUES` decides.
    """
    keyed: list[tuple[int, int, int, Cause]] = []
    for position, (pattern, cause) in enumerate(found):
        if pattern.name in _PINNED or pattern.when not in _SIDES:
            keyed.append((0, 0, position, cause))
            continue
        for priority, clue in enumerate(CLUES):
            span = reading.clue(clue) if pattern.name in clue.reranks else None
            if span is not None:
                evidence = Evidence(clue.name, _shown(reading.sample[span[0] : span[1]]), clue.reason)
                codes = (clue.promotes, *(code for code in cause.codes if code != clue.promotes))
                keyed.append((1, priority, position, replace(cause, codes=codes, clue=evidence)))
                break
        else:
            keyed.append((2, 0, position, cause))
    return tuple(item[3] for item in sorted(keyed, key=lambda item: item[:3]))


def explain(text: str) -> Explanation:
    """Match the text against every known message family, then rank the causes by the clues around the error."""
    import shlex

    sample = text[:INPUT_LIMIT]
    host_folded = sample.translate(_HOST_FOLD)
    host = find_host(sample, host_folded)
    reading = _Reading(sample)
    found: list[tuple[Pattern, Cause]] = []
    for pattern in PATTERNS:
        span = pattern.search(reading.text)
        if span is None or not reading.applies(pattern):
            continue
        command = "cadoctor check"
        if pattern.host_command:
            command += " --host %s" % (shlex.quote(host) if host else "HOST[:PORT]")
        matched = _shown(sample[span[0] : span[1]])
        found.append((pattern, Cause(pattern.name, pattern.codes, matched, pattern.cause, pattern.check, command)))
    causes = _ranked(found, reading)
    side, evidence = reading.side() if causes else (None, None)
    return Explanation(known=bool(causes), host=host, causes=causes, side=side, side_evidence=evidence)
