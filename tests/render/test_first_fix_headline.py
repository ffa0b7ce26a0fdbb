"""The report's "Fix first" line puts forward only a fix shown to work, and says what no working fix addresses."""

from __future__ import annotations

import io

import pytest
from helpers.records import facts
from rich.console import Console

from cadoctor._model import ClientTrial, Finding, Fix, Report, Severity
from cadoctor._render.report import render_human

BROKEN = (Finding("client-host-fails", Severity.ERROR, "requests would fail it"),)


def headline(*fixes: Fix) -> str:
    """The second line of the human report (under the verdict) for these fixes, in this order."""
    stream = io.StringIO()
    render_human(Report(facts=facts(), findings=BROKEN, fixes=fixes), Console(file=stream, width=200))
    return stream.getvalue().splitlines()[1]


def test_an_untried_fix_is_never_put_forward_as_the_fix() -> None:
    """No fix worked: the line says so, and names the first untried one as the one to try, labelled so."""
    failed = Fix("env", "Point A at /x", ("client-host-fails",), env={"A": "/x"}, verified=False)
    untried = Fix("command", "Run update-ca-certificates", ("client-host-fails",), verified=None)
    assert headline(untried, failed) == (
        "No fix was shown to work here; to try first: Run update-ca-certificates [command, not tried]"
    )


def test_a_fix_for_a_warning_that_worked_says_the_error_remains() -> None:
    """The only fix that worked is for a warning: it leads, and the next line says the error has no working fix."""
    warning = Finding("override-replaces-defaults", Severity.WARNING, "")
    worked = Fix("env", "Point B at /y", ("override-replaces-defaults",), verified=True)
    untried = Fix("command", "Run update-ca-certificates", ("client-host-fails",), verified=None)
    stream = io.StringIO()
    report = Report(facts=facts(), findings=(*BROKEN, warning), fixes=(worked, untried))
    render_human(report, Console(file=stream, width=200))
    assert stream.getvalue().splitlines()[1:3] == [
        "Fix first: Point B at /y [env, verified]",
        "It leaves client-host-fails: no fix for it was shown to work",
    ]


def test_a_fix_tried_for_only_some_of_its_clients_is_labelled_partly_tried() -> None:
    """uv was not tried: the fix is not verified, and the list says which client worked and which was not shown."""
    partly = Fix(
        "env",
        "Point A at /x for requests, uv",
        ("client-host-fails",),
        verified=None,
        clients=("requests", "uv"),
        trials=(
            ClientTrial("requests", True, "requests 2.32.3", "the host answered HTTP 404"),
            ClientTrial("uv", None, None, "no request is made through it"),
        ),
    )
    stream = io.StringIO()
    render_human(Report(facts=facts(), findings=BROKEN, fixes=(partly,)), Console(file=stream, width=200))
    text = stream.getvalue()
    assert text.splitlines()[1].endswith("[env, partly tried]")
    assert "     requests: worked (the host answered HTTP 404)" in text
    assert "     uv: not shown (no request is made through it)" in text


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


SERVER = Fix("server", "Send the intermediate", ("client-host-fails",), verified=None)
PARTLY = Fix(
    "env",
    "Point A at /x",
    ("client-host-fails",),
    verified=None,
    trials=(ClientTrial("requests", True, "requests 2.32.3", "ok"), ClientTrial("uv", None, None, "not asked")),
)


@pytest.mark.parametrize(
    ("fix", "label"),
    [
        (SERVER, "server, on the server"),
        (Fix("env", "Point A at /x", ("client-host-fails",), verified=True), "env, verified"),
        (PARTLY, "env, partly tried"),
        (Fix("command", "Run update-ca-certificates", ("client-host-fails",), verified=None), "command, not tried"),
    ],
    ids=["server", "verified", "partly", "untried"],
)
def test_the_headline_labels_a_fix_as_the_list_does(fix: Fix, label: str) -> None:
    """Whichever line names it, "Fix first", "to try first" or the list of fixes, a fix has one label."""
    stream = io.StringIO()
    render_human(Report(facts=facts(), findings=BROKEN, fixes=(fix,)), Console(file=stream, width=200))
    lines = stream.getvalue().splitlines()
    assert lines[1].endswith("%s [%s]" % (fix.summary, label))
    assert "  1. [%s] %s" % (label, fix.summary) in lines
