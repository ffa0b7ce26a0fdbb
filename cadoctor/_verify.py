"""Try each fix in a fresh child of the examined interpreter, with exactly that change applied."""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Mapping

from cadoctor import _probe
from cadoctor._model import Facts, Fix
from cadoctor._record import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TRIAL_TIMEOUT = 30.0
_PROBE_SCRIPT = os.path.abspath(_probe.__file__)


def _child_env(base: Mapping[str, str], change: Mapping[str, str | None] | None) -> dict[str, str]:
    """The checked process's environment with one change applied."""
    env = dict(base)
    for name, value in (change or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _request(fix: Fix, facts: Facts, timeout: float) -> dict[str, Any]:
    """What the child should try: preloads, explicit locations, and sample roots to verify."""
    source = facts.bundle(fix.sample_source) if fix.sample_source else None
    samples = [base64.b64encode(der).decode("ascii") for der in (source.samples if source else ())]
    request: dict[str, Any] = {
        "preload": list(fix.preload),
        "cafile": fix.cafile,
        "capath": fix.capath,
        "add_cafile": fix.add_cafile,
        "samples": samples,
    }
    if fix.trial_host is not None:
        host = fix.trial_host
        request["host"] = {"host": host.host, "port": host.port, "server_name": host.server_name, "timeout": timeout}
    return request


def _judge(fix: Fix, outcome: dict[str, Any] | None, problem: str | None, before: int, fresh: str) -> Fix:
    """Turn a trial's outcome into verified and its evidence."""
    if outcome is None:
        return replace(fix, verified=False, evidence="the trial interpreter failed: %s" % problem)
    if outcome.get("error"):
        return replace(fix, verified=False, evidence="in a fresh %s: %s" % (fresh, outcome["error"]))
    loaded = int(outcome.get("loaded") or 0)
    parts = ["in a fresh %s the context loaded %d CA certificates (before: %d)" % (fresh, loaded, before)]
    roots = outcome.get("roots")
    ok = loaded > 0
    if roots:
        if roots.get("error"):
            parts.append("root check unavailable: %s" % roots["error"])
        else:
            parts.append("%d of %d sample roots verified" % (roots["trusted"], roots["tried"]))
            ok = roots["tried"] > 0 and roots["trusted"] == roots["tried"]
    shake = outcome.get("handshake")
    if shake is not None and fix.trial_host is not None:
        target = fix.trial_host.target
        if shake.get("ok"):
            parts.append("a real handshake to %s succeeded (%s)" % (target, shake.get("protocol")))
        else:
            parts.append("a real handshake to %s failed: %s" % (target, shake.get("error")))
        ok = bool(shake.get("ok"))
    in_use = [lib for lib in (outcome.get("libraries") or {}).get("items", []) if lib.get("in_use")]
    if in_use:
        parts.append("ssl used %s (OPENSSLDIR %s)" % (in_use[0]["path"], in_use[0].get("openssldir")))
    return replace(fix, verified=ok, evidence="; ".join(parts))


def verify(
    fixes: tuple[Fix, ...],
    facts: Facts,
    executable: str = sys.executable,
    environment: Mapping[str, str] | None = None,
    host_timeout: float = 10.0,
) -> tuple[Fix, ...]:
    """Run every triable fix in its own child interpreter, all at once, and record what each showed."""
    triable = [
        i for i, fix in enumerate(fixes) if fix.kind != "command" and not (fix.kind == "env" and fix.env is None)
    ]
    if not triable:
        return fixes
    import subprocess

    fresh = "interpreter" if executable == sys.executable else executable  # name another interpreter
    base = dict(os.environ if environment is None else environment)
    before = facts.runtime.context_loaded
    running: list[tuple[int, subprocess.Popen[bytes], bytes]] = []
    results = list(fixes)
    for index in triable:
        fix = fixes[index]
        payload = json.dumps(_request(fix, facts, host_timeout)).encode()
        try:
            child = subprocess.Popen(
                [executable, _PROBE_SCRIPT, "--verify"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=_child_env(base, fix.env),
                cwd="/",
            )
        except OSError as exc:
            results[index] = _judge(fix, None, str(exc), before, fresh)
            continue
        running.append((index, child, payload))
    for index, child, payload in running:
        fix = fixes[index]
        try:
            out, err = child.communicate(payload, timeout=TRIAL_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            results[index] = _judge(fix, None, "no answer within %.0f s" % TRIAL_TIMEOUT, before, fresh)
            continue
        try:
            outcome = json.loads(out.decode("utf-8", "replace"))
        except ValueError:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["exit code %d" % child.returncode]
            results[index] = _judge(fix, None, tail[0], before, fresh)
            continue
        results[index] = _judge(fix, outcome, None, before, fresh)
    return tuple(results)
