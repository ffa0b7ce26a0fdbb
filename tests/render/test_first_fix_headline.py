"""The report's "Fix first" line never puts forward a fix whose trial showed it does not work."""

from __future__ import annotations

import io

from helpers.records import facts
from rich.console import Console

from cadoctor._model import Finding, Fix, Report, Severity
from cadoctor._render.report import render_human

BROKEN = (Finding("client-host-fails", Severity.ERROR, "requests would fail it"),)


def headline(*fixes: Fix) -> str:
    """The second line of the human report (under the verdict) for these fixes, in this order."""
    stream = io.StringIO()
    render_human(Report(facts=facts(), findings=BROKEN, fixes=fixes), Console(file=stream, width=200))
    return stream.getvalue().splitlines()[1]


def test_a_failed_fix_is_never_the_headline() -> None:
    """The first fix failed: the next one that did not fail leads, labelled as not tried."""
    failed = Fix("env", "Point A at /x", ("client-host-fails",), env={"A": "/x"}, verified=False)
    untried = Fix("command", "Run update-ca-certificates", ("client-host-fails",), verified=None)
    assert headline(failed, untried) == "Fix first: Run update-ca-certificates [command, not tried]"


def test_when_every_fix_failed_none_is_put_forward() -> None:
    """Only failures: the line says no fix worked instead of naming one."""
    failed = Fix("env", "Point A at /x", ("client-host-fails",), env={"A": "/x"}, verified=False)
    assert headline(failed).startswith("No fix worked here")


def test_a_verified_fix_leads_with_its_line() -> None:
    """A verified env fix: its summary, its state, and its one shell line."""
    worked = Fix("env", "Point A at /x", ("client-host-fails",), lines={"shell": "export A='/x'"}, verified=True)
    stream = io.StringIO()
    render_human(Report(facts=facts(), findings=BROKEN, fixes=(worked,)), Console(file=stream, width=200))
    assert stream.getvalue().splitlines()[1:3] == ["Fix first: Point A at /x [env, verified]", "  export A='/x'"]
