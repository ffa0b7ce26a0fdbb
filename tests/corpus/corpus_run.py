"""Runs one setup of the corpus end to end, as a user would meet it, and keeps what each step showed.

1. Build it (corpus_build) and start its servers on 127.0.0.1: `private` (the leaf under the setup's root, sent
   with or without its intermediate), `public` (under a root that stands in for a public one), `untrusted` (under a
   root no store holds).
2. Ground truth: one request through the real client (tests/clients.py `observe`) to each host, in a fresh child
   with the setup's environment, in its namespace; and through the `others` (clients that must keep working).
3. `cadoctor check --format json --python <the setup's interpreter> --host 127.0.0.1:PORT ...`, run by the CLI
   with the same environment, in the same namespace.
4. The first fix exactly as printed: its shell lines run in /bin/sh in the namespace with / read-only and no
   network (a command acts only on the setup's copies), and the environment they leave is the next child's; a
   code fix runs first thing in the client's interpreter (a sitecustomize); a server fix is what the setup's server
   operator would do (`server_fixed`).
5. Ground truth again, with the fix applied.

`Outcome` keeps every observation; tests/corpus/test_setups.py asserts on it. A setup that does not reproduce its
thread raises `GroundTruthError` (the corpus is wrong, never an expected failure); what cadoctor got wrong raises
`CadoctorMismatch` (what `xfail(raises=CadoctorMismatch)` waits for while the mechanisms it needs are built).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import corpus_build as build
from corpus_pythons import interpreter
from helpers import clients, environment
from helpers.runs import validate
from helpers.servers import serve_clients

CADOCTOR_TIMEOUT = 300.0
FIX_TIMEOUT = 120.0
ENV_LINE = re.compile(r"^(export [A-Za-z_][A-Za-z0-9_]*=.*|unset [A-Za-z_][A-Za-z0-9_ ]*)$")
ENV_MARK = "CADOCTOR-CORPUS-ENVIRONMENT"  # printed between what the fix's lines print and the environment they leave
SHELL_NOISE = frozenset({"PWD", "OLDPWD", "SHLVL", "_"})  # what /bin/sh itself adds to the environment it leaves
# A fix's command that would reach for a package index or the network is never run (nor could it, offline).
NETWORK = re.compile(
    r"(?:^|[;&|(]|\bsudo)\s*(apt-get|apt|aptitude|dnf|yum|microdnf|apk|zypper|brew|curl|wget|conda|mamba"
    r"|pip3?\s+install|python3?\s+-m\s+pip\s+install)\b",
    re.MULTILINE,
)
CADOCTOR_NAMES = {"urllib": "urllib (stdlib)", "http.client": "urllib (stdlib)"}  # client -> name in the report
HOSTS = ("private", "public", "untrusted")


class GroundTruthError(AssertionError):
    """The real client did not do what the setup's thread reported: the reproduction, not cadoctor, is at fault."""


class CadoctorMismatch(AssertionError):
    """cadoctor's first cause, its verdict on a client, or its first fix is not what the setup says it must be."""


@dataclass
class Outcome:
    """What one setup showed: the real clients before and after the first fix, and cadoctor's report."""

    setup: dict[str, Any]
    work: Path
    python: str = ""
    ports: dict[str, int] = field(default_factory=dict)  # host name -> port, before any server fix
    before: dict[str, clients.Observation] = field(default_factory=dict)  # "client@host" -> what the client did
    after: dict[str, clients.Observation] = field(default_factory=dict)
    report: dict[str, Any] | None = None
    status: int | None = None
    cadoctor_output: str = ""
    fix: dict[str, Any] | None = None
    fix_output: str = ""
    fix_failed: str | None = None
    seconds: float = 0.0
    verdict: str | None = None  # what the test concluded: "as expected", or what cadoctor got wrong

    @property
    def expect(self) -> dict[str, Any]:
        """The setup's expectations."""
        return dict(self.setup["expect"])

    def first_cause(self) -> dict[str, Any] | None:
        """The first finding of the report: findings come worst first, in rule order within a severity."""
        findings = (self.report or {}).get("findings") or []
        return dict(findings[0]) if findings else None

    def summary(self) -> dict[str, Any]:
        """One line of the corpus report: ground truth, cadoctor's first cause and first fix, what the fix did."""
        cause = self.first_cause()
        return {
            "id": self.setup["id"],
            "seconds": round(self.seconds, 1),
            "before": {key: value.code for key, value in self.before.items()},
            "first_cause": cause and {"code": cause["code"], "severity": cause["severity"]},
            "cause_text": cause and cause["summary"],
            "expected_cause": self.expect.get("cause"),
            "first_fix": self.fix
            and {key: self.fix.get(key) for key in ("kind", "summary", "verified", "evidence", "env", "command")},
            "fix_failed": self.fix_failed,
            "after": {key: value.code for key, value in self.after.items()},
            "needs": self.setup.get("needs", []),
            "verdict": self.verdict,
        }


def expected_codes(setup: Mapping[str, Any], moment: str) -> dict[str, str]:
    """The client's expected Y/N/X per host `before` or `after` the fix (one letter means every host)."""
    hosts = setup.get("hosts", ["private"])
    wanted = setup["expect"].get(moment, "Y")
    return {host: wanted for host in hosts} if isinstance(wanted, str) else dict(wanted)


def user_env(setup: Mapping[str, Any], work: Path) -> dict[str, str]:
    """The environment the user runs everything in: clean, a private HOME, then the setup's own variables.

    tests/clients.py's `client_env` keeps this host's pip and AWS configuration out; a setup about a config file
    drops those guards (`drop`) and writes its own file.
    """
    home = work / "home"
    home.mkdir(exist_ok=True)
    env = environment.child_env(HOME=str(home))
    for name in setup.get("drop", []):
        env.pop(name, None)
    env.update({name: build.expand(value, work) for name, value in setup.get("env", {}).items()})
    return env


@contextlib.contextmanager
def servers(setup: Mapping[str, Any], pki: build.Pki, work: Path, fixed: bool = False) -> Iterator[dict[str, int]]:
    """Start the setup's hosts; yield host name -> port. `fixed`: the private host as `server_fixed` describes it."""
    folder = work / ("servers-fixed" if fixed else "servers")
    folder.mkdir(exist_ok=True)
    presentation = {**setup.get("server", {}), **(setup.get("server_fixed", {}) if fixed else {})}
    private_leaf = pki.reissued_leaf if presentation.get("reissue") else pki.leaf
    private_key = pki.reissued_key if presentation.get("reissue") else pki.key
    chain = pki.intermediate if presentation.get("send", "chain") == "chain" and pki.intermediate else b""
    leaves = {
        "private": (private_leaf + chain, private_key),
        "public": (pki.public_leaf, pki.public_key),
        "untrusted": (pki.untrusted_leaf, pki.untrusted_key),
    }
    with contextlib.ExitStack() as stack:
        ports = {}
        for host in setup.get("hosts", ["private"]):
            cert, key = folder / ("%s.pem" % host), folder / ("%s.key" % host)
            cert.write_bytes(leaves[host][0])
            key.write_bytes(leaves[host][1])
            ports[host] = stack.enter_context(serve_clients(cert, key))
        yield ports


def measure(
    outcome: Outcome, ports: Mapping[str, int], env: Mapping[str, str], prefix: tuple[str, ...]
) -> dict[str, clients.Observation]:
    """The setup's client on every host, and each of its `others` on every host."""
    setup = outcome.setup
    seen = {}
    for client in [setup["client"], *setup.get("others", ["urllib"])]:
        for host, port in ports.items():
            seen["%s@%s" % (client, host)] = clients.observe(outcome.python, client, port, env, prefix=prefix)
    return seen


def check_ground_truth(outcome: Outcome) -> None:
    """The setup's client did what its thread reported, before the fix: else the reproduction is wrong."""
    client = outcome.setup["client"]
    for host, wanted in expected_codes(outcome.setup, "before").items():
        seen = outcome.before["%s@%s" % (client, host)]
        if seen.code != wanted:
            raise GroundTruthError(
                "%s: %s on %s did %s, the setup says %s: %s"
                % (outcome.setup["id"], client, host, seen.code, wanted, seen.evidence)
            )


def run_cadoctor(outcome: Outcome, ports: Mapping[str, int], env: Mapping[str, str], context: build.Context) -> None:
    """`cadoctor check --format json --python ... --host 127.0.0.1:PORT ...` in the setup's namespace and cwd."""
    cwd = context.work / "cwd"
    cwd.mkdir(exist_ok=True)
    argv = [
        *context.prefix(),
        sys.executable,
        "-m",
        "cadoctor",
        "check",
        "--format",
        "json",
        "--python",
        outcome.python,
    ]
    for host, port in ports.items():
        if host != "untrusted":  # there only to tell a client that verifies from one that does not
            argv += ["--host", "127.0.0.1:%d" % port]
    done = subprocess.run(
        argv, env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=CADOCTOR_TIMEOUT, check=False
    )
    outcome.status = done.returncode
    outcome.cadoctor_output = done.stderr[-4000:]
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        return
    import jsonschema

    try:
        report = json.loads(done.stdout)
        validate(report, "report-v1.json")
    except (ValueError, jsonschema.ValidationError) as exc:  # not JSON, or JSON its own schema rejects
        outcome.cadoctor_output = "%s: %s\n%s" % (type(exc).__name__, str(exc)[:2000], outcome.cadoctor_output)
        return
    outcome.report = report


def apply_fix(
    outcome: Outcome, fix: Mapping[str, Any], env: Mapping[str, str], context: build.Context
) -> dict[str, str] | None:
    """The environment a child gets once the fix is applied as printed (None when it could not be applied)."""
    lines = fix.get("lines") or {}
    if fix["kind"] == "code":
        folder = context.work / "fix-code"
        folder.mkdir(exist_ok=True)
        (folder / "sitecustomize.py").write_text(lines.get("python", ""), encoding="utf-8")
        applied = dict(env)
        applied["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH", "")]))
        return applied
    shell = lines.get("shell") or fix.get("command")
    if not shell:
        outcome.fix_failed = "the fix has no shell lines or command to apply"
        return None
    fetching = NETWORK.search(shell)
    if fetching:
        outcome.fix_failed = "it fetches or installs packages (%s): no fix that needs the network is run here" % (
            fetching.group(0)
        )
        return None
    if os.geteuid() != 0 and all(ENV_LINE.match(line) for line in shell.splitlines()):
        applied = dict(env)  # only variables: what the lines do is exactly its `env` (null: unset)
        for name, value in (fix.get("env") or {}).items():
            if value is None:
                applied.pop(name, None)
            else:
                applied[name] = value
        return applied
    scratch = context.work / "tmp"
    scratch.mkdir(exist_ok=True)
    done = subprocess.run(
        [*context.guarded(), "/bin/sh", "-c", "set -e\n%s\nprintf '%%s\\0' %s\nenv -0" % (shell, ENV_MARK)],
        env={**env, "TMPDIR": str(scratch), "PATH": build.ROOT_PATH},  # a fix's command is run as root runs it
        cwd=context.work / "cwd",
        capture_output=True,
        timeout=FIX_TIMEOUT,
        check=False,
    )
    printed, _, environment = done.stdout.partition(ENV_MARK.encode() + b"\0")
    outcome.fix_output = (printed + done.stderr).decode(errors="replace")[-4000:]
    if done.returncode != 0:
        outcome.fix_failed = "its lines exited %d in the sandbox: %s" % (done.returncode, outcome.fix_output)
        return None
    applied = {}
    for item in environment.split(b"\0"):
        name, sep, value = item.decode(errors="surrogateescape").partition("=")
        if sep and (name not in SHELL_NOISE or name in env):
            applied[name] = value
    for name in ("TMPDIR", "PATH"):  # the sandbox's own, unless the fix's lines changed them
        if applied.get(name) == {"TMPDIR": str(scratch), "PATH": build.ROOT_PATH}[name]:
            applied.pop(name)
            if name in env:
                applied[name] = env[name]
    return applied


def run_setup(setup: Mapping[str, Any], work: Path) -> Outcome:
    """Build, measure, run cadoctor, apply its first fix and measure again; every step's result in the Outcome."""
    started = time.monotonic()
    outcome = Outcome(dict(setup), work)
    work.mkdir(parents=True, exist_ok=True)
    context = build.Context(work)
    try:
        _run(outcome, context)
    finally:
        for folder in context.cleanups:
            build.remove_tree(folder)
        outcome.seconds = time.monotonic() - started
    return outcome


def _run(outcome: Outcome, context: build.Context) -> None:
    """The steps of `run_setup`."""
    setup, work = outcome.setup, context.work
    outcome.python = interpreter(setup["python"])
    pki = build.make_pki(setup["id"], setup.get("pki", {}))
    if "os" in setup:
        build.build_os_store(setup["os"], pki, context)
    if setup["python"] == "debian":
        build.mount_debian(setup.get("debian", {}), pki, context)
    if setup.get("hide_pip_conf"):
        build.hide_pip_configs(context)
    for name, content in setup.get("files", {}).items():
        build.write_content(work / name, content, pki, context)
    env = user_env(setup, work)
    if "openssl" in setup:
        env["LD_LIBRARY_PATH"] = str(build.foreign_openssl(setup["openssl"], pki, context))
    with servers(setup, pki, work) as ports:
        outcome.ports = dict(ports)
        outcome.before = measure(outcome, ports, env, context.prefix())
        check_ground_truth(outcome)
        run_cadoctor(outcome, ports, env, context)
        fixes = (outcome.report or {}).get("fixes") or []
        if not fixes or setup["expect"].get("cause") is None:
            return
        outcome.fix = dict(fixes[0])
        if outcome.fix["kind"] != "server":
            applied = apply_fix(outcome, outcome.fix, env, context)
            if applied is not None:
                outcome.after = measure(outcome, ports, applied, context.prefix())
            return
    if "server_fixed" not in setup:
        outcome.fix_failed = "a server fix, and the setup has no server operator's change to apply"
        return
    with servers(setup, pki, work, fixed=True) as ports:
        outcome.after = measure(outcome, ports, env, context.prefix())
