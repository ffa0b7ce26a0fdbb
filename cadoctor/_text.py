r"""Foreign text made safe to show and to paste: no name, argument or message can drive a terminal.

Command lines, environments, file names, certificate names and pasted messages come from outside. Shown to a
person, each control character (C0, DEL, C1, the bidirectional overrides that reorder a line) and each byte
that was not UTF-8 is written as an escape (`\x1b`, `\n`, `\u202e`), so one item stays one line; a fix never
names a value holding one, since no shell line can carry it as it is.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    """The visible form of one control character (a byte that was not UTF-8 shows as that byte)."""
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's surrogateescape of one undecodable byte
        return "\\x%02x" % (code - 0xDC00)
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


def printable(text: str) -> str:
    """The text with every control character escaped: safe to write to a terminal as one line."""
    return _CONTROL.sub(_escape, text)


def has_control(text: str) -> bool:
    """Whether a value holds a character that cannot be shown or pasted as it is."""
    return _CONTROL.search(text) is not None
