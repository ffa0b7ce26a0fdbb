"""`cadoctor check --root`: an image laid out by the test from this machine's files, read and never run."""

from __future__ import annotations

import json
import os
import shutil
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from helpers import venvs
from helpers.environment import child_env
from helpers.openssl import ForeignOpenSSL
from helpers.os_store import system_bundle_or_skip
from helpers.pki import pem_count
from helpers.runs import check_json, codes, run_cadoctor

from cadoctor._facts.child import build_strings

SCHEMA = json.loads(resources.files("cadoctor").joinpath("schema/report-v1.json").read_text())
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="images are laid out from Linux files")


def _openssl_files() -> tuple[Path, Path, Path]:
    """The _ssl module of this interpreter and the libcrypto and libssl it loads."""
    import _ssl

    module = getattr(_ssl, "__file__", None)
    if module is None:
        pytest.skip("_ssl is built into this interpreter")
    mapped = [line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines() if "/" in line]
    crypto = next(Path(p) for p in mapped if Path(p).name.startswith("libcrypto.so"))
    libssl = next(Path(p) for p in mapped if Path(p).name.startswith("libssl.so"))
    return Path(module), crypto, libssl


def _image(top: Path, *, bundle: bool, libcrypto: Path | None = None) -> Path:
    """A minimal Debian-like image: a Python (a script that would leave a mark if anyone ran it), its _ssl
    module, libcrypto and libssl, os-release, and OPENSSLDIR links that are absolute as Debian's are."""
    module, crypto, libssl = _openssl_files()
    version = "%d.%d" % sys.version_info[:2]
    root = top / "image"
    (root / "usr/bin").mkdir(parents=True)
    python = root / "usr/bin" / ("python" + version)
    python.write_text("#!/bin/sh\ntouch %s\n" % (top / "was-run"))
    python.chmod(0o755)
    (root / "usr/bin/python3").symlink_to("python" + version)
    dynload = root / "usr/lib" / ("python" + version) / "lib-dynload"
    dynload.mkdir(parents=True)
    shutil.copyfile(module, dynload / module.name)
    libs = root / "usr/lib/x86_64-linux-gnu"
    libs.mkdir(parents=True)
    shutil.copyfile(libcrypto or crypto, libs / crypto.name)
    shutil.copyfile(libssl, libs / libssl.name)
    (root / "etc/ssl/certs").mkdir(parents=True)
    shutil.copyfile("/etc/os-release", root / "etc/os-release")
    openssldir = root / "usr/lib/ssl"
    openssldir.mkdir(parents=True)
    (openssldir / "certs").symlink_to("/etc/ssl/certs")
    (openssldir / "cert.pem").symlink_to("/etc/ssl/certs/ca-certificates.crt")
    if bundle:
        shutil.copyfile(system_bundle_or_skip(), root / "etc/ssl/certs/ca-certificates.crt")
    return root


def _original_openssldir() -> str:
    """The OPENSSLDIR this machine's libcrypto was built with (the image's copy has the same)."""
    _, crypto, _ = _openssl_files()
    value = build_strings.read_build_strings(str(crypto))["openssldir"]
    assert value
    return str(value)


def test_an_image_without_a_bundle_trusts_nothing_even_where_the_host_has_one(tmp_path: Path) -> None:
    """The image's cert.pem links to a file only the host has: resolved inside the image, it is missing."""
    if _original_openssldir() != "/usr/lib/ssl":
        pytest.skip("the image is laid out for Debian's OPENSSLDIR")
    system_bundle_or_skip()
    root = _image(tmp_path, bundle=False)
    status, report = check_json(child_env(), "--root", str(root))
    jsonschema.validate(report, SCHEMA)
    assert status == 1
    assert "trust-store-empty" in codes(report, "error")
    cafile = next(b for b in report["bundles"] if b["path"] == "/usr/lib/ssl/cert.pem")
    assert cafile["file_type"] == "missing"
    assert report["subject"] == {
        "kind": "root",
        "executable": "/usr/bin/python3",
        "python": True,
        "observed": "files",
        "pid": None,
        "user": None,
        "uid": None,
        "command": [],
        "root": str(root),
    }
    install = next(f for f in report["fixes"] if f["kind"] == "command" and "ca-certificates" in (f["command"] or ""))
    assert not any(f["verified"] for f in report["fixes"])
    assert not (tmp_path / "was-run").exists()
    # written for the image: its build's RUN line and a command inside DIR, never a line for the host running cadoctor
    assert install["root"] == str(root)
    assert install["summary"].startswith("In the image at %s: " % root)
    assert set(install["lines"]) == {"dockerfile", "chroot"}
    assert install["lines"]["dockerfile"] == "RUN " + install["command"]
    assert install["lines"]["chroot"].startswith("chroot '%s' /bin/sh -c '" % root)
    assert "-y" in install["command"].split()  # a build runs it unattended
    for fix in report["fixes"]:
        assert not {"shell", "systemd"} & set(fix["lines"]), fix


def _venv(root: Path) -> str:
    """A venv in the image at /opt/venv, laid out as `python3 -m venv` makes one, with certifi in its site folder."""
    version = "%d.%d" % sys.version_info[:2]
    venv = root / "opt/venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin/python").symlink_to("/usr/bin/python3")  # as `python3 -m venv` links it, absolute inside the image
    config = "home = /usr/bin\ninclude-system-site-packages = false\nversion = %s.0\n" % version
    (venv / "pyvenv.cfg").write_text(config)
    site = venv / "lib" / ("python" + version) / "site-packages"
    (site / "certifi").mkdir(parents=True)
    (site / "certifi/cacert.pem").write_bytes(Path(system_bundle_or_skip()).read_bytes())
    (site / "certifi/__init__.py").write_text("from .core import where\n")
    (site / "certifi/core.py").write_text("def where():\n    return __file__.replace('core.py', 'cacert.pem')\n")
    (site / "certifi-2026.10.19.dist-info").mkdir()
    (site / "certifi-2026.10.19.dist-info/METADATA").write_text("Name: certifi\nVersion: 2026.10.19\n")
    return version


def test_an_interpreter_inside_the_image_is_examined_with_its_venv(tmp_path: Path) -> None:
    """`--root DIR --python /opt/venv/bin/python`: that venv's site folder; the report names the image's others."""
    if _original_openssldir() != "/usr/lib/ssl":
        pytest.skip("the image is laid out for Debian's OPENSSLDIR")
    root = _image(tmp_path, bundle=True)
    version = _venv(root)
    _status, plain = check_json(child_env(), "--root", str(root))
    other = next(f for f in plain["findings"] if f["code"] == "image-other-pythons")
    assert other["evidence"]["pythons"] == ["/opt/venv/bin/python"]
    _status, report = check_json(child_env(), "--root", str(root), "--python", "/opt/venv/bin/python")
    jsonschema.validate(report, SCHEMA)
    assert report["subject"]["executable"] == "/opt/venv/bin/python"
    assert report["python"]["site_folders"] == ["/opt/venv/lib/python%s/site-packages" % version]
    assert report["python"]["certifi"] == "/opt/venv/lib/python%s/site-packages/certifi/cacert.pem" % version
    other = next(f for f in report["findings"] if f["code"] == "image-other-pythons")
    assert other["evidence"]["pythons"] == ["/usr/bin/python3"]
    missing = run_cadoctor(["check", "--root", str(root), "--python", "/opt/nothing/bin/python"], child_env())
    assert (missing.returncode, missing.stderr.count("\n")) == (3, 1)
    assert not (tmp_path / "was-run").exists()


def test_an_image_with_its_bundle_is_healthy(tmp_path: Path) -> None:
    """With the CA bundle in the image, its OPENSSLDIR links lead to certificates inside it."""
    if _original_openssldir() != "/usr/lib/ssl":
        pytest.skip("the image is laid out for Debian's OPENSSLDIR")
    root = _image(tmp_path, bundle=True)
    status, report = check_json(child_env(), "--root", str(root))
    assert "trust-store-empty" not in codes(report)
    cafile = next(b for b in report["bundles"] if b["path"] == "/usr/lib/ssl/cert.pem")
    assert cafile["realpath"] == "/etc/ssl/certs/ca-certificates.crt"
    assert cafile["certificates"] == pem_count("/etc/ssl/certs/ca-certificates.crt")
    assert report["python"]["version"] == "%d.%d" % sys.version_info[:2]
    assert report["libraries"][0]["path"].startswith("/usr/lib/x86_64-linux-gnu/libcrypto")
    if os.geteuid() == 0:
        assert status == 0
    else:  # unpacked by this user, the image's system folders are this user's: writable by another than root
        assert codes(report, "error") == {"trust-writable"}
    assert not (tmp_path / "was-run").exists()


def test_an_image_whose_libcrypto_names_a_missing_openssldir(tmp_path: Path, foreign_openssl: ForeignOpenSSL) -> None:
    """An image shipping a libcrypto built for another OPENSSLDIR gets openssldir-missing for it."""
    root = _image(tmp_path, bundle=True, libcrypto=foreign_openssl.libcrypto)
    status, report = check_json(child_env(), "--root", str(root))
    finding = next(f for f in report["findings"] if f["code"] == "openssldir-missing")
    assert finding["evidence"]["openssldir"] == foreign_openssl.openssldir
    assert "trust-store-empty" in codes(report, "error")
    assert status == 1


@pytest.mark.parametrize("kind", ["missing", "file", "empty-directory"])
def test_a_root_that_is_no_image_gets_one_line(tmp_path: Path, kind: str) -> None:
    """A missing path, a file, or a directory with no Python and no OpenSSL: exit 3 and one line."""
    target = tmp_path / "root"
    if kind == "file":
        target.write_text("not a directory")
    elif kind == "empty-directory":
        target.mkdir()
    result = run_cadoctor(["check", "--root", str(target)], child_env())
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert str(target) in result.stderr
    assert result.stdout == ""


def test_root_and_pid_together_are_a_usage_error() -> None:
    """--root with --pid names two subjects: exit 2 and one line."""
    result = run_cadoctor(["check", "--root", "/", "--pid", str(os.getpid())], child_env())
    assert result.returncode == 2
    assert result.stderr == "cadoctor: --pid and --root name different subjects: choose one\n"


@pytest.mark.index
def test_an_images_wheels_bring_their_tls_stacks(tmp_path: Path) -> None:
    """psycopg2-binary's and confluent-kafka's copies in the image's site folder are listed with who uses them."""
    venv_site = next(venvs.stacks_venv().parent.parent.glob("lib/python3.*/site-packages"))
    root = _image(tmp_path, bundle=True)
    site = root / "usr/lib/python3/dist-packages"
    site.mkdir(parents=True)
    for folder in ("psycopg2_binary.libs", "confluent_kafka.libs"):
        shutil.copytree(venv_site / folder, site / folder)
    (site / "outside.so.3").symlink_to(_openssl_files()[1])  # a link out of the image: never followed
    _, report = check_json(child_env(), "--root", str(root))
    jsonschema.validate(report, SCHEMA)
    consumers = {s["consumer"]: s for s in report["stacks"]}
    assert consumers["libpq"]["path"].startswith("/usr/lib/python3/dist-packages/psycopg2_binary.libs/libcrypto")
    assert consumers["librdkafka"]["implementation"] == "OpenSSL"
    assert consumers["python-ssl"]["reads_default_paths"] is True
    assert not any("outside" in s["path"] for s in report["stacks"])
    assert not (tmp_path / "was-run").exists()


def test_the_images_env_chooses_its_python_and_is_judged(tmp_path: Path) -> None:
    """--image-config: a Dockerfile's ENV PATH puts the venv first, and its CA variable is judged in the image."""
    if _original_openssldir() != "/usr/lib/ssl":
        pytest.skip("the image is laid out for Debian's OPENSSLDIR")
    root = _image(tmp_path, bundle=True)
    _venv(root)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        'FROM debian:bookworm\nENV PATH="/opt/venv/bin:$PATH" REQUESTS_CA_BUNDLE=/etc/ssl/certs/corp.pem\n'
    )
    _status, report = check_json(child_env(), "--root", str(root), "--image-config", str(dockerfile))
    jsonschema.validate(report, SCHEMA)
    assert report["subject"]["executable"] == "/opt/venv/bin/python"
    invalid = next(f for f in report["findings"] if f["code"] == "env-path-invalid")
    assert invalid["evidence"]["variable"] == "REQUESTS_CA_BUNDLE"
    for fix in report["fixes"]:  # an image's fixes: its Dockerfile's lines, never the host's shell
        assert not {"shell", "systemd"} & set(fix["lines"]), fix
    alone = run_cadoctor(["check", "--image-config", str(dockerfile)], child_env())
    assert (alone.returncode, alone.stderr.count("\n")) == (2, 1)
    garbage = run_cadoctor(["check", "--root", str(root), "--image-config", "/etc/hostname"], child_env())
    assert (garbage.returncode, garbage.stderr.count("\n")) == (2, 1)
    assert not (tmp_path / "was-run").exists()
