"""cadoctor run as a user runs it (`python -m cadoctor` in a child, or the command on a terminal), and its JSON
documents read and validated."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from referencing import Registry, Resource

CHILD_TIMEOUT = 120
COMMAND = Path(sys.executable).with_name("cadoctor")  # the console script installed beside this interpreter
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


def on_terminal(
    argv: Sequence[str], env: dict[str, str], columns: int = 80, *, stdout: bool = True, stderr: bool = True
) -> tuple[int, str]:
    """Run `argv` with stdout and stderr (those asked for; the other to /dev/null) on a pseudo-terminal `columns`
    wide, as a person sees it; its exit status and what the terminal received, `\\r\\n` read as `\\n`."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    child = subprocess.Popen(
        list(argv),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=follower if stdout else subprocess.DEVNULL,
        stderr=follower if stderr else subprocess.DEVNULL,
    )
    os.close(follower)
    deadline = time.monotonic() + CHILD_TIMEOUT
    seen = b""
    try:
        while select.select([leader], [], [], max(deadline - time.monotonic(), 0))[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)
    return child.wait(timeout=CHILD_TIMEOUT), seen.decode(errors="replace").replace("\r\n", "\n")


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
