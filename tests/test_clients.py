"""Trust per client: discovery from metadata, the rules table, and bad input in site folders and config files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import certifi
import pytest
from conftest import CHILD_TIMEOUT, check_json, clean_env

from cadoctor._commands.check import CLIENTS
from cadoctor._facts.interpreters.distributions import client_settings, discover
from cadoctor._rules.client_table import RULES, rule_for, version_key


def _venv(tmp_path: Path) -> tuple[str, Path]:
    """A bare venv of this interpreter (no pip) and its site-packages folder."""
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=clean_env(), timeout=CHILD_TIMEOUT
    )
    return str(venv / "bin" / "python"), next(venv.glob("lib/python3*/site-packages"))


def _dist_info(site: Path, name: str, version: str, metadata: bytes | None) -> Path:
    """A `.dist-info` folder as pip writes it, with the given METADATA bytes (None: no METADATA at all)."""
    folder = site / ("%s-%s.dist-info" % (name.replace("-", "_"), version))
    folder.mkdir()
    if metadata is not None:
        (folder / "METADATA").write_bytes(metadata)
    return folder


def test_versions_pick_the_row_where_behaviour_flips() -> None:
    """pip 24.1 is certifi-only and 24.2 truststore; httpx 0.27 falls back on a missing file and 0.28 raises."""
    assert version_key("2026.10.19.post1") == (2026, 10, 19)
    assert rule_for("pip", "24.1.2").family == "pip 22.2-24.1"  # type: ignore[union-attr]
    assert rule_for("pip", "24.2", "3.11.7").family == "pip>=24.2"  # type: ignore[union-attr]
    assert rule_for("pip", "26.0.1", "3.9.18").default == "own-bundle"  # type: ignore[union-attr]
    assert rule_for("httpx", "0.27.2").readings[0].effect("missing") == "treated as unset"  # type: ignore[union-attr]
    assert rule_for("httpx", "0.28.1").readings[0].effect("missing") == "raises"  # type: ignore[union-attr]
    assert rule_for("openai", "3.57.0").default == "openssl-defaults"  # type: ignore[union-attr]
    assert rule_for("left-pad", "1.0") is None


def test_every_row_names_the_function_that_decides() -> None:
    """Each rule row cites where in the library the choice is made, and ranges of one client do not overlap."""
    for rule in RULES:
        assert rule.decided_in
        assert all(r.effect("missing") != "not known" for r in rule.readings)
    for first in RULES:
        for second in RULES:
            if first is not second and first.client == second.client:
                apart = _disjoint((first.since, first.before), (second.since, second.before))
                assert apart or _disjoint(first.python, second.python), (first.family, second.family)


def _disjoint(
    one: tuple[tuple[int, ...], tuple[int, ...] | None], two: tuple[tuple[int, ...], tuple[int, ...] | None]
) -> bool:
    """Whether two [since, before) version ranges share no version."""
    return (one[1] is not None and two[0] >= one[1]) or (two[1] is not None and one[0] >= two[1])


def test_damaged_metadata_is_a_note_and_the_folder_name_serves(tmp_path: Path) -> None:
    """Garbage, missing, FIFO and 200 MB METADATA files: each client is still found, with the problem said."""
    _, site = _venv(tmp_path)
    _dist_info(site, "requests", "2.34.2", b"\xff\xfe\x00garbage")
    _dist_info(site, "httpx", "0.28.1", None)
    fifo = _dist_info(site, "botocore", "1.44.8", None) / "METADATA"
    os.mkfifo(fifo)
    huge = _dist_info(site, "grpcio", "1.85.3", None) / "METADATA"
    with huge.open("wb") as handle:
        handle.truncate(200 << 20)  # sparse: 200 MB of NULs, never read whole
    _dist_info(site, "urllib3", "2.8.0", b"Metadata-Version: 2.1\nName: urllib3\nVersion: 2.8.0\n\nbody")
    found, _ = discover([str(site)], CLIENTS)
    by_name = {d.name: d for d in found}
    assert {n: d.version for n, d in by_name.items()} == {
        "botocore": "1.44.8",
        "grpcio": "1.85.3",
        "httpx": "0.28.1",
        "requests": "2.34.2",
        "urllib3": "2.8.0",
    }
    assert by_name["urllib3"].problem is None
    assert "cannot be read" in (by_name["httpx"].problem or "")
    assert "not a regular file" in (by_name["botocore"].problem or "")
    assert by_name["requests"].problem is not None
    assert by_name["grpcio"].problem is not None


def test_bad_site_folders_and_config_files_give_answers_not_tracebacks(tmp_path: Path) -> None:
    """A .pth that raises, an unparseable pip.conf, a FIFO and a 200 MB ~/.aws/config: check --python answers."""
    python, site = _venv(tmp_path)
    (site / "zz_raises.pth").write_text("import sys; raise RuntimeError('a .pth that raises')\n")
    _dist_info(site, "requests", "2.34.2", b"Metadata-Version: 2.1\nName: requests\nVersion: 2.34.2\n")
    home = tmp_path / "home"
    (home / ".config" / "pip").mkdir(parents=True)
    (home / ".config" / "pip" / "pip.conf").write_text("[[[ this is not INI\ncert = \n")
    (home / ".aws").mkdir()
    os.mkfifo(home / ".aws" / "config")
    env = clean_env(HOME=str(home))
    status, report = check_json(env, "--python", python, "--no-verify")
    assert status in (0, 1)
    assert [d["name"] for d in report["distributions"]] == ["requests"]
    assert [s for s in report["settings"] if s["source"].startswith(str(home))] == []
    (home / ".aws" / "config").unlink()
    with (home / ".aws" / "config").open("wb") as handle:
        handle.write(b"[default]\nca_bundle = /nowhere/ca.pem\n")
        handle.truncate(200 << 20)
    settings = client_settings({"HOME": str(home)}, "")
    assert [(s.key, s.value) for s in settings if s.client == "botocore"] == [("ca_bundle", "/nowhere/ca.pem")]


def test_an_injector_pth_is_read_and_named_not_run(tmp_path: Path) -> None:
    """pip-system-certs' .pth is found by what it imports, and every ssl-module client is judged by truststore."""
    python, site = _venv(tmp_path)
    marker = tmp_path / "ran"
    (site / "pip_system_certs.pth").write_text(
        "import pip_system_certs.bootstrap; open(%r, 'w').write('ran')\n" % str(marker)
    )
    _dist_info(site, "pip-system-certs", "5.3", b"Metadata-Version: 2.1\nName: pip-system-certs\nVersion: 5.3\n")
    _dist_info(site, "requests", "2.34.2", b"Metadata-Version: 2.1\nName: requests\nVersion: 2.34.2\n")
    _found, injectors = discover([str(site)], CLIENTS)
    assert [i.name for i in injectors] == ["pip-system-certs"]
    assert not marker.exists()
    status, report = check_json(clean_env(), "--python", python, "--no-verify")
    assert status in (0, 1)
    assert "client-injector" in {f["code"] for f in report["findings"]}
    requests = next(c for c in report["clients"] if c["name"] == "requests")
    assert requests["trust"]["kind"] == "truststore"
    assert any("injects truststore" in note for note in requests["notes"])


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"])
def test_a_variable_a_client_ignores_is_named(tmp_path: Path, variable: str) -> None:
    """SSL_CERT_FILE alone while requests is installed, REQUESTS_CA_BUNDLE alone while httpx is: both named."""
    python, site = _venv(tmp_path)
    shutil.copytree(Path(certifi.__file__).parent, site / "certifi")  # requests and httpx need certifi
    _dist_info(site, "requests", "2.34.2", b"Metadata-Version: 2.1\nName: requests\nVersion: 2.34.2\n")
    _dist_info(site, "httpx", "0.28.1", b"Metadata-Version: 2.1\nName: httpx\nVersion: 0.28.1\n")
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    if not os.path.isfile(bundle):
        pytest.skip("no system bundle here")
    status, report = check_json(clean_env(**{variable: bundle}), "--python", python, "--no-verify")
    assert status in (0, 1)
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
        [sys.executable, "-c", script], env=clean_env(), capture_output=True, text=True, timeout=CHILD_TIMEOUT
    )
    assert out.stdout.strip() == "[]", out.stderr


def test_a_bad_ca_variable_says_what_it_does_to_each_client(tmp_path: Path) -> None:
    """A missing REQUESTS_CA_BUNDLE: requests raises, httpx ignores it (their rows say so), in env-path-invalid."""
    python, site = _venv(tmp_path)
    shutil.copytree(Path(certifi.__file__).parent, site / "certifi")
    _dist_info(site, "requests", "2.34.2", b"Metadata-Version: 2.1\nName: requests\nVersion: 2.34.2\n")
    _dist_info(site, "httpx", "0.28.1", b"Metadata-Version: 2.1\nName: httpx\nVersion: 0.28.1\n")
    env = clean_env(REQUESTS_CA_BUNDLE=str(tmp_path / "missing.pem"), PIP_CONFIG_FILE=os.devnull)
    _, report = check_json(env, "--python", python, "--no-verify")
    invalid = next(f for f in report["findings"] if f["code"] == "env-path-invalid")
    raises = "raises OSError: Could not find a suitable TLS CA certificate bundle, invalid path"
    assert invalid["evidence"]["clients"] == {"httpx": "ignores it", "requests": raises}
