"""Fixes for native stacks: node gets the file meant for SSL_CERT_FILE through NODE_EXTRA_CA_CERTS."""

from __future__ import annotations

import pytest
from helpers.records import PRIVATE, bundle, facts, missing, with_bundles, with_environment

from cadoctor._fixes.shell import env_lines
from cadoctor._fixes.stacks import stack_fixes
from cadoctor._model import Bundle, Exposure, Finding, Fix, Severity


def ignored(consumer: str = "node", path: str = PRIVATE) -> Finding:
    """stack-ignores-variable as the stack rules give it for SSL_CERT_FILE."""
    return Finding(
        "stack-ignores-variable",
        Severity.WARNING,
        "",
        {"consumer": consumer, "variable": "SSL_CERT_FILE", "path": path, "fix": "NODE_EXTRA_CA_CERTS"},
    )


def test_node_gets_the_same_file_through_the_variable_it_reads() -> None:
    """The file SSL_CERT_FILE names is offered to node as NODE_EXTRA_CA_CERTS, untried (node is not run)."""
    examined = with_bundles(facts(), bundle(PRIVATE, "env:SSL_CERT_FILE", certificates=1))
    change: dict[str, str | None] = {"NODE_EXTRA_CA_CERTS": PRIVATE}
    assert stack_fixes(examined, (ignored(),)) == [
        Fix(
            "env",
            "Give node the roots of %s through NODE_EXTRA_CA_CERTS (added to its bundled roots)" % PRIVATE,
            ("stack-ignores-variable",),
            env=change,
            lines=env_lines(change),
            evidence="not tried: cadoctor runs only a proven Python interpreter, and this is node",
        )
    ]


@pytest.mark.parametrize(
    "target",
    [
        missing(PRIVATE),
        bundle(PRIVATE, exposures=(Exposure("/srv", 1000, 0o777, "writable by every user"),)),
        bundle(PRIVATE, certificates=0),
    ],
)
def test_a_file_a_fix_may_not_name_is_not_passed_on(target: Bundle) -> None:
    """A missing, empty or writable file is not handed to node either."""
    examined = with_bundles(facts(), target)
    assert stack_fixes(examined, (ignored(),)) == []


def test_node_extra_ca_certs_already_set_is_never_overwritten_and_other_stacks_get_nothing() -> None:
    """Someone's NODE_EXTRA_CA_CERTS stays; other consumers, uninventoried files and other findings get no fix."""
    examined = with_bundles(facts(), bundle(PRIVATE, certificates=1))
    assert stack_fixes(with_environment(examined, NODE_EXTRA_CA_CERTS="/srv/mine.pem"), (ignored(),)) == []
    assert stack_fixes(examined, (ignored("librdkafka"),)) == []
    assert stack_fixes(examined, (ignored(path="/srv/unseen.pem"),)) == []
    assert stack_fixes(examined, (Finding("multiple-openssl", Severity.INFO, "", {"consumer": "node"}),)) == []
