"""Lines for a terminal: every line goes out with its foreign text escaped, and fitted to a terminal's width.

On a terminal a line wider than the screen is folded at word boundaries, its continuation rows indented under
its text (a `hang`); a word is never split: one wider than a row stands alone and the terminal folds it, so it
still pastes whole. A line to paste (a fix's shell line) goes out whole. Off a terminal (a pipe, a file) every
line goes out as it is, one line per line: scripts read it so. Standard library only (rich for `folded_text`
alone, which only the check report's styled lines use): `ps` and `inspect` load no rich.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections.abc import Sequence

from cadoctor._redact import redacted
from cadoctor._text import printable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO

    from rich.text import Text

_WORD = re.compile(r"\S+")


def columns(stream: IO[str]) -> int | None:
    """The width to fit lines to on `stream`: None off a terminal (lines then go out whole).

    On a terminal, COLUMNS when it is set to a number, as rich and click read it, else the terminal's own width
    (None when the terminal does not say: a pseudo-terminal nobody sized).
    """
    try:
        if not stream.isatty():
            return None
    except (OSError, ValueError):  # a closed stream
        return None
    value = os.environ.get("COLUMNS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return os.get_terminal_size(stream.fileno()).columns or None
    except (OSError, ValueError):  # no descriptor (a terminal-like object of an embedding host)
        return None


def cells(text: str) -> int:
    """How many terminal cells a line takes: a wide (East Asian) character two, a combining mark none."""
    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text
    )


def _margin(line: str, width: int, hang: int) -> int:
    """Where a continuation row starts: the line's own indent plus its hang, never past the middle of a row."""
    return min(len(line) - len(line.lstrip(" ")) + hang, width // 2)


def row_starts(line: str, width: int | None, hang: int | None = 2) -> list[int]:
    """Where each row of `line` starts when folded at spaces to `width` cells.

    A continuation row starts at the line's indent plus `hang` (see `_margin`); the spaces at a fold are dropped.
    A word wider than a row starts a row of its own and is not split. None for `width` (off a terminal) or
    `hang` (a line to paste) keeps the line whole: one row.
    """
    if width is None or hang is None or cells(line) <= width:
        return [0]
    margin = _margin(line, width, hang)
    starts = [0]
    used = -1  # cells taken on the current row; -1 before the line's first word
    end = 0
    for word in _WORD.finditer(line):
        size = cells(word.group())
        gap = cells(line[end : word.start()])
        if used < 0 or used + gap + size <= width:
            used = max(used, 0) + gap + size
        else:
            starts.append(word.start())
            used = margin + size
        end = word.end()
    return starts


def folded(line: str, width: int | None, hang: int | None = 2) -> list[str]:
    """The rows of one line fitted to `width` (see `row_starts`), continuation rows indented."""
    starts = row_starts(line, width, hang)
    if len(starts) == 1 or width is None or hang is None:
        return [line]
    margin = " " * _margin(line, width, hang)
    pieces = [line[a:b].rstrip(" ") for a, b in zip(starts, [*starts[1:], len(line)])]
    return [pieces[0], *(margin + piece for piece in pieces[1:])]


def folded_text(text: Text, width: int | None, hang: int | None = 2) -> list[Text]:
    """A styled line's rows fitted to `width`, as `folded` fits a plain one: each row keeps its styles."""
    starts = row_starts(text.plain, width, hang)
    if len(starts) == 1 or width is None or hang is None:
        return [text]
    from rich.text import Text

    margin = " " * _margin(text.plain, width, hang)
    rows = list(text.divide(starts[1:]))
    for row in rows:
        row.rstrip()
    return [rows[0], *(Text.assemble(margin, row) for row in rows[1:])]


def cut(text: str, width: int) -> str:
    """`text` in at most `width` cells: cut at the end with `...` when it is wider (a table's last column)."""
    if cells(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        used += cells(char)
        if used > width - 3:
            break
        kept.append(char)
    return "".join(kept) + "..." if width >= 3 else ""


def shown(text: str) -> str:
    """Foreign text as it may be written: its secrets masked (`_redact`), then its control characters escaped."""
    return printable(redacted(text))


def printable_lines(lines: Sequence[str | tuple[str, int | None]], width: int | None = None) -> str:
    """Lines of a report joined for a terminal, each escaped on its own, ending with a newline.

    A line is text, or text with its hang (None: keep it whole); with a `width`, each is fitted to it.
    """
    rows: list[str] = []
    for line in lines:
        text, hang = (line, 2) if isinstance(line, str) else line
        rows += folded(shown(text), width, hang)
    return "".join(row + "\n" for row in rows)


def error(message: str) -> None:
    """Write `cadoctor: message` to stderr, whatever foreign text the message carries; one line off a terminal.

    On a terminal the message is folded to its width, its rows under the message's first word.
    """
    line = "cadoctor: %s" % shown(message)
    sys.stderr.write("".join(row + "\n" for row in folded(line, columns(sys.stderr), len("cadoctor: "))))


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun in the number it takes: `1 certificate`, `0 certificates`, `2 fixes`."""
    return "%d %s" % (number, noun if number == 1 else plural or noun + "s")
