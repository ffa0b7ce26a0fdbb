"""Distributions found as importlib.metadata finds them: both metadata kinds, folders and files, the path's order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cadoctor._facts.child.distributions import installed, pth_folders
from cadoctor._facts.child.files import Files

CHILD_TIMEOUT = 60
# What importlib.metadata itself says on the same path: the first distribution of each name, its version and entry.
METADATA = """
import importlib.metadata as metadata, json, sys
sys.path[:0] = json.loads(sys.argv[1])
found = {}
for name in json.loads(sys.argv[2]):
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        continue
    found[name] = [dist.version, str(dist._path)]
print(json.dumps(found))
"""


def _metadata_says(folders: list[Path], names: list[str]) -> dict[str, list[str]]:
    """importlib.metadata's answer for these names on this path, from a child interpreter with nothing else on it."""
    done = subprocess.run(
        [sys.executable, "-S", "-c", METADATA, json.dumps([str(f) for f in folders]), json.dumps(names)],
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=True,
    )
    return dict(json.loads(done.stdout))


def _headers(name: str, version: str) -> str:
    """A METADATA / PKG-INFO text's headers."""
    return "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: a client\n\nIts description.\n" % (name, version)


def test_both_metadata_kinds_folders_and_files_are_read_for_name_and_version(tmp_path: Path) -> None:
    """.dist-info, .egg-info folders and single .egg-info files, versions from the metadata: as importlib.metadata."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "requests-2.28.1.egg-info").mkdir()
    (site / "requests-2.28.1.egg-info" / "PKG-INFO").write_text(_headers("requests", "2.28.1"))
    (site / "cryptography.egg-info").mkdir()  # Debian's: no version in the folder's name
    (site / "cryptography.egg-info" / "PKG-INFO").write_text(_headers("cryptography", "38.0.4"))
    (site / "pyasn1_modules-0.2.8.egg-info").write_text(_headers("pyasn1-modules", "0.2.8"))  # a single file
    (site / "httplib2-9.9.9.dist-info").mkdir()  # a folder name that says less than its METADATA
    (site / "httplib2-9.9.9.dist-info" / "METADATA").write_text(_headers("httplib2", "0.20.4"))
    names = ["cryptography", "httplib2", "pyasn1-modules", "requests"]
    found = installed([str(site)], names)["distributions"]
    truth = _metadata_says([site], names)
    assert {d["name"]: [d["version"], d["path"]] for d in found} == truth
    kinds = {d["name"]: d["metadata"] for d in found}
    assert kinds == {
        "cryptography": "egg-info",
        "httplib2": "dist-info",
        "pyasn1-modules": "egg-info file",
        "requests": "egg-info",
    }
    assert all(d["problem"] is None for d in found)


def test_the_first_on_the_path_is_the_one_and_the_later_are_shadowed(tmp_path: Path) -> None:
    """A PyPI certifi earlier on the path than the distribution's is the one; the later is listed as shadowed."""
    local, system = tmp_path / "local", tmp_path / "system"
    (local / "certifi-2026.1.1.dist-info").mkdir(parents=True)
    (local / "certifi-2026.1.1.dist-info" / "METADATA").write_text(_headers("certifi", "2026.1.1"))
    (system / "certifi-2022.9.24.egg-info").mkdir(parents=True)
    (system / "certifi-2022.9.24.egg-info" / "PKG-INFO").write_text(_headers("certifi", "2022.9.24"))
    found = installed([str(local), str(system)], ["certifi"])["distributions"]
    assert [[d["version"], d["path"]] for d in found] == list(_metadata_says([local, system], ["certifi"]).values())
    assert found[0]["shadowed"] == [str(system / "certifi-2022.9.24.egg-info")]
    again = installed([str(system), str(local)], ["certifi"])["distributions"]
    assert again[0]["version"] == "2022.9.24"


@pytest.mark.parametrize("damage", ["garbage", "empty", "huge", "fifo", "folder", "link loop", "no headers"])
def test_damaged_metadata_gives_a_problem_and_the_entry_name_serves(tmp_path: Path, damage: str) -> None:
    """Garbage, empty, 200 MB, FIFO, folder, looping link or header-less METADATA: found, with the problem said."""
    site = tmp_path / "site"
    entry = site / "requests-2.31.0.dist-info"
    entry.mkdir(parents=True)
    metadata = entry / "METADATA"
    if damage == "garbage":
        metadata.write_bytes(b"\xff\xfe\x00\x01" * 1000)
    elif damage == "empty":
        metadata.write_bytes(b"")
    elif damage == "huge":
        with metadata.open("wb") as handle:
            handle.truncate(200 << 20)  # sparse: never read whole
    elif damage == "fifo":
        os.mkfifo(metadata)
    elif damage == "folder":
        metadata.mkdir()
    elif damage == "link loop":
        metadata.symlink_to(metadata)
    else:
        metadata.write_text("Summary: nothing else\n")
    started = time.monotonic()
    found = installed([str(site)], ["requests"])["distributions"]
    assert time.monotonic() - started < 5
    assert [(d["name"], d["version"]) for d in found] == [("requests", "2.31.0")]
    assert found[0]["problem"]


def test_a_pth_injector_is_named_and_a_pth_folder_is_followed_without_running_them(tmp_path: Path) -> None:
    """An injector's `.pth` is named by what it imports; a path line adds its folder; a FIFO .pth never blocks."""
    site = tmp_path / "site"
    extra = tmp_path / "extra"
    extra.mkdir()
    site.mkdir()
    marker = tmp_path / "ran"
    (site / "pip_system_certs.pth").write_text("import pip_system_certs.bootstrap; open(%r, 'w')\n" % str(marker))
    (site / "extra.pth").write_text("# a comment\n%s\n../missing\n" % extra)
    os.mkfifo(site / "blocking.pth")
    found = installed([str(site)], ["pip-system-certs"])
    assert [i["name"] for i in found["injectors"]] == ["pip-system-certs"]
    assert pth_folders(Files(), str(site)) == [str(extra)]
    assert not marker.exists()
