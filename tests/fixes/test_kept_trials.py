"""A store trial's kept answer is served only while everything it followed from is unchanged; a change is a fresh trial.

The library is a stand-in httplib2 on PYTHONPATH (it resolves HTTPLIB2_CA_CERTS, else a `ca_certs_locater` module,
else its own file, as the real one does), imported by a real child of this interpreter; the cache is a private
folder. Each test changes one thing the answer depends on and sees the trial run again, with the verdict the new
state gives.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import records
from helpers.environment import child_env
from helpers.pki import make_ca
from helpers.trials import RACY, counted_trials

from cadoctor._facts import memo
from cadoctor._facts.certs.bundle import inventory_bundle
from cadoctor._facts.interpreters import kept
from cadoctor._fixes.verify import verify
from cadoctor._model import Fix
from cadoctor._record import replace

LIBRARY = """import os
try:
    import ca_certs_locater
    CA_CERTS = ca_certs_locater.get()
except ImportError:
    CA_CERTS = os.environ.get("HTTPLIB2_CA_CERTS") or os.path.join(os.path.dirname(__file__), "cacerts.txt")
"""

PROBING = """import os
if %s(%r):  # an override of its own, looked for without opening it
    CA_CERTS = open(%r).read().strip()
else:
    CA_CERTS = os.environ.get("HTTPLIB2_CA_CERTS") or os.path.join(os.path.dirname(__file__), "cacerts.txt")
"""


class Scene:
    """A stand-in library, two roots, a bundle holding the first, and a count of the children started."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.site = tmp_path / "site"
        (self.site / "httplib2").mkdir(parents=True)
        (self.site / "httplib2" / "__init__.py").write_text(LIBRARY)
        self.wanted = make_ca(tmp_path / "wanted", "cadoctor Kept Root")
        other = make_ca(tmp_path / "other", "cadoctor Other Root")
        self.other_pem = other.bundle.read_text()
        (self.site / "httplib2" / "cacerts.txt").write_text(self.other_pem)
        self.bundle = tmp_path / "bundle.pem"
        self.bundle.write_text(self.wanted.bundle.read_text())
        self.env = child_env(PYTHONPATH=str(self.site), PYTHONDONTWRITEBYTECODE="1")
        self.python = sys.executable
        self.counted = counted_trials(tmp_path, monkeypatch)
        self.settle()

    def settle(self) -> None:
        """Wait until every file written so far is older than the margin: an answer about it can be kept."""
        time.sleep(RACY + 0.1)

    def tried(self, cache: bool = True, merge: tuple[str, ...] = (), **extra: str) -> tuple[Fix, int]:
        """The fix pointing httplib2 at the bundle (or at the file it joins of `merge`), tried; the children started."""
        der = ssl.PEM_cert_to_DER_cert(self.wanted.bundle.read_text())
        fix = Fix(
            kind="env",
            summary="Point HTTPLIB2_CA_CERTS at the bundle",
            addresses=("client-lacks-local-roots",),
            env={"HTTPLIB2_CA_CERTS": str(self.bundle)},
            clients=("httplib2",),
            trial_samples=(der,),
            merge=merge,
        )
        before = self.counted.started
        (tried,) = verify((fix,), records.facts(), self.python, {**self.env, **extra}, cache=cache)
        return tried, self.counted.started - before


@pytest.fixture
def scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Scene:
    """A scene whose first trial has run and been kept."""
    made = Scene(tmp_path, monkeypatch)
    first, children = made.tried()
    assert (first.verified, children) == (True, 1), first.evidence
    assert "httplib2 uses %s, which trusts 1 of the 1 root it must hold" % made.bundle in (first.evidence or "")
    return made


def test_an_unchanged_trial_is_answered_by_the_kept_answer(scene: Scene) -> None:
    """The same question about unchanged files starts no child and gives the same fix; --no-cache starts one."""
    again, children = scene.tried()
    assert children == 0
    fresh, children = scene.tried(cache=False)
    assert children == 1
    assert again == fresh


def test_another_environment_is_a_fresh_trial(scene: Scene) -> None:
    """One more variable in the environment (any: a library may read it) makes the trial run again."""
    _, children = scene.tried(UNRELATED="1")
    assert children == 1


def test_a_changed_store_is_a_fresh_verdict(scene: Scene, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundle rewritten to hold another root: the trial runs again and fails; its answer is kept once it settles."""
    scene.bundle.write_text(scene.other_pem)
    # "Just now" is a margin a loaded machine can outlast between two trials: here it is an hour, so both trials
    # below start well within it whatever the load, and neither answer may be kept.
    monkeypatch.setattr(kept, "RACY", 3600.0)
    changed, children = scene.tried()
    assert (changed.verified, children) == (False, 1), changed.evidence
    _, children = scene.tried()
    assert children == 1  # a bundle changed just now may change again within its clock's tick: not kept yet
    monkeypatch.setattr(kept, "RACY", RACY)
    scene.settle()
    assert [scene.tried()[1] for _ in range(2)] == [1, 0]  # once it is older than the margin, kept in turn


def test_a_changed_library_is_a_fresh_verdict(scene: Scene) -> None:
    """The library's source rewritten to ignore the variable: the trial runs again, and the fix no longer works."""
    (scene.site / "httplib2" / "__init__.py").write_text(LIBRARY.replace('os.environ.get("HTTPLIB2_CA_CERTS")', "0"))
    changed, children = scene.tried()
    assert (changed.verified, children) == (False, 1), changed.evidence


def test_a_module_installed_beside_it_is_a_fresh_verdict(scene: Scene) -> None:
    """A `ca_certs_locater` module appears on the path (a distribution installed): the library now resolves it."""
    (scene.site / "ca_certs_locater.py").write_text("def get():\n    return %r\n" % str(scene.bundle) + "\n")
    changed, children = scene.tried()
    assert children == 1
    assert changed.verified is True
    (scene.site / "ca_certs_locater.py").write_text("def get():\n    return %r\n" % str(scene.wanted.cert))
    changed, children = scene.tried()
    assert (changed.verified, children) == (False, 1), changed.evidence


@pytest.mark.parametrize("probe", ["os.path.isfile", "os.path.lexists", "os.access(R_OK) of"])
def test_a_file_the_library_only_looked_for_appears_a_fresh_verdict(scene: Scene, probe: str) -> None:
    """The library asks whether an override of its own exists (no audit event): one created later, in a folder
    nothing else names, names another root. The trial runs again, and the fix no longer works (botocore's
    ~/.aws/config and pip's configuration files are looked for so)."""
    override = scene.site / "conf" / "override"
    override.parent.mkdir()
    asked = "(lambda path: os.access(path, os.R_OK))" if probe.startswith("os.access") else probe
    probing = PROBING % (asked, str(override), str(override))
    (scene.site / "httplib2" / "__init__.py").write_text(probing)
    scene.settle()
    assert [scene.tried()[1] for _ in range(2)] == [1, 0]
    other = override.parent / "other.pem"
    other.write_text(scene.other_pem)
    override.write_text(str(other))
    scene.settle()
    changed, children = scene.tried()
    assert (changed.verified, children) == (False, 1), changed.evidence


def test_a_folder_the_library_only_asked_about_counts_by_its_kind(scene: Scene) -> None:
    """The library asks `os.path.isdir` of a folder and reads nothing in it: a file made in it leaves the kept answer
    serving (tempfile asks so of /tmp, whose times change all the time); the folder replaced by a file does not."""
    asked = scene.site / "deep" / "conf"  # in a folder nothing else names
    asked.mkdir(parents=True)
    library = "import os\nUSE = os.path.isdir(%r)\n" % str(asked) + LIBRARY.replace(
        'os.environ.get("HTTPLIB2_CA_CERTS")', '(os.environ.get("HTTPLIB2_CA_CERTS") if USE else None)'
    )
    (scene.site / "httplib2" / "__init__.py").write_text(library)
    scene.settle()
    assert [scene.tried()[1] for _ in range(2)] == [1, 0]
    (asked / "made by someone").write_text("")
    scene.settle()
    assert scene.tried()[1] == 0
    shutil.rmtree(asked)
    asked.write_text("")
    scene.settle()
    changed, children = scene.tried()
    assert (changed.verified, children) == (False, 1), changed.evidence


def test_another_interpreter_is_a_fresh_trial(scene: Scene, tmp_path: Path) -> None:
    """A venv of this interpreter asks the same question of another interpreter: the trial runs in it."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=child_env())
    scene.python = str(venv / "bin" / "python")
    _, children = scene.tried()
    assert children == 1


def test_a_joined_file_is_named_by_its_bytes(scene: Scene, tmp_path: Path) -> None:
    """A fix that joins two files is tried on the joined file, written anew in each check's own trial folder: the
    same bytes are the same question, and a part rewritten (here to drop the root) is a fresh trial and verdict."""
    other = tmp_path / "other.pem"
    other.write_text(scene.other_pem)
    parts = (str(other), str(scene.bundle))
    scene.settle()
    first, children = scene.tried(merge=parts)
    assert (first.verified, children) == (True, 1), first.evidence
    again, children = scene.tried(merge=parts)
    assert (again, children) == (first, 0)
    scene.bundle.write_text(scene.other_pem)
    changed, children = scene.tried(merge=parts)
    assert (changed.verified, children) == (False, 1), changed.evidence


@pytest.mark.parametrize("damage", ["group-writable", "fifo"])
def test_an_entry_that_is_not_this_users_own_file_is_never_read(scene: Scene, damage: str) -> None:
    """A kept answer whose file the group or others may write, or a FIFO in its place (passed over without
    blocking): the answer is not read, and the trial runs again."""
    folder = kept.folder()
    assert folder is not None
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if damage == "fifo":
            os.unlink(path)
            os.mkfifo(path)
        else:
            os.chmod(path, 0o620)  # group-writable: not this user's alone
    _, children = scene.tried()
    assert children == 1


def test_the_folder_is_chosen_as_documented(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$CADOCTOR_CACHE (absolute) first, then $XDG_CACHE_HOME, then ~/.cache; a relative value is ignored."""
    monkeypatch.setenv("CADOCTOR_CACHE", str(tmp_path / "own"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert kept.folder() == str(tmp_path / "own" / "trials")
    monkeypatch.setenv("CADOCTOR_CACHE", "relative")
    assert kept.folder() == str(tmp_path / "xdg" / "cadoctor" / "trials")
    monkeypatch.delenv("CADOCTOR_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert kept.folder() == str(tmp_path / "home" / ".cache" / "cadoctor" / "trials")


def test_a_fix_trial_without_a_host_is_kept_and_follows_its_store(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fix for Python's own default context (SSL_CERT_FILE at the bundle, no client named) is tried by a fresh
    interpreter's default context: kept, served while the bundle is as it was, tried anew once it changes; the same
    fix joining the bundle with another file is named by the joined file's bytes. It verifies its sample root, which
    time alone may change: with the clock past the root's end (as cryptography reads it), it is tried anew."""
    from cryptography import x509

    der = ssl.PEM_cert_to_DER_cert(scene.wanted.bundle.read_text())

    def tried(**extra: Any) -> tuple[Fix, int]:
        fix = Fix("env", "Point SSL_CERT_FILE at the bundle", (), env={"SSL_CERT_FILE": str(scene.bundle)}, **extra)
        fix = replace(fix, trial_samples=(der,))
        memo.forget()  # the bundle read as a check reads it, anew
        facts = records.with_bundles(records.facts(), inventory_bundle(str(scene.bundle), ("env:SSL_CERT_FILE",)))
        before = scene.counted.started
        (done,) = verify((fix,), facts, scene.python, scene.env)
        return done, scene.counted.started - before

    first, children = tried()
    assert (first.verified, children) == (True, 1), first.evidence
    assert "1 of 1 sample roots verified" in (first.evidence or ""), first.evidence
    assert tried() == (first, 0)
    real = time.time
    end = x509.load_der_x509_certificate(der).not_valid_after_utc.timestamp()
    monkeypatch.setattr(time, "time", lambda: end + 1)
    assert tried()[1] == 1
    monkeypatch.setattr(time, "time", real)
    joined = (str(scene.site / "httplib2" / "cacerts.txt"), str(scene.bundle))
    assert [tried(merge=joined)[1] for _ in range(2)] == [1, 0]
    scene.bundle.write_text(scene.other_pem)
    scene.settle()
    changed, children = tried()
    assert (changed.verified, children) == (False, 1), changed.evidence
    assert tried(merge=joined)[1] == 1  # the joined file's bytes changed with it


def test_a_fix_trial_with_a_host_is_never_kept(scene: Scene) -> None:
    """Its handshake answers for a host: the trial runs every time."""
    der = ssl.PEM_cert_to_DER_cert(scene.wanted.bundle.read_text())
    host = records.host(None, target="localhost:9", host="localhost", port=9, server_name="localhost")
    fix = Fix("env", "", (), env={"SSL_CERT_FILE": str(scene.bundle)}, trial_samples=(der,), trial_host=host)
    started = []
    for _ in range(2):
        before = scene.counted.started
        verify((fix,), records.facts(), scene.python, scene.env, host_timeout=0.5)
        started.append(scene.counted.started - before)
    assert started == [1, 1]


def test_the_childs_sources_name_the_trial_and_its_bytecode_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another interpreter version that runs the child writes its bytecode beside the sources: the same question. A
    source changed is another."""
    from cadoctor._facts.child import jobs
    from cadoctor._facts.interpreters.proof import prove_python

    folder = tmp_path / "child"
    shutil.copytree(jobs.FOLDER, folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(jobs, "FOLDER", str(folder))
    python = prove_python(sys.executable)

    def named() -> str:
        return kept.key(python, b"{}", {}, "/")

    first = named()
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "jobs.cpython-39.pyc").write_bytes(b"bytecode")
    assert named() == first
    with open(folder / "jobs.py", "a") as source:
        source.write("\n# changed\n")
    assert named() != first


def test_a_file_openssls_configuration_includes_is_followed(scene: Scene, tmp_path: Path) -> None:
    """OPENSSL_CONF includes a file of a folder nothing else names (OpenSSL reads both itself, unseen): that file
    rewritten, the trial runs again."""
    extra = tmp_path / "conf.d" / "extra.cnf"
    extra.parent.mkdir()
    extra.write_text("# nothing yet\n")
    conf = tmp_path / "openssl.cnf"
    conf.write_text(".include %s\n" % extra)
    scene.settle()
    assert [scene.tried(OPENSSL_CONF=str(conf))[1] for _ in range(2)] == [1, 0]
    extra.write_text("# something else now\n")
    scene.settle()
    assert scene.tried(OPENSSL_CONF=str(conf))[1] == 1
