"""The machinery of `explain`'s table: message families as phrases, searched in time linear in the text.

A text is folded once (ASCII letters lowered, `_` read as a space, so `CERT_HAS_EXPIRED` and OpenSSL's
`cert has expired` are one phrase) and cut into words once. Each phrase knows the words any match of it holds
whole, and is searched only when the text has them all: a megabyte of log costs one pass to cut it into words,
plus a search for each phrase whose words it really holds. A phrase is compiled the first time it is searched.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from cadoctor._record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from cadoctor._rules.explain.dates import Reading

# Letters lowered and `_` read as a space, one character for one: offsets into the folded text are the same.
FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ_", "abcdefghijklmnopqrstuvwxyz ")

# Bytes of a word (ASCII digits and lowered letters); every other byte, non-ASCII ones included, separates words.
_WORD_BYTES = bytes(c if 0x30 <= c <= 0x39 or 0x61 <= c <= 0x7A else 0x20 for c in range(256))


class Text:
    """A text as the table reads it: folded, cut into words, and where each phrase was found in it."""

    def __init__(self, sample: str) -> None:
        """Fold the text and cut it into its distinct words (runs of ASCII letters and digits)."""
        self.folded = sample.translate(FOLD)
        self.words = frozenset(self.folded.encode("utf-8", "surrogatepass").translate(_WORD_BYTES).split())
        self.seen: dict[str, tuple[int, int] | None] = {}
        self.dates: list[Reading] | None = None  # the dates it shows (`dates.readings`), read once when asked


def alternatives(source: str) -> list[str]:
    """The top-level alternatives of a regex (escapes, classes and groups kept whole)."""
    parts, depth, start, at, in_class = [], 0, 0, 0, False
    while at < len(source):
        char = source[at]
        if char == "\\":
            at += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            parts.append(source[start:at])
            start = at + 1
        at += 1
    parts.append(source[start:])
    return parts


def _literal_start(phrase: str) -> str:
    """The text every match of the phrase begins with, a NUL marking each word boundary in it."""
    at = 0
    while phrase.startswith("(?<", at):  # a lookbehind narrows where a match starts and consumes nothing
        at = phrase.index(")", at) + 1
    run: list[str] = []
    while at < len(phrase):
        char = phrase[at]
        if char == "\\":
            escaped = phrase[at + 1 : at + 2]
            if escaped == "b":
                char = "\0"
            elif not escaped or escaped.isalnum():  # \s, \d, \w: a class ends the literal
                break
            else:
                char = escaped
            at += 1
        elif char in ".()[]|^$":
            break
        elif char in "?*+{":  # the char before is optional or repeated
            if run:
                run.pop()
            break
        run.append(char)
        at += 1
    return "".join(run)


def words_in(literal: str) -> frozenset[bytes]:
    """The words a phrase's literal start holds whole (delimited on both sides): every match holds them."""
    return frozenset(
        found.group().encode()
        for found in re.finditer("[a-z0-9]+", literal)
        if found.start() > 0 and found.end() < len(literal)  # at an edge, a match may extend the word
    )


_compiled = functools.lru_cache(maxsize=None)(re.compile)


@record
class Phrase:
    """One alternative of a family: a regex without unbounded repetition, and what every match of it holds.

    Attributes:
        prefix: The text every match begins with.
        words: The words every match holds whole.

    """

    source: str
    prefix: str
    words: frozenset[bytes]

    def search(self, text: Text) -> tuple[int, int] | None:
        """Where the phrase first shows in the folded text, or None; skipped when a word of it is absent."""
        if not self.words <= text.words:
            return None
        if self.source not in text.seen:  # families share phrases (the alerts, read for each side)
            text.seen[self.source] = self._first(text.folded)
        return text.seen[self.source]

    def _first(self, folded: str) -> tuple[int, int] | None:
        """The leftmost match, tried only where the prefix occurs: a fast substring search, then bounded matches."""
        regex = _compiled(self.source)
        at = folded.find(self.prefix)
        while at != -1:
            found = regex.match(folded, at)
            if found is not None:
                return found.span()
            at = folded.find(self.prefix, at + 1)
        return None


def phrases(source: str) -> tuple[Phrase, ...]:
    """Each alternative of a regex as a phrase."""
    found = []
    for alternative in alternatives(source):
        literal = _literal_start(alternative)
        found.append(Phrase(alternative, literal.replace("\0", ""), words_in(literal)))
    return tuple(found)


def _first(found: tuple[Phrase, ...], text: Text) -> tuple[int, int] | None:
    """The earliest place any of the phrases shows, or None."""
    spans = [span for phrase in found if (span := phrase.search(text)) is not None]
    return min(spans) if spans else None


@record
class Context:
    """Phrases that show where a message comes from (the server's side, a file being loaded, a proxy)."""

    name: str
    phrases: tuple[Phrase, ...]

    def search(self, text: Text) -> tuple[int, int] | None:
        """The first phrase of this context in the text, or None."""
        return _first(self.phrases, text)


def context(name: str, source: str) -> Context:
    """One context row."""
    return Context(name, phrases(source))


@record
class Pattern:
    """One family of messages, with what it usually means and how to check it.

    Attributes:
        source: Phrases that identify the family, as one regex; it has no unbounded repetition.
        ordered: Pairs of phrases that identify it when the second follows the first on the same line.
        when: A context the text must show for this reading (`server`, `loading`, ...), or "".
        unless: A context that rules this reading out, or "".

    """

    name: str
    source: str
    codes: tuple[str, ...]
    cause: str
    check: str
    host_command: bool = True  # the check needs the failing host (`--host`)
    ordered: tuple[tuple[str, str], ...] = ()
    when: str = ""
    unless: str = ""

    @property
    def phrases(self) -> tuple[Phrase, ...]:
        """The alternatives of the family's regex, each with its words."""
        return _phrases_of(self.source)

    def search(self, text: Text) -> tuple[int, int] | None:
        """Where in the folded text this family shows, or None; linear in the text's length."""
        for phrase in self.phrases:
            span = phrase.search(text)
            if span is not None:
                return span
        for first, then in self.ordered:
            if any(phrase.words <= text.words for phrase in _phrases_of(first)):
                found = _in_order(text.folded, _compiled(first), _compiled(then))
                if found is not None:
                    return found
        return None


_phrases_of = functools.lru_cache(maxsize=None)(phrases)


def _in_order(text: str, first: re.Pattern[str], then: re.Pattern[str]) -> tuple[int, int] | None:
    """`first` and later `then` on one line: the first `first` of each line is searched from, so the cost is linear."""
    at = 0
    while True:
        found = first.search(text, at)
        if found is None:
            return None
        end = text.find("\n", found.end())
        end = len(text) if end == -1 else end
        after = then.search(text, found.end(), end)
        if after is not None:
            return found.start(), after.end()
        at = end + 1


# What a regex reads as syntax outside a class: escaped, and only that, so a phrase still reads as its text.
_SPECIAL = frozenset(".^$*+?{}[]\\|()")


def whole_words(texts: Iterable[str]) -> str:
    """One alternative per text, matched literally as whole words of the folded text (a table kept as plain text)."""
    return "|".join(
        r"\b%s\b" % "".join("\\" + char if char in _SPECIAL else char for char in text.translate(FOLD))
        for text in texts
    )


def pattern(
    name: str,
    source: str,
    codes: tuple[str, ...],
    cause: str,
    check: str,
    host: bool = True,
    ordered: tuple[tuple[str, str], ...] = (),
    when: str = "",
    unless: str = "",
) -> Pattern:
    """One table row; its phrases are cut and compiled only when a text is first read against it."""
    return Pattern(name, source, codes, cause, check, host, ordered, when, unless)
