"""requests failing a host the default context verifies gets a fix that works: applied as printed, the clients succeed.

The issue's "Done when": a loopback host under a private root that is only in the file SSL_CERT_FILE names, only in
the OS store (a private mount namespace), or only in a hashed folder SSL_CERT_DIR names. requests, botocore, pip
and httpx from PyPI (the clients venv) are asked before; `cadoctor check --host` runs as a user runs it; its first
fix must be verified by requests; its lines are then applied as printed (the join run by a shell, the variables
in a fresh environment) and every client is asked again: each one succeeds, and none that succeeded before fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers import clients, environment, os_store, servers, venvs
from helpers.pki import GeneratedCA

from cadoctor._fixes.verify import KEPT_REQUESTS as KEPT

pytestmark = pytest.mark.slow

ASKED = ("requests", "botocore", "pip", "httpx", "urllib")


@contextmanager
def _where(setup: str, ca: GeneratedCA, scratch: Path) -> Iterator[tuple[dict[str, str], tuple[str, ...]]]:
    """The environment and the argv prefix of one setup: where the private root is, and nowhere else."""
    if setup == "ssl-cert-file":
        own = scratch / "corp-root.pem"
        shutil.copy(ca.bundle, own)
        yield environment.child_env(SSL_CERT_FILE=str(own)), ()
    elif setup == "ssl-cert-dir":
        folder = scratch / "corp-certs"
        folder.mkdir()
        shutil.copy(ca.bundle, folder / "corp-root.pem")
        (folder / ("%s.0" % os_store.subject_hash(ca.bundle))).symlink_to("corp-root.pem")
        yield environment.child_env(SSL_CERT_DIR=str(folder)), ()
    else:
        with os_store.os_store_with(ca.bundle) as store:
            yield environment.child_env(), store.prefix


def _ask(python: Path, port: int, env: dict[str, str], prefix: Sequence[str]) -> dict[str, str]:
    """Y, N or X from each client for one request to the host, in fresh children with exactly `env`."""
    return {name: clients.outcome(python, name, port, env, prefix=prefix) for name in ASKED}


def _check(
    python: Path, port: int, env: dict[str, str], prefix: Sequence[str], *options: str
) -> tuple[int, dict[str, Any]]:
    """`cadoctor check --python <venv> --host localhost:PORT --format json` as a user runs it in that setup."""
    argv = [sys.executable, "-m", "cadoctor", "check", "--format", "json", "--python", str(python)]
    argv += ["--host", "localhost:%d" % port, *options]
    done = subprocess.run(
        [*prefix, *argv], env=env, capture_output=True, text=True, timeout=300, check=False, stdin=subprocess.DEVNULL
    )
    assert "Traceback" not in done.stderr, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, report


def _applied(fix: dict[str, Any], env: dict[str, str], prefix: Sequence[str]) -> dict[str, str]:
    """The environment after applying a fix's shell lines as printed: its join run, its variables exported."""
    changed = dict(env)
    for line in fix["lines"]["shell"].splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            changed[name] = subprocess.run(
                ["/bin/sh", "-c", "printf %s " + value], capture_output=True, text=True, check=True, timeout=30
            ).stdout  # the shell unquotes it, as it would for the user
        elif line.startswith("unset "):
            changed.pop(line[len("unset ") :], None)
        else:
            subprocess.run([*prefix, "/bin/sh", "-c", line], check=True, timeout=30, env=env)
    return changed


@pytest.mark.parametrize("setup", ["ssl-cert-file", "os-store", "ssl-cert-dir"])
def test_the_first_fix_makes_every_client_succeed_and_breaks_none(
    setup: str, ca: GeneratedCA, port: int, tmp_path: Path
) -> None:
    """requests fails where urllib works; the first fix, verified by requests, makes requests, botocore, pip and httpx
    work."""
    python = venvs.clients_venv()
    with _where(setup, ca, tmp_path) as (env, prefix):
        before = _ask(python, port, env, prefix)
        status, report = _check(python, port, env, prefix)
        first = report["fixes"][0]
        after = _ask(python, port, _applied(first, env, prefix), prefix)
    assert (before["urllib"], before["requests"], before["botocore"]) == ("Y", "N", "N"), before
    assert status == 1
    assert "client-host-fails" in {f["code"] for f in report["findings"]}
    assert first["kind"] == "env"
    assert first["verified"] is True, first["evidence"]
    assert "requests" in first["clients"]
    assert "requests (through requests 2." in first["evidence"]
    assert "failed" not in first["evidence"], first["evidence"]
    assert after == dict.fromkeys(ASKED, "Y"), (before, after, first)


def test_truststore_is_offered_only_where_the_os_store_holds_the_root(
    ca: GeneratedCA, port: int, tmp_path: Path
) -> None:
    """Root only in SSL_CERT_FILE's file: no truststore fix (the OS store lacks it); every fix shown is evidence."""
    python = venvs.clients_venv()
    with _where("ssl-cert-file", ca, tmp_path) as (env, prefix):
        _, report = _check(python, port, env, prefix)
    host_fixes = [f for f in report["fixes"] if "client-host-fails" in f["addresses"]]
    assert host_fixes
    assert all("inject_into_ssl" not in "".join(f["lines"].values()) for f in host_fixes)
    assert all(f["verified"] is True for f in host_fixes), [f["evidence"] for f in host_fixes]


def test_a_variable_that_must_change_keeps_what_it_named(ca: GeneratedCA, port: int, tmp_path: Path) -> None:
    """REQUESTS_CA_BUNDLE names another private CA's file: the fix re-points it at a join that still trusts that CA."""
    from helpers.pki import make_ca

    python = venvs.clients_venv()
    other = make_ca(tmp_path / "other", "cadoctor Other Corporate Root")
    corporate = tmp_path / "corp" / "other-root.pem"
    corporate.parent.mkdir()
    shutil.copy(other.bundle, corporate)
    with servers.serve_clients(other.cert, other.key) as other_port, os_store.os_store_with(ca.bundle) as store:
        env = environment.child_env(REQUESTS_CA_BUNDLE=str(corporate))
        before = tuple(clients.outcome(python, "requests", p, env, prefix=store.prefix) for p in (port, other_port))
        _, report = _check(python, port, env, store.prefix)
        first = report["fixes"][0]
        changed = _applied(first, env, store.prefix)
        after = tuple(clients.outcome(python, "requests", p, changed, prefix=store.prefix) for p in (port, other_port))
    assert before == ("N", "Y")
    assert first["verified"] is True, first["evidence"]
    assert "it replaces REQUESTS_CA_BUNDLE=%s (the joined file keeps what it named)" % corporate in first["summary"]
    assert after == ("Y", "Y"), first


def test_a_root_no_client_trusts_gets_one_fix_for_every_client(ca: GeneratedCA, port: int, tmp_path: Path) -> None:
    """The root only in a file NODE_EXTRA_CA_CERTS names: one change makes urllib and every library succeed."""
    python = venvs.clients_venv()
    own = tmp_path / "corp-root.pem"
    shutil.copy(ca.bundle, own)
    env = environment.child_env(NODE_EXTRA_CA_CERTS=str(own))
    before = _ask(python, port, env, ())
    status, report = _check(python, port, env, ())
    first = report["fixes"][0]
    after = _ask(python, port, _applied(first, env, ()), ())
    assert before == dict.fromkeys(ASKED, "N")
    assert (status, report["hosts"][0]["code"]) == (1, "host-unknown-ca")
    assert first["verified"] is True, first["evidence"]
    assert {"urllib (stdlib)", "requests", "botocore", "pip", "httpx"} <= set(first["clients"])
    assert "which trust the same" in first["evidence"]  # urllib's request stands for urllib3, aiohttp, ...
    assert after == dict.fromkeys(ASKED, "Y"), (first, after)


def test_a_variable_that_shadows_the_one_holding_the_root_is_unset(ca: GeneratedCA, port: int, tmp_path: Path) -> None:
    """pip 24.1 takes REQUESTS_CA_BUNDLE before PIP_CERT (pypa/pip#10147): unsetting it is the fix, verified by pip."""
    python = venvs.old_pip_venv()
    with_root = tmp_path / "corp-bundle.pem"
    system = Path(os_store.SYSTEM_CERTS / os_store.SYSTEM_BUNDLE_NAME)
    with_root.write_bytes(system.read_bytes() + ca.bundle.read_bytes())
    env = environment.child_env(
        REQUESTS_CA_BUNDLE=str(os_store.SYSTEM_CERTS / os_store.SYSTEM_BUNDLE_NAME),
        PIP_CERT=str(with_root),
        SSL_CERT_FILE=str(with_root),
    )
    before = clients.outcome(python, "pip", port, env)
    _, report = _check(python, port, env, ())
    first = report["fixes"][0]
    after = clients.outcome(python, "pip", port, _applied(first, env, ()))
    assert before == "N"
    assert (first["env"], first["clients"]) == ({"REQUESTS_CA_BUNDLE": None}, ["pip"])
    assert first["verified"] is True, first["evidence"]
    assert after == "Y"


def test_a_repeated_check_answers_from_the_kept_requests_until_told_not_to(
    ca: GeneratedCA, port: int, tmp_path: Path
) -> None:
    """The same check twice, through real requests and pip: the second makes no request, its evidence says whose
    requests answered, and its verdicts are the first's; with --no-cache the requests are made again."""
    import time

    python = venvs.clients_venv()
    own = tmp_path / "corp-root.pem"
    shutil.copy(ca.bundle, own)
    env = environment.child_env(SSL_CERT_FILE=str(own), PIP_CERT=str(own), CADOCTOR_CACHE=str(tmp_path / "cache"))
    time.sleep(2.1)  # a file written within kept.RACY seconds of a trial leaves its answer unkept
    reports = [_check(python, port, env, ())[1] for _ in range(2)]
    reports.append(_check(python, port, env, (), "--no-cache")[1])
    first, second, fresh = (report["fixes"][0] for report in reports)
    assert first["verified"] is True, first["evidence"]
    assert "pip (through pip " in first["evidence"], first["evidence"]  # pip reads REQUESTS_CA_BUNDLE: a guard
    assert not first["evidence"].startswith("the requests through"), first["evidence"]
    lead, _, tail = KEPT.partition("%s")
    said, _, rest = second["evidence"].partition(tail + ": ")
    served = said.removeprefix(lead).split(", ")
    assert {"requests", "botocore", "httpx", "pip"} <= set(served), second["evidence"]
    assert "grpcio" not in served  # its core reads its roots itself, unseen: asked every time
    assert rest == first["evidence"], (first["evidence"], second["evidence"])
    assert (second["verified"], second["summary"]) == (True, first["summary"])
    assert fresh["evidence"] == first["evidence"]
