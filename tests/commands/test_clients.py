"""check and the clients it learns from metadata: a variable one ignores, another raises on; nothing imported."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import certifi
import pytest
from helpers.environment import child_env
from helpers.interpreters import bare_venv, dist_info
from helpers.runs import CHILD_TIMEOUT, check_json, exit_for


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_a_variable_a_client_ignores_is_named(tmp_path: Path, variable: str) -> None:
    """SSL_CERT_FILE alone while requests is installed, REQUESTS_CA_BUNDLE alone while httpx is: both named."""
    python, site = bare_venv(tmp_path)
    shutil.copytree(Path(certifi.__file__).parent, site / "certifi")  # requests and httpx need certifi
    dist_info(site, "requests", "2.34.2", b"Metadata-Version: 2.1\nName: requests\nVersion: 2.34.2\n")
    dist_info(site, "httpx", "0.28.1", b"Metadata-Version: 2.1\nName: httpx\nVersion: 0.28.1\n")
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    if not os.path.isfile(bundle):
        pytest.skip("no system bundle here")
    status, report = check_json(child_env(**{variable: bundle}), "--python", python, "--no-verify")
    assert status == exit_for(report)
    ignored = [f for f in report["findings"] if f["code"] == "client-variable-ignored"]
    assert [f["evidence"]["variable"] for f in ignored] == [variable]
    deaf = {"SSL_CERT_FILE": ["requests"], "REQUESTS_CA_BUNDLE": ["httpx"]}[variable]
    assert ignored[0]["evidence"]["clients"] == deaf


def test_a_plain_check_imports_no_client_and_no_cryptography() -> None:
    """Clients are learnt from metadata: a plain check imports neither them nor cryptography."""
    script = (
        "import io, sys\n"
        "before = set(sys.modules)\n"
        "from cadoctor._cli.main import main\n"
        "real, sys.stdout = sys.stdout, io.StringIO()\n"
        "main(['check', '--format', 'json', '--no-verify'])\n"
        "sys.stdout = real\n"
        "heavy = ('cryptography', 'requests', 'httpx', 'botocore', 'grpc', 'certifi', 'urllib3')\n"
        "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=child_env(), capture_output=True, text=True, timeout=CHILD_TIMEOUT
    )
    assert out.stdout.strip() == "[]", out.stderr


def test_a_bad_ca_variable_says_what_it_does_to_each_client(tmp_path: Path) -> None:
    """A missing REQUESTS_CA_BUNDLE: requests raises, httpx ignores it (their rows say so), in env-path-invalid."""
    python, site = bare_venv(tmp_path)
    shutil.copytree(Path(certifi.__file__).parent, site / "certifi")
    dist_info(site, "requests", "2.34.2", b"Metadata-Version: 2.1\nName: requests\nVersion: 2.34.2\n")
    dist_info(site, "httpx", "0.28.1", b"Metadata-Version: 2.1\nName: httpx\nVersion: 0.28.1\n")
    env = child_env(REQUESTS_CA_BUNDLE=str(tmp_path / "missing.pem"))
    _, report = check_json(env, "--python", python, "--no-verify")
    invalid = next(f for f in report["findings"] if f["code"] == "env-path-invalid")
    raises = "raises OSError: Could not find a suitable TLS CA certificate bundle, invalid path"
    assert invalid["evidence"]["clients"] == {"httpx": "ignores it", "requests": raises}
