"""`cadoctor explain` as JSON and as human lines."""

from __future__ import annotations

from cadoctor._model import SCHEMA_VERSION
from cadoctor._render.terminal import printable_lines
from cadoctor._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._rules.explain.reading import Explanation


def to_document(explanation: Explanation, text: str) -> dict[str, Any]:
    """The explanation as a versioned JSON document (schema_version 1, like every other command's)."""
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
            }
            for c in explanation.causes
        ],
    }


def to_text(explanation: Explanation) -> str:
    """Plain text for people: each likely cause, what to check next, and the command that checks it."""
    if not explanation.known:
        return (
            "cadoctor: this text matches no TLS or CA error cadoctor knows.\n"
            "Run `cadoctor check` (and `cadoctor check --host HOST` for a failing host) to examine the trust path.\n"
        )
    lines = ["cadoctor: %d likely cause%s" % (len(explanation.causes), "" if len(explanation.causes) == 1 else "s")]
    if explanation.side is not None:
        lines.append("printed by the %s (it shows `%s`)" % (explanation.side, explanation.side_evidence))
    for number, cause in enumerate(explanation.causes, 1):
        codes = ", ".join(cause.codes) if cause.codes else "no finding code"
        lines.append("")
        lines.append("%d. %s  [%s]" % (number, cause.cause, codes))
        lines.append("   matched: %s" % cause.matched)
        lines.append("   check:   %s" % cause.check)
        lines.append("   run:     %s" % cause.command)
    return printable_lines(lines)
