"""Configuration settings' values as candidate stores, like variables' values: folders, relative paths, empty ones."""

from __future__ import annotations

import shutil
from pathlib import Path

from cryptography import x509
from helpers import records
from helpers.pki import make_ca

from cadoctor._facts.certs.stores import candidate_paths, inventory
from cadoctor._model import Setting


def test_the_folder_a_setting_names_is_read_in_full_when_a_host_needs_its_root(tmp_path: Path) -> None:
    """pip.conf's cert naming an unhashed folder that holds the root: read whole, so it is found holding the root."""
    ca = make_ca(tmp_path / "ca", "cadoctor Setting Candidates Root")
    folder = tmp_path / "ca_certs"
    folder.mkdir()
    shutil.copy(ca.bundle, folder / "corp-root.pem")  # no <hash>.0 link: OpenSSL's lookup finds nothing there
    setting = Setting("pip", "cert", str(folder), str(tmp_path / "pip.conf"), "global")
    root_name = x509.load_pem_x509_certificate(ca.bundle.read_bytes()).subject.public_bytes()
    found = inventory(records.runtime(), settings=(setting,), names=frozenset({root_name}))
    (bundle,) = [b for b in found if b.path == str(folder)]
    assert bundle.roles == ("setting:pip cert",)
    assert (bundle.kind, bundle.parsed, bundle.unlinked, bundle.hash_links) == ("directory", True, 1, 0)
    assert len(bundle.identities) == 1


def test_a_relative_value_is_resolved_against_the_working_directory_and_an_empty_one_names_nothing() -> None:
    """ca_bundle = certs/corp.pem from /srv/app is /srv/app/certs/corp.pem too; `cert =` adds no candidate."""
    settings = (
        Setting("botocore", "ca_bundle", "certs/corp.pem", "/home/u/.aws/config", "default"),
        Setting("pip", "cert", "", "/etc/pip.conf", "global"),
    )
    roles = candidate_paths(records.runtime(cwd="/srv/app"), settings=settings)
    assert roles["certs/corp.pem"] == roles["/srv/app/certs/corp.pem"] == ["setting:botocore ca_bundle"]
    assert not [path for path, named in roles.items() if "setting:pip cert" in named]
