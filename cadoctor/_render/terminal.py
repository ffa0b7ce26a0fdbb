"""Lines for a terminal: every report line and error line goes out with its foreign text escaped."""

from __future__ import annotations

import sys

from cadoctor._text import printable


def printable_lines(lines: list[str]) -> str:
    """Lines of a report joined for a terminal, each escaped on its own, ending with a newline."""
    return "".join(printable(line) + "\n" for line in lines)


def error(message: str) -> None:
    """Write `cadoctor: message` to stderr as one line, whatever foreign text the message carries."""
    sys.stderr.write("cadoctor: %s\n" % printable(message))
