"""Config fixes applied as printed: botocore's `ca_bundle` and pip's `cert`, the lines run in a shell, the client works.

Each case writes a configuration file with comments, other keys and other profiles, whose CA value the real client
cannot use (relative to another folder, missing, a folder, empty). `cadoctor check --host` runs with SSL_CERT_FILE
naming a file that holds the host's root and the public roots (the store proven to verify the host); the config
fix's shell line is run as printed, and then the real client reaches the host, with only that key changed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import clients, os_store, venvs
from helpers.environment import child_env
from helpers.pki import GeneratedCA

pytestmark = [pytest.mark.slow, pytest.mark.index]  # the clients venv, cadoctor's trials and real requests

AWS_CONFIG = """\
# the team's AWS settings
[default]
region = eu-west-1
; the proxy's bundle
ca_bundle = {value}
output = json

[profile other]
ca_bundle = /srv/other-team.pem
"""
PIP_CONF = """\
# written by the platform team
[global]
index-url = https://mirror.example/simple
cert = {value}
timeout = 30
"""


@pytest.fixture(scope="module")
def good_bundle(ca: GeneratedCA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The public roots and the test's root in one file: what SSL_CERT_FILE names in every case."""
    folder = tmp_path_factory.mktemp("good")
    good = folder / "ca-with-corp.pem"
    good.write_bytes(Path(os_store.SYSTEM_BUNDLE).read_bytes() + b"\n" + ca.bundle.read_bytes())
    return good


def _hashed_folder(folder: Path, ca: GeneratedCA, *, linked: bool) -> Path:
    """A folder holding the test's root, with (or without) the `<hash>.0` link OpenSSL looks up."""
    folder.mkdir()
    member = folder / "corp-root.pem"
    shutil.copy(ca.bundle, member)
    if linked:
        (folder / ("%s.0" % os_store.subject_hash(member))).symlink_to(member.name)
    return folder


def _check(env: dict[str, str], cwd: Path, port: int) -> dict[str, Any]:
    """`cadoctor check --format json --python <clients venv> --host localhost:PORT`, fixes tried."""
    argv = [sys.executable, "-m", "cadoctor", "check", "--format", "json", "--python", str(venvs.clients_venv())]
    argv += ["--host", "localhost:%d" % port]
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _apply(fix: dict[str, Any], env: dict[str, str], cwd: Path) -> None:
    """Run the fix's shell lines as a user pastes them."""
    done = subprocess.run(
        ["/bin/sh", "-c", fix["lines"]["shell"]], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def _config_fix(report: dict[str, Any], client: str) -> dict[str, Any]:
    """The fix that sets the client's configuration key to a store."""
    found: list[dict[str, Any]] = [
        f for f in report["fixes"] if f["kind"] == "config" and f["edit"]["value"] and client in f["clients"]
    ]
    assert found, [(f["kind"], f["summary"]) for f in report["fixes"]]
    return found[0]


def _verifies_nothing(env: dict[str, str], port: int) -> bool:
    """Whether botocore, given the config file, reaches the host with no store holding its root: verification off."""
    bare = {k: v for k, v in env.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE")}
    return clients.outcome(venvs.clients_venv(), "botocore", port, bare) == "Y"


@pytest.mark.parametrize("kind", ["relative", "missing", "folder", "empty"])
def test_a_ca_bundle_botocore_cannot_use_is_set_to_the_proven_store_by_the_printed_line(
    kind: str, ca: GeneratedCA, port: int, good_bundle: Path, tmp_path: Path
) -> None:
    """botocore raises on the value; the config fix, verified by botocore, run as printed, makes it reach the host."""
    elsewhere = tmp_path / "project"
    elsewhere.mkdir()
    shutil.copy(good_bundle, elsewhere / "cabundle.pem")  # there, but not where botocore looks
    value = {
        "relative": "cabundle.pem",
        "missing": str(tmp_path / "gone.pem"),
        "folder": str(_hashed_folder(tmp_path / "corp-certs", ca, linked=True)),
        "empty": "",
    }[kind]
    config = tmp_path / "aws-config"
    original = AWS_CONFIG.format(value=value).replace("ca_bundle = \n", "ca_bundle =\n")
    config.write_text(original)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = child_env(SSL_CERT_FILE=str(good_bundle), AWS_CONFIG_FILE=str(config))
    unverified = _verifies_nothing(env, port)
    assert clients.outcome(venvs.clients_venv(), "botocore", port, env) == ("Y" if unverified else "X")
    report = _check(env, cwd, port)
    if unverified:  # botocore < 1.43.54 (Python 3.9's) reads an empty ca_bundle as verify=False
        assert kind == "empty"
        assert "verification-disabled" in [f["code"] for f in report["findings"]]
    fix = _config_fix(report, "botocore")
    assert fix["verified"] is True, fix["evidence"]
    assert fix["edit"]["value"] == str(good_bundle)
    assert "awk" in fix["lines"]["shell"]  # no AWS CLI on this PATH: the portable line
    _apply(fix, env, cwd)
    old_line = next(line for line in original.splitlines() if line.startswith("ca_bundle"))
    assert config.read_text() == original.replace(old_line, "ca_bundle = %s" % good_bundle, 1)
    assert clients.outcome(venvs.clients_venv(), "botocore", port, env) == "Y"


def test_with_the_aws_cli_on_path_the_cli_makes_the_same_edit(port: int, good_bundle: Path, tmp_path: Path) -> None:
    """`aws configure set ca_bundle ... --profile default`, the CLI found on PATH: the same one-line change."""
    aws = tmp_path / "bin" / "aws"  # the venv's own script names the folder it was built in: run the CLI's module
    aws.parent.mkdir()
    aws.write_text('#!/bin/sh\nexec %s -m awscli "$@"\n' % venvs.awscli_venv())
    aws.chmod(0o755)
    config = tmp_path / "aws-config"
    original = AWS_CONFIG.format(value=str(tmp_path / "gone.pem"))
    config.write_text(original)
    env = child_env(SSL_CERT_FILE=str(good_bundle), AWS_CONFIG_FILE=str(config))
    env["PATH"] = "%s:%s" % (aws.parent, env["PATH"])
    fix = _config_fix(_check(env, tmp_path, port), "botocore")
    assert fix["verified"] is True, fix["evidence"]
    assert fix["lines"]["shell"] == "AWS_CONFIG_FILE='%s' '%s' configure set ca_bundle '%s' --profile 'default'" % (
        config,
        aws,
        good_bundle,
    )
    _apply(fix, child_env(), tmp_path)  # the line names the file and the CLI: the shell's own PATH does not matter
    assert config.read_text() == original.replace(str(tmp_path / "gone.pem"), str(good_bundle), 1)
    assert clients.outcome(venvs.clients_venv(), "botocore", port, env) == "Y"


def test_a_pip_cert_naming_a_missing_file_is_set_by_the_printed_line(
    port: int, good_bundle: Path, tmp_path: Path
) -> None:
    """PIP_CONFIG_FILE's `cert` names nothing: pip raises; the awk line sets it to the proven store; pip works."""
    conf = tmp_path / "pip.conf"
    original = PIP_CONF.format(value=tmp_path / "gone.pem")
    conf.write_text(original)
    env = child_env(SSL_CERT_FILE=str(good_bundle), PIP_CONFIG_FILE=str(conf))
    assert clients.outcome(venvs.clients_venv(), "pip", port, env) == "X"
    fix = _config_fix(_check(env, tmp_path, port), "pip")
    assert fix["verified"] is True, fix["evidence"]
    _apply(fix, env, tmp_path)
    assert conf.read_text() == original.replace(str(tmp_path / "gone.pem"), str(good_bundle))
    assert clients.outcome(venvs.clients_venv(), "pip", port, env) == "Y"


def test_pips_own_config_command_edits_a_user_file_it_rewrites_whole(
    port: int, good_bundle: Path, tmp_path: Path
) -> None:
    """A user pip.conf without comments, PIP_CONFIG_FILE unset: `python -m pip config --user set global.cert`."""
    conf = tmp_path / ".config" / "pip" / "pip.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("[global]\ncert = %s\n" % (tmp_path / "gone.pem"))
    env = child_env(HOME=str(tmp_path), SSL_CERT_FILE=str(good_bundle))
    del env["PIP_CONFIG_FILE"]
    fix = _config_fix(_check(env, tmp_path, port), "pip")
    assert fix["verified"] is True, fix["evidence"]
    assert fix["lines"]["shell"] == "'%s' -m pip config --user set global.cert '%s'" % (
        venvs.clients_venv(),
        good_bundle,
    )
    _apply(fix, env, tmp_path)
    assert conf.read_text().split() == ["[global]", "cert", "=", str(good_bundle)]
    assert clients.outcome(venvs.clients_venv(), "pip", port, env) == "Y"


def test_a_pip_cert_naming_a_folder_without_links_gets_them_and_the_file_stays(
    ca: GeneratedCA, port: int, tmp_path: Path
) -> None:
    """The root is in the folder pip.conf names, unlinked: the rehash, tried on a hashed copy, leads and fixes it."""
    folder = _hashed_folder(tmp_path / "ca_certs", ca, linked=False)
    conf = tmp_path / "pip.conf"
    original = PIP_CONF.format(value=folder)
    conf.write_text(original)
    env = child_env(PIP_CONFIG_FILE=str(conf))
    assert clients.outcome(venvs.clients_venv(), "pip", port, env) == "N"
    report = _check(env, tmp_path, port)
    host = report["hosts"][0]
    assert [h["path"] for h in host["holders"]] == [str(folder)]  # the folder the setting names: a candidate store
    # the rehash, tried by pip on a hashed copy of the folder (pip.conf's copy naming it), leads: it is the repair
    rehash = report["fixes"][0]
    assert rehash["command"] == "openssl rehash '%s'" % folder, rehash
    assert rehash["verified"] is True, rehash
    assert rehash["clients"] == ["pip"]
    assert rehash["evidence"].startswith("tried on a hashed copy of %s (1 hash link" % folder), rehash["evidence"]
    assert "host-unknown-ca" in rehash["addresses"]
    assert sorted(os.listdir(folder)) == ["corp-root.pem"]  # the trial left the folder as it was
    _apply(rehash, env, tmp_path)
    assert conf.read_text() == original
    assert clients.outcome(venvs.clients_venv(), "pip", port, env) == "Y"
