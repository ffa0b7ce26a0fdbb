"""Fixes come in the order to apply them: what worked (the worst finding's first), then the untried, failures last."""

from __future__ import annotations

from cadoctor._commands.check import ranked
from cadoctor._model import Finding, Fix, Severity

ERROR = Finding("client-host-fails", Severity.ERROR, "")
WARNING = Finding("override-replaces-defaults", Severity.WARNING, "")


def fix(
    name: str, kind: str = "env", verified: bool | None = None, code: str = "client-host-fails", **more: object
) -> Fix:
    """A fix named by its summary."""
    return Fix(kind, name, (code,), verified=verified, **more)  # type: ignore[arg-type]


def order(*fixes: Fix) -> list[str]:
    """The summaries in ranked order."""
    return [f.summary for f in ranked(fixes, (ERROR, WARNING))]


def test_a_fix_that_did_not_work_comes_last_even_when_its_kind_is_smaller() -> None:
    """An env fix that failed goes after an untried command and a verified code fix."""
    assert order(fix("env failed", verified=False), fix("command", "command"), fix("code worked", "code", True)) == [
        "code worked",
        "command",
        "env failed",
    ]


def test_within_a_finding_what_worked_comes_before_what_was_not_tried() -> None:
    """Two env fixes for the same error: the verified one leads."""
    assert order(fix("untried"), fix("worked", verified=True)) == ["worked", "untried"]


def test_only_a_fix_that_worked_leads_whatever_it_is_for() -> None:
    """A verified fix for a warning comes before an untried one for an error; a failed one for the error is last."""
    assert order(
        fix("warning worked", verified=True, code="override-replaces-defaults"),
        fix("error untried", "command"),
        fix("error failed", verified=False),
    ) == ["warning worked", "error untried", "error failed"]


def test_among_the_fixes_that_worked_the_worst_finding_is_fixed_first() -> None:
    """Two verified fixes: the error's before the warning's, whatever their kinds."""
    assert order(
        fix("warning env", verified=True, code="override-replaces-defaults"),
        fix("error code", "code", True),
    ) == ["error code", "warning env"]


def test_a_server_fix_counts_with_the_fixes_that_worked() -> None:
    """What the server must change cannot be tried here: it leads an untried local command for the same error."""
    assert order(fix("command", "command"), fix("server", "server")) == ["server", "command"]


def test_turning_verification_back_on_comes_before_any_other_error() -> None:
    """A value that makes any server trusted is fixed before a client that fails a host, both verified."""
    disabled = Finding("verification-disabled", Severity.ERROR, "")
    fixes = (
        fix("host", verified=True, env={"PIP_CERT": "/x"}),
        fix("verification", verified=True, code="verification-disabled", env={"A": None, "B": "/x"}),
    )
    assert [f.summary for f in ranked(fixes, (ERROR, disabled))] == ["verification", "host"]


def test_among_equals_the_fix_for_more_of_the_failing_clients_comes_first() -> None:
    """Two verified env fixes for one error: the one for three clients before the one for one."""
    few = fix("few", verified=True, clients=("httpx",), env={"A": "/x"})
    many = fix("many", verified=True, clients=("requests", "botocore", "httpx"), env={"A": "/y", "B": "/y"})
    assert order(few, many) == ["many", "few"]


def test_among_equals_fewer_settings_and_no_file_to_join_come_first() -> None:
    """The smallest change first: one variable naming a file that exists before two, before a join."""
    one = fix("one", verified=True, env={"A": "/x"})
    two = fix("two", verified=True, env={"A": "/x", "B": "/x"})
    joined = fix("joined", verified=True, env={"A": "/y"}, merge=("/p", "/q"))
    assert order(joined, two, one) == ["one", "two", "joined"]
