"""The self-check's entry: the stat-only look, then (only on a problem) the repair path."""

from __future__ import annotations

import os

from cadoctor._selfcheck.quick import ANSWERED, WATCHED, Result, quick_check, resolve_mode


def run(mode: str | None = None) -> Result:
    """Check this process's trust path once; warn, repair or raise as the mode says.

    Cheap to call again: a healthy path costs a few stat calls, and a fix already applied is not applied twice.
    """
    chosen = resolve_mode(mode)
    if chosen == "off":
        return Result(ok=True, mode=chosen)
    reason = quick_check()
    if reason is None:
        return Result(ok=True, mode=chosen)
    key = (chosen, *(os.environ.get(name) for name in WATCHED))
    if key in ANSWERED:
        return ANSWERED[key]  # said once already: stay quiet and cheap until something changes
    from cadoctor._selfcheck import repair

    result = repair.respond(chosen)
    ANSWERED[key] = result
    return result
