"""`cadoctor check --root` on real Debian images: the right cause, and a first fix that works applied to a copy.

Each image is a fresh copy of a cached debootstrap base (tests/helpers/images.py), set up as the field has it: no
ca-certificates, a root waiting in the anchor folder, Debian's requests, a PyPI certifi shadowing Debian's, an app
in a venv. cadoctor reads the copy from outside (nothing in it is run); its first fix is then applied as the
image's build would apply it (the command inside the image, the `ENV` to the process), and the image's own Python
measures the result against the loopback server whose root is the module's private one.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import images
from helpers.environment import child_env
from helpers.pki import GeneratedCA
from helpers.runs import check_json, validate

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Debian images run in a Linux chroot"),
    pytest.mark.slow,
    pytest.mark.index,
    pytest.mark.field,
    pytest.mark.root("debootstrap, chroot and a private mount namespace inside a Debian image"),
]


def _checked(image: Path, *extra: str) -> dict[str, Any]:
    """`check --root IMAGE` as JSON, validated; every fix written for the image, none for this host."""
    _status, report = check_json(child_env(), "--root", str(image), *extra)
    validate(report, "report-v1.json")
    for fix in report["fixes"]:
        assert not {"shell", "systemd"} & set(fix["lines"]), fix["lines"]
        if fix["kind"] != "code":  # code is the same wherever it runs
            assert fix["summary"].startswith(("In the image at %s: " % image, "In the image at %s, for " % image))
            assert "dockerfile" in fix["lines"], fix
    return report


def _first(report: dict[str, Any]) -> dict[str, Any]:
    """The fix the report puts first."""
    assert report["fixes"], report["findings"]
    first: dict[str, Any] = report["fixes"][0]
    return first


def _applied_command(image: Path, fix: dict[str, Any]) -> str:
    """A command fix run as the image's build runs it (its `RUN` line), with the network a build has."""
    assert (fix["kind"], fix["root"]) == ("command", str(image))
    assert fix["lines"]["dockerfile"] == "RUN " + fix["command"]
    shutil.copyfile("/etc/resolv.conf", image / "etc" / "resolv.conf")  # what docker build gives a RUN
    done = images.run_in_image(image, ["/bin/sh", "-c", fix["command"]], images.image_env(), timeout=images.APT_TIMEOUT)
    if done.returncode != 0 and any(text in done.stdout + done.stderr for text in images.APT_UNREACHABLE):
        pytest.skip("the Debian mirror is not reachable from the image: %s" % done.stderr.strip()[-200:])
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _env_of(fix: dict[str, Any]) -> dict[str, str]:
    """An env fix as the image's `ENV` lines set it for its programs."""
    assert fix["kind"] == "env", fix
    assert all(value is not None for value in fix["env"].values()), fix["env"]
    return images.image_env(**fix["env"])


def test_an_image_without_ca_certificates_gets_the_package_installed_by_its_build(image_copies: Path) -> None:
    """trust-store-empty first; its fix, run as the build's RUN line, fills the image's store."""
    image = images.without_ca_certificates(image_copies)
    report = _checked(image)
    assert report["findings"][0]["code"] == "trust-store-empty"
    fix = _first(report)
    assert "ca-certificates" in fix["command"]
    _applied_command(image, fix)
    assert images.store_count(image) > 100
    assert _checked(image)["findings"][0]["severity"] != "error"


def test_a_root_waiting_in_the_anchor_folder_is_reported_and_its_rebuild_works(
    image_copies: Path, ca: GeneratedCA, port: int
) -> None:
    """local-anchor-pending for the waiting root; update-ca-certificates run in the image makes urllib verify."""
    image = images.anchor_waiting(image_copies, ca.bundle)
    assert images.image_python_outcome(image, port, images.image_env()) == "N"
    report = _checked(image)
    finding = next(f for f in report["findings"] if f["code"] == "local-anchor-pending")
    assert finding["evidence"]["paths"] == ["/" + images.LOCAL_ANCHOR]
    fix = _first(report)
    assert "local-anchor-pending" in fix["addresses"]
    _applied_command(image, fix)
    assert images.image_python_outcome(image, port, images.image_env()) == "Y"
    assert not any(f["code"] == "local-anchor-pending" for f in _checked(image)["findings"])


def test_debian_requests_is_seen_with_the_store_its_certifi_names(
    image_copies: Path, ca: GeneratedCA, port: int
) -> None:
    """Debian's python3-requests (egg-info) is a client, trusting the system bundle Debian's certifi returns."""
    image = images.debian_requests(image_copies)
    images.trust_root(image, ca.bundle)
    assert images.image_python_outcome(image, port, images.image_env(), client="requests") == "Y"
    report = _checked(image)
    requests = next(c for c in report["clients"] if c["name"] == "requests")
    assert requests["trust"]["path"] == images.SYSTEM_BUNDLE
    assert not any(f["severity"] in ("error", "warning") and "requests" in f["summary"] for f in report["findings"])


def test_a_pypi_certifi_shadowing_debians_names_requests_and_its_env_fix_works(
    image_copies: Path, ca: GeneratedCA, port: int
) -> None:
    """client-lacks-local-roots names requests (on PyPI's cacert.pem); the ENV fix makes the image's requests verify."""
    image = images.pypi_certifi_shadowing(image_copies)
    images.trust_root(image, ca.bundle)
    assert images.image_python_outcome(image, port, images.image_env(), client="requests") == "N"
    report = _checked(image)
    lacking = next(f for f in report["findings"] if f["code"] == "client-lacks-local-roots")
    assert "requests" in lacking["summary"]
    fix = next(f for f in report["fixes"] if f["kind"] == "env" and "requests" in (f["clients"] or []))
    assert images.image_python_outcome(image, port, _env_of(fix), client="requests") == "Y"


def test_an_app_venv_is_examined_through_the_images_env(image_copies: Path, ca: GeneratedCA, port: int) -> None:
    """The Dockerfile's ENV PATH puts the venv first: its requests (its own certifi) is named, and fixed by ENV."""
    image = images.app_venv(image_copies)
    images.trust_root(image, ca.bundle)
    python = images.APP_VENV + "/bin/python"
    assert images.image_python_outcome(image, port, images.image_env(), python, "requests") == "N"
    dockerfile = image_copies / "Dockerfile"
    dockerfile.write_text('FROM debian:bookworm\nENV PATH="%s/bin:$PATH"\n' % images.APP_VENV)
    # the image alone: its venv is examined with it, and the venv's findings and fixes carry its path
    plain = _checked(image)
    other = next(f for f in plain["findings"] if f["code"] == "image-other-pythons")
    assert python in other["evidence"]["examined"]
    named = [
        f for f in plain["findings"] if f["code"] == "client-lacks-local-roots" and f["summary"].startswith(python)
    ]
    assert "requests" in named[0]["summary"]
    fix = next(f for f in plain["fixes"] if f["kind"] == "env" and ("for %s: " % python) in f["summary"])
    assert images.image_python_outcome(image, port, _env_of(fix), python, "requests") == "Y"
    # the image's ENV PATH names the venv: it alone is examined, as its programs run
    report = _checked(image, "--image-config", str(dockerfile))
    assert report["subject"]["executable"].startswith(images.APP_VENV + "/bin/python")
    lacking = next(f for f in report["findings"] if f["code"] == "client-lacks-local-roots")
    assert "requests" in lacking["summary"]
    fix = next(f for f in report["fixes"] if f["kind"] == "env" and "requests" in (f["clients"] or []))
    assert images.image_python_outcome(image, port, _env_of(fix), python, "requests") == "Y"
