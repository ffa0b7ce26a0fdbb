"""`check --root` on an image's anchor folder: the same rules from files alone, fixes written for the image."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import trustme
from helpers.environment import child_env as clean_env
from helpers.os_store import system_bundle_or_skip
from helpers.runs import check_json, run_cadoctor, validate

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="images are laid out from Linux files")
LOCAL = "/usr/local/share/ca-certificates"
TOOL = Path("/usr/sbin/update-ca-certificates")


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


def _image(top: Path, *, tool: bool) -> Path:
    """A Debian-like image: a Python that marks any run, its OpenSSL, its store, and (with `tool`) Debian's script."""
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
    shutil.copyfile(crypto, libs / crypto.name)
    shutil.copyfile(libssl, libs / libssl.name)
    (root / "etc/ssl/certs").mkdir(parents=True)
    (root / "etc/os-release").write_text('ID=debian\nNAME="Debian GNU/Linux"\n')
    shutil.copyfile(system_bundle_or_skip(), root / "etc/ssl/certs/ca-certificates.crt")
    if tool:
        if not TOOL.is_file():
            pytest.skip("Debian's update-ca-certificates is needed to lay out the image's tool")
        (root / "usr/sbin").mkdir(parents=True)
        shutil.copyfile(TOOL, root / "usr/sbin/update-ca-certificates")
    (root / LOCAL.lstrip("/")).mkdir(parents=True)
    return root


def test_an_images_anchors_are_judged_and_fixed_in_the_image_never_run(tmp_path: Path) -> None:
    """A `.pem` the tool never takes and a `.crt` never added: both found, each fix written for the image, untried."""
    root = _image(tmp_path, tool=True)
    trustme.CA().cert_pem.write_to_path(str(root / LOCAL.lstrip("/") / "corp.pem"))
    trustme.CA().cert_pem.write_to_path(str(root / LOCAL.lstrip("/") / "waiting.crt"))
    _, report = check_json(clean_env(), "--root", str(root))
    validate(report, "report-v1.json")
    assert not (tmp_path / "was-run").exists()
    [tool] = report["anchor_tools"]
    assert (tool["name"], tool["program"]) == ("debian", "/usr/sbin/update-ca-certificates")  # the image's own
    found = {f["code"]: f for f in report["findings"] if f["code"].startswith("local-anchor-")}
    assert set(found) == {"local-anchor-pending", "local-anchor-ignored"}
    assert found["local-anchor-pending"]["evidence"]["paths"] == [LOCAL + "/waiting.crt"]
    assert found["local-anchor-ignored"]["evidence"]["reasons"] == ["name"]
    mine = [f for f in report["fixes"] if any(a.startswith("local-anchor-") for a in f["addresses"])]
    assert len(mine) == 2
    for fix in mine:
        assert (fix["kind"], fix["verified"], fix["root"]) == ("command", None, str(root))
        assert set(fix["lines"]) == {"dockerfile", "chroot"}  # never a host shell line
        assert fix["lines"]["dockerfile"] == "RUN " + fix["command"]
        assert fix["summary"].startswith("In the image at %s: " % root)
    rename = next(f for f in mine if "local-anchor-ignored" in f["addresses"])
    assert rename["command"] == "mv -- '%s/corp.pem' '%s/corp.crt' && update-ca-certificates" % (LOCAL, LOCAL)


def test_an_image_without_the_tool_installs_it_first(tmp_path: Path) -> None:
    """A final stage with the root copied in but no update-ca-certificates: its package, then the run, in the image."""
    root = _image(tmp_path, tool=False)
    trustme.CA().cert_pem.write_to_path(str(root / LOCAL.lstrip("/") / "corp.crt"))
    _, report = check_json(clean_env(), "--root", str(root))
    [finding] = [f for f in report["findings"] if f["code"] == "local-anchor-pending"]
    assert "not installed in the image" in finding["summary"]
    [fix] = [f for f in report["fixes"] if "local-anchor-pending" in f["addresses"]]
    assert fix["lines"]["dockerfile"] == "RUN apt-get install ca-certificates && update-ca-certificates"


def test_the_human_report_shows_the_images_forms(tmp_path: Path) -> None:
    """The human report prints the RUN and chroot forms under the fix, and no host command."""
    root = _image(tmp_path, tool=True)
    trustme.CA().cert_pem.write_to_path(str(root / LOCAL.lstrip("/") / "corp.pem"))
    done = run_cadoctor(["check", "--root", str(root)], clean_env(NO_COLOR="1"))
    assert "Traceback" not in done.stderr
    fixes = done.stdout.split("Fixes, what worked first")[1]
    blocks = [b.split("evidence:")[0] for b in fixes.split("In the image at %s: " % root)[1:]]
    block = next(b for b in blocks if "corp.pem" in b)  # the anchor's fix (every fix of an image says where it acts)
    assert "dockerfile:" in block
    assert "chroot:" in block
    assert "shell:" not in block
