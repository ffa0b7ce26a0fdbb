"""A client whose own default store is gone, with the real clients: named first, and fixed as the client proves.

certifi's cacert.pem deleted (a slimmed image's certifi, first on PYTHONPATH): requests raises before any
handshake; cadoctor reads certifi's where() from its source, names the missing store, and its first fix, tried by
requests itself, makes the real requests.get work.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import clients, os_store, venvs
from helpers.environment import child_env
from helpers.pki import GeneratedCA

pytestmark = [pytest.mark.slow, pytest.mark.index]  # the clients' venv from PyPI


def _slim_certifi(python: Path, folder: Path) -> Path:
    """The venv's certifi (package and metadata) copied without its cacert.pem, as a slimmed image leaves it."""
    site = next(python.parent.parent.glob("lib/python3*/site-packages"))
    for entry in [site / "certifi", *site.glob("certifi-*.dist-info")]:
        shutil.copytree(entry, folder / entry.name, ignore=shutil.ignore_patterns("cacert.pem", "__pycache__"))
    return folder


def _check(store: os_store.OsStore, python: Path, env: dict[str, str], *extra: str) -> dict[str, Any]:
    """`cadoctor check --python <venv> --format json`, its fixes tried, on top of the private OS store."""
    argv = [sys.executable, "-m", "cadoctor", "check", "--format", "json", "--python", str(python), *extra]
    done = store.run(argv, env, timeout=240)
    assert "Traceback" not in done.stderr, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_a_deleted_certifi_bundle_is_the_first_error_and_its_fix_works_in_requests(
    ca: GeneratedCA, port: int, tmp_path: Path
) -> None:
    """requests raises (X); client-store-missing names it and the store; the first fix, applied, gives Y."""
    python = venvs.clients_venv()
    env = child_env(PYTHONPATH=str(_slim_certifi(python, tmp_path / "slim-site")))
    missing = str(tmp_path / "slim-site" / "certifi" / "cacert.pem")
    with os_store.os_store_with(ca.bundle, anchors=True) as store:
        report = _check(store, python, env, "--host", "localhost:%d" % port)
        before = clients.outcome(python, "requests", port, env, prefix=store.prefix)
        fix = report["fixes"][0]
        applied = {**env, **{k: v for k, v in fix["env"].items() if v is not None}}
        after = clients.outcome(python, "requests", port, applied, prefix=store.prefix)
    first = next(f for f in report["findings"] if "requests" in json.dumps(f))
    assert (first["code"], first["severity"]) == ("client-store-missing", "error")
    assert first["evidence"]["store"] == missing
    assert first["evidence"]["problem"] == "does not exist"
    assert "certifi/core.py where()" in first["evidence"]["decided"]
    requests = next(c for c in report["clients"] if c["name"] == "requests")
    assert (requests["trust"]["path"], requests["trust"]["effect"]) == (missing, "raises")
    assert (fix["kind"], fix["verified"]) == ("env", True), fix["evidence"]
    assert (before, after) == ("X", "Y")


@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_without_a_host_the_store_fix_is_proven_by_the_store_each_library_then_loads(
    ca: GeneratedCA, tmp_path: Path
) -> None:
    """No --host: the fix's trial asks requests which store it resolves with it, and that store loads."""
    python = venvs.clients_venv()
    env = child_env(PYTHONPATH=str(_slim_certifi(python, tmp_path / "slim-site")))
    with os_store.os_store_with(ca.bundle, anchors=True) as store:
        report = _check(store, python, env)
    (fix,) = [f for f in report["fixes"] if f["addresses"] == ["client-store-missing"] and f["kind"] == "env"]
    assert fix["env"]["REQUESTS_CA_BUNDLE"] == "/etc/ssl/certs/ca-certificates.crt"
    assert fix["verified"] is True, fix["evidence"]
    assert "requests uses /etc/ssl/certs/ca-certificates.crt" in fix["evidence"]
