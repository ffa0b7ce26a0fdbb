"""A client whose own default store is gone, with the real clients: named first, and fixed as the client proves.

certifi's cacert.pem deleted (a slimmed image's certifi, first on PYTHONPATH): requests raises before any
handshake; cadoctor reads certifi's where() from its source, names the missing store, and its first fix, tried by
requests itself, makes the real requests.get work.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
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
    """requests raises (X); client-store-missing names it; a variable mends it exactly when cadoctor says one does.

    From Python 3.11 certifi's where() names the missing file and requests raises at the request: the first fix,
    REQUESTS_CA_BUNDLE tried by requests, gives Y. Before 3.11 where() itself raises when requests is imported:
    cadoctor says no variable saves it, and the measured request with the variable set still gives X.
    """
    python = venvs.clients_venv()
    env = child_env(PYTHONPATH=str(_slim_certifi(python, tmp_path / "slim-site")))
    missing = str(tmp_path / "slim-site" / "certifi" / "cacert.pem")
    with os_store.os_store_with(ca.bundle, anchors=True) as store:
        report = _check(store, python, env, "--host", "localhost:%d" % port)
        before = clients.outcome(python, "requests", port, env, prefix=store.prefix)
        variable = {**env, "REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"}
        with_variable = clients.outcome(python, "requests", port, variable, prefix=store.prefix)
        fix = report["fixes"][0]
        applied = {**env, **{k: v for k, v in fix["env"].items() if v is not None}}
        after = clients.outcome(python, "requests", port, applied, prefix=store.prefix) if fix["env"] else None
    first = next(f for f in report["findings"] if "requests" in json.dumps(f))
    assert (first["code"], first["severity"]) == ("client-store-missing", "error")
    assert first["evidence"]["store"] == missing
    assert first["evidence"]["problem"] == "does not exist"
    assert "certifi/core.py where()" in first["evidence"]["decided"]
    requests = next(c for c in report["clients"] if c["name"] == "requests")
    assert (requests["trust"]["path"], requests["trust"]["effect"]) == (missing, "raises")
    at_import = next(c["at_import"] for c in first["evidence"]["clients"] if c["name"] == "requests")
    assert before == "X"
    assert at_import == (with_variable == "X"), (with_variable, first["evidence"])
    if at_import:  # no variable reaches it: the first fix is not one that claims to
        assert "requests" not in fix["clients"], fix
    else:
        assert (fix["kind"], fix["verified"]) == ("env", True), fix["evidence"]
        assert after == "Y"


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
    assert fix["verified"] is True, fix["evidence"]
    (missing,) = [f for f in report["findings"] if f["code"] == "client-store-missing"]
    if any(c["at_import"] for c in missing["evidence"]["clients"]):  # before 3.11: requests is no variable's
        assert "requests" not in fix["clients"], fix
    else:
        assert fix["env"]["REQUESTS_CA_BUNDLE"] == "/etc/ssl/certs/ca-certificates.crt"
        assert "requests uses /etc/ssl/certs/ca-certificates.crt" in fix["evidence"]


# certifi 2018's where(): the module's folder joined with cacert.pem (later ones extract through importlib.resources)
_OLD_CORE = """import os


def where():
    f = os.path.dirname(__file__)

    return os.path.join(f, 'cacert.pem')
"""


def _zipped_old_certifi(python: Path, archive: Path) -> Path:
    """A certifi shaped as 2018's (where() = module folder + cacert.pem) in a zip, with the venv's real cacert.pem."""
    site = next(python.parent.parent.glob("lib/python3*/site-packages"))
    with zipfile.ZipFile(archive, "w") as stream:
        stream.writestr("certifi/__init__.py", "from .core import where\n\n__version__ = '2018.04.16'\n")
        stream.writestr("certifi/core.py", _OLD_CORE)
        stream.write(site / "certifi" / "cacert.pem", "certifi/cacert.pem")
        stream.writestr(
            "certifi-2018.4.16.dist-info/METADATA", "Metadata-Version: 2.1\nName: certifi\nVersion: 2018.4.16\n"
        )
        stream.writestr("certifi-2018.4.16.dist-info/RECORD", "")
    return archive


def test_a_store_inside_a_zip_archive_is_judged_as_the_installed_requests_treats_it(port: int, tmp_path: Path) -> None:
    """requests 2.33+ raises on a default bundle inside a zip, 2.32 copies it out: cadoctor agrees with the real one."""
    python = venvs.clients_venv()
    archive = _zipped_old_certifi(python, tmp_path / "deps.zip")
    env = child_env(PYTHONPATH=str(archive))
    measured = clients.outcome(python, "requests", port, env)  # X: raises; N: loaded, lacks the private root
    argv = [sys.executable, "-m", "cadoctor", "check", "--format", "json", "--no-verify", "--python", str(python)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=240, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    requests = next(c for c in report["clients"] if c["name"] == "requests")
    assert requests["trust"]["path"] == str(archive / "certifi" / "cacert.pem")
    missing = [f for f in report["findings"] if f["code"] == "client-store-missing"]
    named = [c["name"] for f in missing for c in f["evidence"]["clients"]]
    assert measured in ("X", "N")
    assert (requests["trust"]["effect"] == "raises") == (measured == "X"), (measured, requests)
    assert ("requests" in named) == (measured == "X"), (measured, missing)
