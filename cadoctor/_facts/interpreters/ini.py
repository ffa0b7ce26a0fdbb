"""INI configuration files read line by line, as the clients' `configparser.RawConfigParser` reads them.

pip and botocore read their files with Python's RawConfigParser and its defaults: `#` and `;` begin a comment only
at the start of a line, a section header is everything between the first `[` and the last `]` of its line (spaces
kept: `[ default ]` is not `default`), a key ends at the first `=` or `:` and is compared lowercased, a line indented
deeper than the key above it continues that key's value (botocore's nested `s3 =` blocks), and a blank or comment
line does not end a value. Before Python 3.10 a header ends at the first `]` of its line instead (configparser's
`SECTCRE` took `[^]]+`; 3.10 made it `.+`): the clients read with the examined interpreter's configparser, so the
reader and the editor take that interpreter's rule (`first_bracket`). One line model serves the reader here and the
fix that edits one key of a file (`_fixes.settings.edited`, and the POSIX awk line printed for it), so what a fix
changes is what was read. Whitespace is ASCII whitespace, as awk's classes see it.
"""

from __future__ import annotations

from collections.abc import Iterator

from cadoctor._record import record

SPACE = " \t\r\f\v"
COMMENT = ("#", ";")
DEFAULTS = "DEFAULT"  # configparser's default section: its keys are every other section's fallback

# What one line of an INI file is.
BLANK = "blank"
REMARK = "comment"
HEADER = "header"
KEY = "key"
CONTINUATION = "continuation"
OTHER = "other"  # a line configparser rejects (no `=`, no section yet): the file fails to load as a whole


@record
class IniLine:
    """One line of an INI file as configparser reads it.

    Attributes:
        kind: `blank`, `comment`, `header`, `key`, `continuation` or `other`.
        section: The section the line is in (a header: the one it opens), None before the first header.
        key: A key line's name, lowercased (a continuation: the key it continues).
        value: A key line's value, or the text a continuation adds to it (stripped).
        text: The line as written, without its newline.

    """

    kind: str
    section: str | None
    key: str | None
    value: str
    text: str


def indent_of(line: str) -> int:
    """How many whitespace characters a line starts with."""
    return len(line) - len(line.lstrip(SPACE))


def first_bracket(python_version: str) -> bool:
    """Whether that Python's configparser ends a section header at its first `]` (before 3.10), not its last."""
    try:
        return tuple(int(part) for part in python_version.split(".")[:2]) < (3, 10)
    except ValueError:
        return False  # an unknown version: the current rule


def header_name(stripped: str, first: bool = False) -> str | None:
    """A section header's name: from the `[` to the line's last `]` (`first`: its first), one character at least."""
    if not stripped.startswith("["):
        return None
    end = stripped.find("]", 1) if first else stripped.rfind("]")
    return stripped[1:end] if end > 1 else None


def ini_lines(text: str, first: bool = False) -> Iterator[IniLine]:
    """Each line of the text, classified as configparser does (split at newlines only: a CR before one is space).

    `first`: headers end at their first `]`, as before Python 3.10 (`first_bracket`).
    """
    section: str | None = None
    key: str | None = None  # the key whose value a deeper-indented line continues
    key_indent = 0
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line opens no line of its own
    for line in lines:
        stripped = line.strip(SPACE)
        if not stripped:
            yield IniLine(BLANK, section, key, "", line)
            continue
        if stripped.startswith(COMMENT):
            yield IniLine(REMARK, section, key, "", line)
            continue
        indent = indent_of(line)
        if key is not None and indent > key_indent:
            yield IniLine(CONTINUATION, section, key, stripped, line)
            continue
        key = None
        name = header_name(stripped, first)
        if name is not None:
            section = name
            yield IniLine(HEADER, section, None, "", line)
            continue
        cut = min((i for i in (stripped.find("="), stripped.find(":")) if i >= 0), default=-1)
        if section is None or cut < 1:
            yield IniLine(OTHER, section, None, "", line)
            continue
        key, key_indent = stripped[:cut].rstrip(SPACE).lower(), indent
        yield IniLine(KEY, section, key, stripped[cut + 1 :].strip(SPACE), line)


def ini_sections(text: str, first: bool = False) -> dict[str, dict[str, str]]:
    """Each section's keys and values, in file order (a key set twice: the last; a continued value joined)."""
    sections: dict[str, dict[str, list[str]]] = {}
    for line in ini_lines(text, first):
        if line.kind == HEADER and line.section is not None:
            sections.setdefault(line.section, {})
        elif line.kind == KEY and line.section is not None and line.key is not None:
            sections[line.section][line.key] = [line.value]
        elif line.kind in (CONTINUATION, BLANK) and line.section is not None and line.key is not None:
            sections[line.section][line.key].append(line.value)
    return {name: {k: "\n".join(v).rstrip() for k, v in keys.items()} for name, keys in sections.items()}


def ini_value(sections: dict[str, dict[str, str]], section: str, key: str) -> tuple[str, str] | None:
    """A key's value in a section, and the section it is written in: its own, else DEFAULT's (None: neither).

    configparser gives every section the DEFAULT section's keys it does not set itself; a section that is not
    in the file has none.
    """
    if section not in sections:
        return None
    if key in sections[section]:
        return sections[section][key], section
    if key in sections.get(DEFAULTS, {}):
        return sections[DEFAULTS][key], DEFAULTS
    return None
