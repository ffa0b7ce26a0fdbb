"""Debian's own client packages: each client's store as cadoctor names it is the one the real client gives.

Debian patches certifi (`where()` returns the OS bundle), the certifi pip vendors, httplib2's built-in bundle and
urllib3's `ca_certs` default, and ships `.egg-info` metadata. The packages are the mirror's, fetched with
`apt-get download` once and unpacked with `dpkg -x` into the test cache (nothing is installed on this machine).
They are examined with Debian's own /usr/bin/python3 through `--python` (PYTHONPATH names the unpacked folder)
and as an image through `--root`; the ground truth is what the real clients answer in that same interpreter.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import cadoctor

PACKAGES = (
    "python3-certifi",
    "python3-requests",
    "python3-urllib3",
    "python3-httplib2",
    "python3-pip",
    "python3-botocore",
    "python3-google-auth",
    # what they import when the ground truth imports them
    "python3-idna",
    "python3-chardet",
    "python3-charset-normalizer",
    "python3-six",
    "python3-pyparsing",
    "python3-jmespath",
    "python3-dateutil",
    "python3-cachetools",
    "python3-pyasn1",
    "python3-pyasn1-modules",
    "python3-rsa",
)
DEBIAN_PYTHON = "/usr/bin/python3"
DIST = "usr/lib/python3/dist-packages"
CHILD_TIMEOUT = 180
# What the real clients answer when imported: each one's own default store, no variable set.
TRUTH = """
import inspect, json
import certifi, httplib2, requests.certs
import botocore.httpsession
import google.auth.transport.urllib3 as transport
import urllib3.connectionpool as pool
from pip._vendor.requests import certs as pip_certs
print(json.dumps({
    "certifi": certifi.where(),
    "requests": requests.certs.where(),
    "httplib2": httplib2.CA_CERTS,
    "pip": pip_certs.where(),
    "botocore": botocore.httpsession.get_cert_path(True),
    "google-auth": transport._make_default_http().connection_pool_kw.get("ca_certs"),
    "urllib3": inspect.signature(pool.HTTPSConnectionPool.__init__).parameters["ca_certs"].default,
}))
"""


def _debian_tree() -> Path:
    """The unpacked packages (`usr/lib/python3/dist-packages`), fetched and unpacked once into the test cache."""
    from helpers.artefacts import cache_root

    if not (shutil.which("apt-get") and shutil.which("dpkg") and os.path.exists(DEBIAN_PYTHON)):
        pytest.skip("needs Debian's apt-get, dpkg and /usr/bin/python3")
    digest = hashlib.sha256(json.dumps(PACKAGES).encode()).hexdigest()[:12]
    tree = cache_root() / ("debian-packages-%s" % digest)
    if (tree / DIST / "certifi").is_dir():
        return tree
    partial = cache_root() / ("debian-packages-%s.partial-%d" % (digest, os.getpid()))
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "debs").mkdir(parents=True)
    fetched = subprocess.run(
        ["apt-get", "download", "-o", "APT::Sandbox::User=root", *PACKAGES],
        cwd=partial / "debs",
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if fetched.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        pytest.skip("apt-get download failed: %s" % (fetched.stderr.strip().splitlines() or ["?"])[-1])
    for deb in sorted((partial / "debs").glob("*.deb")):
        subprocess.run(["dpkg", "-x", str(deb), str(partial / "tree")], check=True, timeout=300)
    with contextlib.suppress(OSError):  # another run unpacked it first
        os.rename(partial / "tree", tree)
    shutil.rmtree(partial, ignore_errors=True)
    return tree


def _truth(folders: list[str]) -> dict[str, Any]:
    """What the real clients answer in Debian's Python with these folders first on its path."""
    done = subprocess.run(
        [DEBIAN_PYTHON, "-c", TRUTH],
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent", "PYTHONPATH": ":".join(folders)},
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=True,
    )
    return dict(json.loads(done.stdout))


def _pypi_certifi(folder: Path) -> Path:
    """A copy of the PyPI certifi the tests run with (its package and its .dist-info) in `folder`."""
    from importlib import metadata, util

    spec = util.find_spec("certifi")
    assert spec is not None
    assert spec.submodule_search_locations
    shutil.copytree(next(iter(spec.submodule_search_locations)), folder / "certifi")
    entry = Path(str(metadata.distribution("certifi")._path))  # type: ignore[attr-defined]
    shutil.copytree(entry, folder / entry.name)
    return folder


def _stores(report: cadoctor.Report) -> dict[str, Any]:
    """Each client distribution's store as the report names it (None where its resolver names no file)."""
    return {d.name: d.store for d in report.facts.distributions if d.name in RESOLVED}


RESOLVED = ("certifi", "requests", "httplib2", "pip", "botocore", "google-auth", "urllib3")


def _check_python(monkeypatch: pytest.MonkeyPatch, folders: list[str]) -> cadoctor.Report:
    """`check --python /usr/bin/python3` with PYTHONPATH naming these folders and no CA variable set."""
    for name in list(os.environ):
        if name.endswith(("_CA_BUNDLE", "_CERT_FILE", "_CERT_DIR", "_CA_CERTS", "_ROOTS_FILE_PATH")) or name in (
            "PIP_CERT",
            "PYTHONPATH",
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PYTHONPATH", ":".join(folders))
    monkeypatch.setenv("PYTHONNOUSERSITE", "1")
    return cadoctor.check(python=DEBIAN_PYTHON, verify=False)


@pytest.mark.slow
def test_debians_clients_name_the_os_bundle_as_the_real_clients_do(monkeypatch: pytest.MonkeyPatch) -> None:
    """certifi, requests, httplib2, pip, botocore, google-auth and urllib3 from Debian: the store each really uses."""
    dist = str(_debian_tree() / DIST)
    truth = _truth([dist])
    report = _check_python(monkeypatch, [dist])
    assert _stores(report) == {name: truth[name] for name in RESOLVED}
    assert set(truth.values()) == {"/etc/ssl/certs/ca-certificates.crt"}
    kinds = {d.name: d.metadata for d in report.facts.distributions}
    assert kinds["requests"] == kinds["certifi"] == kinds["urllib3"] == "egg-info"
    assert report.facts.runtime.certifi == truth["certifi"]
    assert "DEBIAN_CA_CERTS_PATH" in (report.facts.runtime.certifi_decided or "")
    mozilla = report.facts.mozilla
    assert mozilla is not None
    assert not mozilla.startswith(dist)
    assert all(d.store_kind == "file" for d in report.facts.distributions if d.name in RESOLVED)


@pytest.mark.slow
def test_a_pypi_certifi_earlier_on_the_path_is_the_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A PyPI certifi installed later in a folder searched first shadows Debian's: requests and botocore follow it."""
    dist = str(_debian_tree() / DIST)
    local = str(_pypi_certifi(tmp_path / "local"))
    truth = _truth([local, dist])
    report = _check_python(monkeypatch, [local, dist])
    assert _stores(report) == {name: truth[name] for name in RESOLVED}
    assert truth["requests"] == truth["botocore"] == truth["certifi"] == local + "/certifi/cacert.pem"
    assert truth["pip"] == "/etc/ssl/certs/ca-certificates.crt"  # pip reads its own vendored certifi
    certifi = next(d for d in report.facts.distributions if d.name == "certifi")
    assert certifi.location == local
    assert certifi.shadowed == tuple(str(p) for p in sorted(Path(dist).glob("certifi-*.egg-info")))
    assert report.facts.mozilla == local + "/certifi/cacert.pem"


def _image(top: Path, tree: Path, minor: str, local: Path | None = None) -> Path:
    """A Debian-like image: Debian's python3 and its own site.py, and the unpacked packages (PyPI's in /usr/local)."""
    root = top / "image"
    (root / "usr/bin").mkdir(parents=True)
    shutil.copyfile(os.path.realpath(DEBIAN_PYTHON), root / "usr/bin" / ("python" + minor))
    (root / "usr/bin/python3").symlink_to("python" + minor)
    (root / "usr/lib" / ("python" + minor)).mkdir(parents=True)
    shutil.copyfile("/usr/lib/python%s/site.py" % minor, root / "usr/lib" / ("python" + minor) / "site.py")
    (root / "etc").mkdir()
    shutil.copyfile("/etc/os-release", root / "etc/os-release")
    shutil.copytree(tree / DIST, root / DIST)
    if local is not None:
        shutil.copytree(local, root / "usr/local/lib" / ("python" + minor) / "dist-packages")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("shadowed", [False, True])
def test_an_image_of_debians_clients_names_the_same_stores(tmp_path: Path, shadowed: bool) -> None:
    """--root reads the same resolvers from the image's files: Debian's stores, or a PyPI certifi in /usr/local."""
    from helpers.environment import child_env as clean_env
    from helpers.runs import check_json

    tree = _debian_tree()
    minor = _debian_minor()
    local = _pypi_certifi(tmp_path / "local") if shadowed else None
    root = _image(tmp_path, tree, minor, local)
    inside = ["/usr/local/lib/python%s/dist-packages" % minor, "/" + DIST][0 if shadowed else 1 :]
    truth = _truth([str(root) + folder for folder in inside])
    _, report = check_json(clean_env(), "--root", str(root))
    stores = {d["name"]: d["store"] for d in report["distributions"] if d["name"] in RESOLVED}
    assert stores == {name: _inner(truth[name], root) for name in RESOLVED}
    assert report["python"]["site_folders"] == inside
    assert report["python"]["site_source"] == "layout"


def _inner(path: str | None, root: Path) -> str | None:
    """A path the ground truth gave, as the image names it."""
    return path[len(str(root)) :] if path and path.startswith(str(root)) else path


def _debian_minor() -> str:
    """The minor version of Debian's own Python here."""
    done = subprocess.run(
        [DEBIAN_PYTHON, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=True,
    )
    return done.stdout.strip()
