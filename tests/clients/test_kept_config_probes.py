"""A kept store trial follows the configuration files a real client only looked for: one that appears is a fresh trial.

botocore (from PyPI, the clients venv) looks for ~/.aws/config with `os.path.isfile`, which raises no audit event,
and reads `ca_bundle` from it before REQUESTS_CA_BUNDLE. Its ~/.aws folder already holds credentials, so the home
folder itself is unchanged when the file appears: only the probe tells. Ground truth is botocore's own answer,
asked in a child of the same venv with the same environment.
"""

from __future__ import annotations

import ssl
import subprocess
import time
from pathlib import Path

import pytest
from helpers import records, venvs
from helpers.environment import child_env
from helpers.pki import make_ca
from helpers.trials import RACY, counted_trials

from cadoctor._fixes.verify import verify
from cadoctor._model import Fix

pytestmark = [pytest.mark.slow, pytest.mark.index]

RESOLVED = """
import botocore.session
client = botocore.session.get_session().create_client("s3", region_name="us-east-1")
print(client._endpoint.http_session._verify)
"""  # the bundle botocore's own client verifies with


def test_a_config_file_botocore_only_looked_for_appears_a_fresh_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fix points REQUESTS_CA_BUNDLE at the root botocore must trust: verified, then kept. A ~/.aws/config that
    names another bundle appears: the trial runs again, and says what botocore itself now resolves."""
    python = str(venvs.clients_venv())
    wanted = make_ca(tmp_path / "wanted", "cadoctor Probed Root")
    other = make_ca(tmp_path / "other", "cadoctor Other Probed Root")
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text("[default]\n")  # unread (AWS_SHARED_CREDENTIALS_FILE): it is there
    env = child_env(HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    del env["AWS_CONFIG_FILE"]  # the tests' own /dev/null: botocore looks for ~/.aws/config
    counted = counted_trials(tmp_path, monkeypatch)
    fix = Fix(
        kind="env",
        summary="Point REQUESTS_CA_BUNDLE at the bundle",
        addresses=("client-lacks-local-roots",),
        env={"REQUESTS_CA_BUNDLE": str(wanted.bundle)},
        clients=("botocore",),
        trial_samples=(ssl.PEM_cert_to_DER_cert(wanted.bundle.read_text()),),
    )

    def tried() -> tuple[Fix, int]:
        before = counted.started
        (done,) = verify((fix,), records.facts(), python, env)
        return done, counted.started - before

    def resolved() -> str:
        asked = {**env, "REQUESTS_CA_BUNDLE": str(wanted.bundle)}
        done = subprocess.run([python, "-c", RESOLVED], env=asked, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    time.sleep(RACY + 0.1)
    first, children = tried()
    assert (first.verified, children) == (True, 1), first.evidence
    assert resolved() == str(wanted.bundle)
    assert tried()[1] == 0
    (home / ".aws" / "config").write_text("[default]\nca_bundle = %s\n" % other.bundle)
    assert resolved() == str(other.bundle)  # botocore's own answer changed with the file
    time.sleep(RACY + 0.1)
    changed, children = tried()
    assert (changed.verified, children) == (False, 1), changed.evidence
    assert "botocore uses %s" % other.bundle in (changed.evidence or "")
