"""The clients an interpreter has, read from its site folders and config files (never imported), whatever they hold."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.environment import child_env
from helpers.interpreters import bare_venv, dist_info
from helpers.runs import check_json, exit_for

from cadoctor._commands.check import CLIENTS
from cadoctor._facts.interpreters.distributions import client_settings, discover

MISSING = "No such file or directory"  # strerror(ENOENT)


@pytest.mark.slow
def test_damaged_metadata_is_a_note_and_the_folder_name_serves(tmp_path: Path) -> None:
    """Garbage, missing, FIFO and 200 MB METADATA files: each client is still found, with the problem said."""
    _, site = bare_venv(tmp_path)
    dist_info(site, "requests", "2.34.2", b"\xff\xfe\x00garbage")
    dist_info(site, "httpx", "0.28.1", None)
    fifo = dist_info(site, "botocore", "1.44.8", None) / "METADATA"
    os.mkfifo(fifo)
    huge = dist_info(site, "grpcio", "1.85.3", None) / "METADATA"
    with huge.open("wb") as handle:
        handle.truncate(200 << 20)  # sparse: 200 MB of NULs, never read whole
    dist_info(site, "urllib3", "2.8.0", b"Metadata-Version: 2.1\nName: urllib3\nVersion: 2.8.0\n\nbody")
    found, _ = discover([str(site)], CLIENTS)
    by_name = {d.name: d for d in found}
    assert {n: d.version for n, d in by_name.items()} == {
        "botocore": "1.44.8",
        "grpcio": "1.85.3",
        "httpx": "0.28.1",
        "requests": "2.34.2",
        "urllib3": "2.8.0",
    }
    assert {n: d.problem for n, d in by_name.items()} == {
        "botocore": "METADATA cannot be read: not a regular file (a FIFO); PKG-INFO cannot be read: " + MISSING,
        "grpcio": "METADATA names no project",  # its first bytes are NULs: the rest is never read
        "httpx": "METADATA cannot be read: %s; PKG-INFO cannot be read: %s" % (MISSING, MISSING),
        "requests": "METADATA names no project",
        "urllib3": None,
    }


@pytest.mark.slow
def test_bad_site_folders_and_config_files_give_answers_not_tracebacks(tmp_path: Path) -> None:
    """A .pth that raises, an unparseable pip.conf, a FIFO and a 200 MB ~/.aws/config: check --python answers."""
    python, site = bare_venv(tmp_path)
    (site / "zz_raises.pth").write_text("import sys; raise RuntimeError('a .pth that raises')\n")
    dist_info(site, "requests", "2.34.2", b"Metadata-Version: 2.1\nName: requests\nVersion: 2.34.2\n")
    home = tmp_path / "home"
    (home / ".config" / "pip").mkdir(parents=True)
    (home / ".config" / "pip" / "pip.conf").write_text("[[[ this is not INI\ncert = \n")
    (home / ".aws").mkdir()
    os.mkfifo(home / ".aws" / "config")
    env = child_env(HOME=str(home))
    status, report = check_json(env, "--python", python, "--no-verify")
    assert status == exit_for(report)
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
    python, site = bare_venv(tmp_path)
    marker = tmp_path / "ran"
    (site / "pip_system_certs.pth").write_text(
        "import pip_system_certs.bootstrap; open(%r, 'w').write('ran')\n" % str(marker)
    )
    dist_info(site, "pip-system-certs", "5.3", b"Metadata-Version: 2.1\nName: pip-system-certs\nVersion: 5.3\n")
    dist_info(site, "requests", "2.34.2", b"Metadata-Version: 2.1\nName: requests\nVersion: 2.34.2\n")
    _found, injectors = discover([str(site)], CLIENTS)
    assert [i.name for i in injectors] == ["pip-system-certs"]
    assert not marker.exists()
    status, report = check_json(child_env(), "--python", python, "--no-verify")
    assert status == exit_for(report)
    assert "client-injector" in {f["code"] for f in report["findings"]}
    requests = next(c for c in report["clients"] if c["name"] == "requests")
    assert requests["trust"]["kind"] == "truststore"
    assert any("injects truststore" in note for note in requests["notes"])
