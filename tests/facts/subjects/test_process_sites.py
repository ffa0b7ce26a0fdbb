"""Where a process's or an image's Python imports from: its own folders, its user site, never another Python's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cadoctor._facts.fs.fileroot import FileRoot
from cadoctor._facts.subjects.offline import site_folders

CHILD_TIMEOUT = 120
WAIT = "import ssl, sys; print('ready', flush=True); sys.stdin.read()"
PATH_OF = "import json, sys; print(json.dumps(sys.path))"


def _user_site_client(home: Path, minor: str) -> Path:
    """A user site under `home` holding httplib2 (metadata and a certs.py whose where() names its own bundle)."""
    site = home / ".local" / "lib" / ("python" + minor) / "site-packages"
    (site / "httplib2").mkdir(parents=True)
    (site / "httplib2" / "__init__.py").write_text("")
    (site / "httplib2" / "certs.py").write_text("def where():\n    return '/srv/user-site-bundle.pem'\n")
    (site / "httplib2-0.22.0.dist-info").mkdir()
    (site / "httplib2-0.22.0.dist-info" / "METADATA").write_text("Name: httplib2\nVersion: 0.22.0\n\n")
    return site


def _minor(python: str) -> str:
    """An interpreter's `X.Y`."""
    done = subprocess.run(
        [python, "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=True,
    )
    return done.stdout.strip()


def _real_path(argv: list[str], env: dict[str, str]) -> list[str]:
    """The folders on sys.path of an interpreter started this way (the ground truth a report is held to)."""
    done = subprocess.run([*argv, "-c", PATH_OF], env=env, capture_output=True, text=True, timeout=60, check=True)
    return [p for p in json.loads(done.stdout) if p and os.path.isdir(p)]


def test_a_pyenv_process_is_read_with_its_user_site_and_not_debians_folders() -> None:
    """--pid of a pyenv Python: the folders its fresh copy reports, its user site's client found, no dist-packages."""
    from helpers.environment import child_env as clean_env
    from helpers.interpreters import pythons
    from helpers.processes import running
    from helpers.runs import check_json

    python = next((p for p, _ in pythons().values() if "/.pyenv/versions/" in p), None)
    if python is None:
        pytest.skip("no pyenv Python here")
    home = Path(tempfile.mkdtemp(prefix="cadoctor-home-"))
    try:
        site = _user_site_client(home, _minor(python))
        env = clean_env(HOME=str(home))
        with running([python, "-c", WAIT], env) as process:
            _, report = check_json(clean_env(), "--pid", str(process.pid), "--no-verify")
        folders = report["python"]["site_folders"]
        assert report["python"]["site_source"] == "sys.path"
        assert folders == _real_path([python], env)
        assert str(site) in folders
        assert not [f for f in folders if "dist-packages" in f]
        httplib2 = next(d for d in report["distributions"] if d["name"] == "httplib2")
        assert httplib2["location"] == str(site)
        assert httplib2["store"] == "/srv/user-site-bundle.pem"
    finally:
        shutil.rmtree(home)


@pytest.fixture
def shared_home() -> Iterator[Path]:
    """A home folder that another user can read (pytest's own temporary folders are private to this user)."""
    home = Path(tempfile.mkdtemp(prefix="cadoctor-home-"))
    home.chmod(0o755)
    try:
        yield home
    finally:
        shutil.rmtree(home)


def test_another_users_process_is_read_from_its_layout_with_its_user_site(shared_home: Path) -> None:
    """Another user's process is not run again: its folders come from its interpreter's layout, as site makes them."""
    from helpers.environment import child_env as clean_env
    from helpers.processes import running
    from helpers.runs import check_json

    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to start a process as another user")
    python = "/usr/bin/python3"
    if not os.path.exists(python):
        pytest.skip("needs the distribution's /usr/bin/python3")
    site = _user_site_client(shared_home, _minor(python))  # folders made 0755: the other user reads them
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", python]
    env = clean_env(HOME=str(shared_home))
    with running([*nobody, "-c", WAIT], env) as process:
        _, report = check_json(clean_env(), "--pid", str(process.pid), "--no-verify")
    assert report["python"]["site_source"] == "layout"
    stdlib = "/usr/lib/python" + _minor(python)
    truth = [f for f in _real_path(nobody, env) if f != stdlib and not f.startswith(stdlib + "/")]
    assert report["python"]["site_folders"] == truth
    assert str(site) in truth


def _image_python(root: Path, prefix: str, minor: str, site_py: str) -> None:
    """An interpreter's files in an image: its binary (never run) and its site.py."""
    (root / prefix.lstrip("/") / "bin").mkdir(parents=True, exist_ok=True)
    (root / prefix.lstrip("/") / "bin" / ("python" + minor)).write_text("#!/bin/false\n")
    lib = root / prefix.lstrip("/") / "lib" / ("python" + minor)
    (lib / "site-packages").mkdir(parents=True, exist_ok=True)
    (lib / "site.py").write_text(site_py)


def test_a_layout_never_borrows_another_pythons_folders(tmp_path: Path) -> None:
    """An image's own Python reads its prefix's site-packages; Debian's site.py alone adds dist-packages."""
    root = tmp_path / "image"
    minor = "3.12"
    _image_python(root, "/opt/python", minor, "# upstream site.py: lib/pythonX.Y/site-packages\n")
    _image_python(root, "/usr", minor, "# Debian: local/lib/pythonX.Y/dist-packages, lib/python3/dist-packages\n")
    for folder in ("usr/lib/python3/dist-packages", "usr/local/lib/python%s/dist-packages" % minor):
        (root / folder).mkdir(parents=True)
    extra = root / "srv" / "extra"
    extra.mkdir(parents=True)
    (root / "usr/lib/python3/dist-packages/extra.pth").write_text("/srv/extra\n")
    image = FileRoot(str(root))
    assert site_folders(image, minor, ["/opt/python"], {}, True) == ("/opt/python/lib/python3.12/site-packages",)
    assert site_folders(image, minor, ["/usr"], {}, True) == (
        "/usr/local/lib/python3.12/dist-packages",
        "/usr/lib/python3/dist-packages",
        "/srv/extra",
    )


def test_a_layouts_user_site_follows_sites_own_rules(tmp_path: Path) -> None:
    """The user site comes first, from HOME or PYTHONUSERBASE, and not with PYTHONNOUSERSITE or in an isolated venv."""
    root = tmp_path / "image"
    minor = "%d.%d" % sys.version_info[:2]
    _image_python(root, "/opt/python", minor, "")
    _image_python(root, "/srv/venv", minor, "")
    user = root / "home/app/.local/lib" / ("python" + minor) / "site-packages"
    user.mkdir(parents=True)
    based = root / "base/lib" / ("python" + minor) / "site-packages"
    based.mkdir(parents=True)
    image = FileRoot(str(root))
    inner = "/home/app/.local/lib/python%s/site-packages" % minor
    own = "/opt/python/lib/python%s/site-packages" % minor
    venv = "/srv/venv/lib/python%s/site-packages" % minor
    assert site_folders(image, minor, ["/opt/python"], {}, True, home="/home/app") == (inner, own)
    assert site_folders(image, minor, ["/opt/python"], {"PYTHONNOUSERSITE": "1"}, True, home="/home/app") == (own,)
    assert site_folders(image, minor, ["/opt/python"], {"PYTHONUSERBASE": "/base"}, True, home="/home/app")[0] == (
        "/base/lib/python%s/site-packages" % minor
    )
    layout = ["/srv/venv", "/opt/python"]
    assert site_folders(image, minor, layout, {}, False, home="/home/app") == (venv,)
    assert site_folders(image, minor, layout, {}, True, home="/home/app") == (inner, venv, own)
