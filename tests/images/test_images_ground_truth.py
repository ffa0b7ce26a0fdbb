"""Debian images built from Debian's packages: what the image's own python3 verifies, measured in a chroot.

Each test takes a fresh copy of a cached debootstrap base (tests/helpers/images.py), changes it as a user would,
and asks the module's loopback server (a leaf from the module's private root) through the image's own Python.
These are the ground truth that `check --root` is held against.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import images
from helpers.pki import GeneratedCA

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Debian images run in a Linux chroot"),
    pytest.mark.slow,
    pytest.mark.index,
    pytest.mark.field,
    pytest.mark.root("debootstrap, chroot and a private mount namespace inside a Debian image"),
]

PYPI_CACERT = "/usr/local/lib/python3.11/dist-packages/certifi/cacert.pem"
VENV_CACERT = "/opt/venv/lib/python3.11/site-packages/certifi/cacert.pem"


def _outcome(image: Path, port: int, client: str = "urllib", python: str = "/usr/bin/python3") -> str:
    """The verdict with its evidence, so that a failed assertion says why the client decided as it did."""
    seen = images.image_observe(image, port, images.image_env(), python, client)
    return "%s (%s)" % (seen.code, seen.evidence)


def test_image_without_ca_certificates_has_an_empty_store_until_apt_installs_it(image_copies: Path, port: int) -> None:
    """An image without ca-certificates loads no root, and apt-get installing it from the mirror fills the store."""
    image = images.without_ca_certificates(image_copies)
    certs = image / "etc" / "ssl" / "certs"
    assert not certs.is_dir() or not any(certs.iterdir())
    assert images.store_count(image) == 0
    assert _outcome(image, port).startswith("N ")

    images.apt_get(image, "install", "-y", "-q", "--no-install-recommends", "ca-certificates")

    assert images.store_count(image) > 100
    assert (image / "etc" / "ssl" / "certs" / "ca-certificates.crt").is_file()


def test_anchor_waiting_for_update_ca_certificates_is_not_trusted_until_it_runs(
    image_copies: Path, ca: GeneratedCA, port: int
) -> None:
    """A root added to /usr/local/share/ca-certificates is not trusted until update-ca-certificates runs."""
    image = images.anchor_waiting(image_copies, ca.bundle)
    assert (image / images.LOCAL_ANCHOR).read_bytes() == ca.bundle.read_bytes()
    assert _outcome(image, port).startswith("N ")

    output = images.run_ok(image, ["update-ca-certificates"])

    assert "1 added" in output
    assert _outcome(image, port).startswith("Y ")


def test_debian_requests_follows_the_image_store(image_copies: Path, ca: GeneratedCA, port: int) -> None:
    """Debian's requests verifies with the system bundle (its certifi's `where()`), so a root added there counts."""
    image = images.debian_requests(image_copies)
    assert images.image_python_output(image, images.CERTIFI_WHERE) == images.SYSTEM_BUNDLE
    assert _outcome(image, port, "requests").startswith("N ")

    images.trust_root(image, ca.bundle)

    assert _outcome(image, port, "requests").startswith("Y ")
    assert _outcome(image, port, "urllib").startswith("Y ")


def test_pypi_certifi_in_usr_local_shadows_debian_certifi_for_requests(
    image_copies: Path, ca: GeneratedCA, port: int
) -> None:
    """PyPI's certifi in /usr/local/lib/python3.11/dist-packages takes Debian's requests off the image's store."""
    image = images.pypi_certifi_shadowing(image_copies)
    assert images.image_python_output(image, images.CERTIFI_WHERE) == PYPI_CACERT

    images.trust_root(image, ca.bundle)

    assert _outcome(image, port, "urllib").startswith("Y ")
    assert _outcome(image, port, "requests").startswith("N ")


def test_app_venv_requests_uses_its_certifi_and_not_the_image_store(
    image_copies: Path, ca: GeneratedCA, port: int
) -> None:
    """In a venv made by the image's python3, requests trusts its certifi: the image's store does not count."""
    image = images.app_venv(image_copies)
    python = images.APP_VENV + "/bin/python"
    assert images.image_python_output(image, images.CERTIFI_WHERE, python) == VENV_CACERT

    images.trust_root(image, ca.bundle)

    assert _outcome(image, port, "requests", python).startswith("N ")
    assert _outcome(image, port, "urllib", python).startswith("Y ")
