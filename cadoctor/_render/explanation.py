"""`cadoctor explain` as JSON and as human lines."""

from __future__ import annotations

from cadoctor._model import SCHEMA_VERSION
from cadoctor._redact import redacted_document
from cadoctor._render.terminal import counted, printable_lines
from cadoctor._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._rules.explain.reading import Explanation


def to_document(explanation: Explanation, text: str) -> dict[str, Any]:
    """The explanation as a versioned JSON document (schema_version 1, like every other command's)."""
    return redacted_document(_document(explanation, text))


def _document(explanation: Explanation, text: str) -> dict[str, Any]:
    """The document before its secrets are masked."""
    return {
        "schema_version": SCHEMA_VERSION,
        "cadoctor_version": __version__,
        "known": explanation.known,
        "input_characters": len(text),
        "host": explanation.host,
        "side": explanation.side,
        "side_evidence": explanation.side_evidence,
        "causes": [
            {
                "pattern": c.name,
                "codes": list(c.codes),
                "matched": c.matched,
                "cause": c.cause,
                "check": c.check,
                "command": c.command,
                "clue": None
                if c.clue is None
                else {"name": c.clue.name, "matched": c.clue.matched, "reason": c.clue.reason},
            }
            for c in explanation.causes
        ],
    }


def to_text(explanation: Explanation, width: int | None = None) -> str:
    """Plain text for people: each likely cause, what to check next, and the command that checks it.

    With a `width` (a terminal's), each line is folded to it under its text; the command to run is left whole.
    """
    if not explanation.known:
        unknown = [
            "cadoctor: this text matches no TLS or CA error cadoctor knows.",
            "Run `cadoctor check` (and `cadoctor check --host HOST` for a failing host) to examine the trust path.",
        ]
        return printable_lines(unknown, width)
    lines: list[str | tuple[str, int | None]] = ["cadoctor: %s" % counted(len(explanation.causes), "likely cause")]
    if explanation.side is not None:
        lines.append("printed by the %s (it shows `%s`)" % (explanation.side, explanation.side_evidence))
    for number, cause in enumerate(explanation.causes, 1):
        codes = ", ".join(cause.codes) if cause.codes else "no finding code"
        lines.append("")
        lines.append(("%d. %s  [%s]" % (number, cause.cause, codes), len("%d. " % number)))
        lines.append(("   matched: %s" % cause.matched, len("matched: ")))
        if cause.clue is not None:  # what around the error line put this code first
            lines.append(("   because: %s (it shows `%s`)" % (cause.clue.reason, cause.clue.matched), len("because: ")))
        lines.append(("   check:   %s" % cause.check, len("check:   ")))
        lines.append(("   run:     %s" % cause.command, None))  # a command to paste: never folded
    return printable_lines(lines, width)
