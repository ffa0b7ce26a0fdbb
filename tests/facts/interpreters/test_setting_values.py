"""Configuration files' CA settings as facts: a key set empty is kept, an image's looping link is no traceback."""

from __future__ import annotations

import os
from pathlib import Path

from cadoctor._facts.fs.fileroot import FileRoot
from cadoctor._facts.interpreters.distributions import client_settings


def test_a_key_set_empty_is_kept_as_an_empty_value(tmp_path: Path) -> None:
    """`ca_bundle =` and `cert =`: recorded with '' (botocore refuses it, pip ignores it: the rules say which)."""
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text("[default]\nregion = eu-west-1\nca_bundle =\n")
    (tmp_path / "pip.conf").write_text("[global]\ncert =\n")
    settings = client_settings({"HOME": str(tmp_path), "PIP_CONFIG_FILE": str(tmp_path / "pip.conf")}, "")
    assert {(s.client, s.key, s.value) for s in settings} == {("botocore", "ca_bundle", ""), ("pip", "cert", "")}


def test_the_active_aws_profile_decides_and_absent_keys_are_not_settings(tmp_path: Path) -> None:
    """AWS_PROFILE (else AWS_DEFAULT_PROFILE) picks the section; a profile without ca_bundle sets nothing."""
    (tmp_path / "config").write_text("[default]\nca_bundle = /a.pem\n[profile work]\nca_bundle = /b.pem\n[profile x]\n")
    environ = {"AWS_CONFIG_FILE": str(tmp_path / "config"), "PIP_CONFIG_FILE": os.devnull}
    values = [
        [s.value for s in client_settings({**environ, **extra}, "")]
        for extra in ({}, {"AWS_PROFILE": "work"}, {"AWS_DEFAULT_PROFILE": "work"}, {"AWS_PROFILE": "x"})
    ]
    assert values == [["/a.pem"], ["/b.pem"], ["/b.pem"], []]


def test_an_images_looping_or_blocking_config_file_gives_no_setting(tmp_path: Path) -> None:
    """In an image, ~/.aws/config as a link loop and pip.conf as a FIFO: no setting, no traceback, no hang."""
    root = tmp_path / "image"
    (root / "root/.aws").mkdir(parents=True)
    (root / "root/.aws/config").symlink_to("/root/.aws/config")  # loops inside the image
    (root / "etc").mkdir()
    os.mkfifo(root / "etc/pip.conf")
    assert client_settings({"HOME": "/root"}, "/usr", FileRoot(str(root))) == ()
