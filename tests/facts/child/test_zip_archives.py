"""A zip archive on sys.path is read as zipimport imports from it: its packages, their metadata, their resolvers.

PySpark's `addPyFile`, an `.egg`, a frozen app's `library.zip`: what they hold comes before the folders after
them on the path. Each answer here is checked against a child interpreter that really imports from the archive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from cadoctor._facts.child.distributions import installed
from cadoctor._facts.child.files import Files
from cadoctor._facts.child.interpreter import site_folders
from cadoctor._facts.child.resolvers import FILE, Resolvers

CHILD_TIMEOUT = 60
# certifi 2018.4.16's core.py as it shipped: where() is the module's folder joined with cacert.pem (no extraction)
OLD_CORE = """
import os


def where():
    f = os.path.dirname(__file__)

    return os.path.join(f, 'cacert.pem')
"""
METADATA = "Metadata-Version: 2.1\nName: certifi\nVersion: 2018.4.16\n\n"


def _archive(path: Path, members: dict[str, str]) -> Path:
    """A zip archive holding these members (text), as a freezer or `addPyFile` ships one."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as stream:
        for name, text in members.items():
            stream.writestr(name, textwrap.dedent(text))
    return path


def _old_certifi(path: Path) -> Path:
    """certifi 2018 (its where(), its cacert.pem, its metadata) in a zip archive."""
    return _archive(
        path,
        {
            "certifi/__init__.py": "from .core import where\n",
            "certifi/core.py": OLD_CORE,
            "certifi/cacert.pem": "-----BEGIN CERTIFICATE-----\n",
            "certifi-2018.4.16.dist-info/METADATA": METADATA,
        },
    )


def _imported_where(archive: Path) -> str:
    """What certifi.where() returns when a child really imports certifi from the archive (`-S`: nothing else)."""
    done = subprocess.run(
        [sys.executable, "-S", "-c", "import certifi; print(certifi.where())"],
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(archive)},
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=True,
    )
    return done.stdout.strip()


def test_an_archives_folders_are_listed_and_its_members_read(tmp_path: Path) -> None:
    """listing and read see into the archive; is_file and is_dir answer as the operating system does."""
    archive = _old_certifi(tmp_path / "deps.zip")
    files = Files()
    assert files.listing(str(archive)) == {"certifi", "certifi-2018.4.16.dist-info"}
    assert files.listing(str(archive / "certifi")) == {"__init__.py", "core.py", "cacert.pem"}
    assert files.read(str(archive / "certifi" / "__init__.py"), 1000) == b"from .core import where\n"
    assert files.read(str(archive / "certifi" / "core.py"), 10) == OLD_CORE.encode()[:10]  # bounded
    assert files.is_folder(str(archive / "certifi"))
    assert not files.is_dir(str(archive / "certifi"))
    assert not files.is_file(str(archive / "certifi" / "cacert.pem"))  # os.path.isfile says no, so does OpenSSL
    with pytest.raises(OSError, match="Not a directory"):
        files.read(str(archive / "certifi" / "absent.py"), 10)


def test_a_zipped_certifis_where_names_a_path_inside_the_archive_as_importing_it_does(tmp_path: Path) -> None:
    """The resolver read from the archive gives what certifi.where() really returns: a path no one can open."""
    archive = _old_certifi(tmp_path / "deps.zip")
    folders = [str(archive), *(p for p in sys.path if p and os.path.isdir(p))]
    answer = Resolvers(folders, sys.version_info[:3]).certifi()
    assert (answer["kind"], answer["store"]) == (FILE, _imported_where(archive))
    assert answer["store"] == str(archive / "certifi" / "cacert.pem")
    assert answer["shipped"] is None  # not a real file: no copy of Mozilla's set to measure with


def test_an_archives_distributions_come_first_and_shadow_the_folders_after_it(tmp_path: Path) -> None:
    """Metadata inside the archive is found as importlib.metadata finds it, before a later folder's."""
    archive = _old_certifi(tmp_path / "deps.zip")
    site = tmp_path / "site"
    (site / "certifi-2026.10.19.dist-info").mkdir(parents=True)
    (site / "certifi-2026.10.19.dist-info" / "METADATA").write_text(METADATA.replace("2018.4.16", "2026.10.19"))
    found = installed([str(archive), str(site)], {"certifi"})
    (certifi,) = found["distributions"]
    assert (certifi["version"], certifi["location"], certifi["problem"]) == ("2018.4.16", str(archive), None)
    assert certifi["shadowed"] == [str(site / "certifi-2026.10.19.dist-info")]


def test_a_damaged_archive_lists_nothing_and_never_raises(tmp_path: Path) -> None:
    """A file on the path that is no zip archive (or a truncated one) holds nothing importable: an empty listing."""
    damaged = tmp_path / "deps.zip"
    damaged.write_bytes(_old_certifi(tmp_path / "good.zip").read_bytes()[:-30])
    files = Files()
    assert files.listing(str(damaged)) == frozenset()
    assert files.listing(str(damaged / "certifi")) == frozenset()
    with pytest.raises(OSError, match="Not a directory"):
        files.read(str(damaged / "certifi" / "core.py"), 100)


def test_the_probe_keeps_an_archive_on_sys_path_in_its_place(tmp_path: Path) -> None:
    """site_folders keeps a zip archive of sys.path where it is, before the folders that come after it."""
    archive = _old_certifi(tmp_path / "deps.zip")
    code = "import json; from cadoctor._facts.child.interpreter import site_folders; print(json.dumps(site_folders()))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(archive)},
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=True,
    )
    folders = json.loads(done.stdout)
    assert folders[0] == str(archive)
    assert str(archive) not in site_folders()  # this process has no archive on its path
