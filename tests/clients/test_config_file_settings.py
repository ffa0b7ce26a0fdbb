"""Configuration files' CA settings read as the real clients read them: botocore's profiles, pip's files and sections.

Each case writes the files, asks the real library in the clients venv what it resolved (botocore's session
`ca_bundle`, pip's `cert` option for `pip download` and `pip install`), and compares with `client_settings`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers.environment import child_env

from cadoctor._facts.interpreters.distributions import client_settings

pytestmark = [pytest.mark.index]  # the clients venv from PyPI

ASK_BOTOCORE = """
import json, botocore.session
try:
    value = botocore.session.Session().get_config_variable("ca_bundle")
except Exception as exc:  # a profile the file lacks: botocore refuses, and reads no ca_bundle
    value = None
print(json.dumps(value))
"""
ASK_PIP = """
import json, sys
from pip._internal.commands import create_command
options, _ = create_command(sys.argv[1]).parse_args([])
print(json.dumps(options.cert))
"""

BOTOCORE_CASES = {
    "the default profile": ("[default]\nregion = eu\nca_bundle = /srv/d.pem\n", {}, "/srv/d.pem"),
    "AWS_PROFILE's section": (
        "[default]\nca_bundle = /d\n[profile dev]\nca_bundle = /dev\n",
        {"AWS_PROFILE": "dev"},
        "/dev",
    ),
    "AWS_DEFAULT_PROFILE beats AWS_PROFILE": (
        "[profile a]\nca_bundle = /a\n[profile b]\nca_bundle = /b\n",
        {"AWS_PROFILE": "a", "AWS_DEFAULT_PROFILE": "b"},
        "/b",
    ),
    "a quoted profile name": ('[profile "my dev"]\nca_bundle = /quoted\n', {"AWS_PROFILE": "my dev"}, "/quoted"),
    "a later [profile default] is the profile, whole": (
        "[default]\nca_bundle = /d\n[profile default]\nregion = eu\n",
        {},
        None,
    ),
    "a nested block's key is not the profile's": ("[default]\ns3 =\n  ca_bundle = /nested\n", {}, None),
    "the DEFAULT section's key is inherited": ("[DEFAULT]\nca_bundle = /all\n[default]\nregion = eu\n", {}, "/all"),
    "an upper-case key": ("[default]\nCA_BUNDLE = /upper\n", {}, "/upper"),
    "an empty value": ("[default]\nca_bundle =\n", {}, ""),
    "a relative value, as written": ("[default]\nca_bundle = certs/corp.pem\n", {}, "certs/corp.pem"),
    "spaces around the header are another section": ("[ default ]\nca_bundle = /spaced\n", {}, None),
}


def _ask(python: Path, code: str, env: dict[str, str], *args: str) -> object:
    """What the library resolved, as JSON printed by the child."""
    done = subprocess.run(
        [str(python), "-c", code, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", BOTOCORE_CASES)
def test_botocores_ca_bundle_is_read_as_botocore_reads_it(case: str, tmp_path: Path, clients_python: Path) -> None:
    """The profile in use, its section as botocore finds it, and the key's value: the same as botocore's own."""
    text, extra, expected = BOTOCORE_CASES[case]
    (tmp_path / "aws").mkdir()
    (tmp_path / "aws" / "config").write_text(text)
    env = child_env(HOME=str(tmp_path), AWS_CONFIG_FILE="$HOME/aws/config", **extra)
    real = _ask(clients_python, ASK_BOTOCORE, env)
    read = [s.value for s in client_settings(env, "") if s.client == "botocore"]
    assert real == expected
    assert read == ([] if expected is None else [expected])


def _pip_files(home: Path, files: dict[str, str]) -> dict[str, str]:
    """Write pip's files under `home` (`user`: ~/.config/pip/pip.conf, `legacy`: ~/.pip/pip.conf, `env`: named)."""
    places = {"user": home / ".config/pip/pip.conf", "legacy": home / ".pip/pip.conf", "env": home / "env-pip.conf"}
    env = child_env(HOME=str(home))
    del env["PIP_CONFIG_FILE"]
    for name, text in files.items():
        places[name].parent.mkdir(parents=True, exist_ok=True)
        places[name].write_text(text)
    if "env" in files:
        env["PIP_CONFIG_FILE"] = str(places["env"])
    return env


PIP_CASES = {
    "the user file's global section": ({"user": "[global]\ncert = /u.pem\n"}, "/u.pem"),
    "the new user file beats the legacy one": (
        {"legacy": "[global]\ncert = /legacy.pem\n", "user": "[global]\ncert = /new.pem\n"},
        "/new.pem",
    ),
    "PIP_CONFIG_FILE hides the user files": (
        {"user": "[global]\ncert = /u.pem\n", "env": "[global]\nindex-url = https://mirror/simple\n"},
        "from the global files",
    ),
    "the command's own sections beat [global], whatever file sets it": (
        {
            "legacy": "[install]\ncert = /command.pem\n[download]\ncert = /command.pem\n",
            "user": "[global]\ncert = /g\n",
        },
        "/command.pem",
    ),
    "an empty value in a later file drops the earlier one": (
        {"legacy": "[global]\ncert = /l.pem\n", "user": "[global]\ncert =\n"},
        None,
    ),
    "a home-relative value": ({"user": "[global]\ncert = ~/corp.pem\n"}, "~/corp.pem"),
}


@pytest.mark.parametrize("case", PIP_CASES)
def test_pips_cert_is_read_as_pip_reads_it(case: str, tmp_path: Path, clients_python: Path) -> None:
    """pip's files in its order, PIP_CONFIG_FILE's effect on the user files, sections, empty values, `~`."""
    files, expected = PIP_CASES[case]
    env = _pip_files(tmp_path, files)
    real = {command: _ask(clients_python, ASK_PIP, env, command) for command in ("download", "install")}
    prefix = str(clients_python.parent.parent)
    read = [s.value for s in client_settings(env, prefix) if s.client == "pip"]
    if expected == "from the global files":  # whatever this host's /etc/pip.conf says, the user's is not read
        assert real["download"] != "/u.pem"
        assert read == ([real["download"]] if real["download"] else read)
        assert "/u.pem" not in read
        return
    expected = expected.replace("~", str(tmp_path)) if expected else expected
    assert real == {"download": expected, "install": expected}
    assert [v or None for v in read] == ([expected] if read or expected else [])
