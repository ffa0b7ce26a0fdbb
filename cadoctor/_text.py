r"""Foreign text made safe to show and to paste: no name, argument or message can drive a terminal.

Command lines, environments, file names, certificate names and pasted messages come from outside. Shown to a
person, each control character (C0, DEL, C1, the bidirectional overrides that reorder a line) and each byte
that was not UTF-8 is written as an escape (`\x1b`, `\n`, `\u202e`), so one item stays one line; a fix never
names a value holding one, since no shell line can carry it as it is.
"""

from __future__ import annotations


def _visible(code: int) -> str:
    """The visible form of one control character (a byte that was not UTF-8 shows as that byte)."""
    if code in (0x0A, 0x0D, 0x09):
        return {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}[code]
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's surrogateescape of one undecodable byte
        return "\\x%02x" % (code - 0xDC00)
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


_CONTROLS = (
    *range(0x00, 0x20),  # C0
    *range(0x7F, 0xA0),  # DEL, C1
    0x061C,  # Arabic letter mark
    0x200E,  # left-to-right mark
    0x200F,  # right-to-left mark
    0x2028,  # line separator
    0x2029,  # paragraph separator
    *range(0x202A, 0x202F),  # bidirectional embeddings and overrides
    *range(0x2066, 0x206A),  # bidirectional isolates
    *range(0xD800, 0xE000),  # surrogates (an undecodable byte, escaped)
)
# One table for str.translate; every character in it is one `str.isprintable` refuses, so text it accepts is safe.
_ESCAPES = {code: _visible(code) for code in _CONTROLS}


def printable(text: str) -> str:
    """The text with every control character escaped: safe to write to a terminal as one line."""
    return text if text.isprintable() else text.translate(_ESCAPES)


def has_control(text: str) -> bool:
    """Whether a value holds a character that cannot be shown or pasted as it is."""
    return not text.isprintable() and text.translate(_ESCAPES) != text
