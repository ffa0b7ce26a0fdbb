"""cadoctor run as a user runs it (`python -m cadoctor` in a child), and its JSON documents read and validated."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from referencing import Registry, Resource

CHILD_TIMEOUT = 120
SHIPPED = resources.files("cadoctor").joinpath("schema")
SCHEMAS = {entry.name: json.loads(entry.read_text()) for entry in SHIPPED.iterdir() if entry.name.endswith(".json")}
REGISTRY: Registry[Any] = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema)) for schema in SCHEMAS.values()
)


def validate(document: Any, name: str) -> None:
    """Validate a document against a shipped schema, resolving references between the schemas as published."""
    import jsonschema

    jsonschema.Draft202012Validator(SCHEMAS[name], registry=REGISTRY).validate(document)


def run_cadoctor(
    args: list[str],
    env: dict[str, str],
    executable: str = sys.executable,
    *,
    prefix: Sequence[str] = (),
    **kwargs: Any,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m cadoctor` in a child interpreter with exactly this environment (after `prefix`, if any)."""
    return subprocess.run(
        [*prefix, executable, "-m", "cadoctor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
        **kwargs,
    )


def check_json(
    env: dict[str, str], *extra: str, prefix: Sequence[str] = (), cwd: Path | None = None
) -> tuple[int, dict[str, Any]]:
    """Run `cadoctor check --format json` (in `cwd`, if given) and parse its report."""
    result = run_cadoctor(["check", "--format", "json", *extra], env, prefix=prefix, cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def codes(report: dict[str, Any], severity: str | None = None) -> set[str]:
    """The finding codes of a JSON report, optionally of one severity."""
    return {f["code"] for f in report["findings"] if severity is None or f["severity"] == severity}


SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


# docs/exit-codes.md's hosts that gave no TLS answer: their findings make exit 4, not 1, unless trust fails too
NO_TLS_ANSWER = frozenset({"host-unreachable", "host-timeout", "host-not-tls", "host-connection-reset"})


def exit_for(report: dict[str, Any], fail_on: str = "error") -> int:
    """The exit status a check's report implies (docs/exit-codes.md): 1 with a trust finding at or above `fail_on`;
    else 4 when a host gave no TLS answer (its code, in `hosts[]`); else 0."""
    if fail_on == "never":
        return 0
    trust = [f for f in report["findings"] if f["code"] not in NO_TLS_ANSWER]
    if any(SEVERITY_RANK[f["severity"]] >= SEVERITY_RANK[fail_on] for f in trust):
        return 1
    return 4 if any(host["code"] in NO_TLS_ANSWER for host in report.get("hosts", [])) else 0
