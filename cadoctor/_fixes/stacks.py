"""Fixes for native stacks: the variable each one reads, pointed at the file the user meant for it."""

from __future__ import annotations

from cadoctor._fixes.bundles import trustworthy
from cadoctor._fixes.shell import env_lines
from cadoctor._model import Facts, Finding, Fix


def stack_fixes(facts: Facts, findings: tuple[Finding, ...]) -> list[Fix]:
    """For a variable a stack ignores (SSL_CERT_FILE for node): the same file through the variable it reads.

    node's NODE_EXTRA_CA_CERTS adds the file to its bundled roots, so public sites keep working. Offered only
    when that variable is not already set (someone's choice is never overwritten) and the file is one a fix may
    name.
    """
    fixes: list[Fix] = []
    for finding in findings:
        if finding.code != "stack-ignores-variable" or finding.evidence.get("consumer") != "node":
            continue
        bundle = facts.bundle(str(finding.evidence["path"]))
        if facts.runtime.environment.get("NODE_EXTRA_CA_CERTS") or bundle is None or not trustworthy(bundle):
            continue
        change: dict[str, str | None] = {"NODE_EXTRA_CA_CERTS": bundle.path}
        fixes.append(
            Fix(
                kind="env",
                summary="Give node the roots of %s through NODE_EXTRA_CA_CERTS (added to its bundled roots)"
                % bundle.path,
                addresses=(finding.code,),
                env=change,
                lines=env_lines(change),
                evidence="not tried: cadoctor runs only a proven Python interpreter, and this is node",
            )
        )
    return fixes
