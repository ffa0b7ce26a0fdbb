"""`cadoctor inspect`: real files of this machine read without running them."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers.environment import child_env
from helpers.openssl import ForeignOpenSSL
from helpers.os_store import system_bundle_or_skip
from helpers.pki import pem_count
from helpers.runs import run_cadoctor


def _inspect(*args: str) -> tuple[int, dict[str, Any]]:
    """Run `cadoctor inspect --format json` and parse it."""
    result = run_cadoctor(["inspect", "--format", "json", *args], child_env())
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def test_a_shared_libcrypto_is_openssl_with_its_directories(foreign_openssl: ForeignOpenSSL) -> None:
    """The libcrypto copy names itself, its version and the OPENSSLDIR patched into it, which does not exist."""
    status, document = _inspect(str(foreign_openssl.libcrypto))
    (item,) = document["files"]
    assert (status, item["kind"], item["linkage"]) == (0, "binary", "is-openssl")
    assert item["elf"]["soname"] == foreign_openssl.libcrypto.name
    assert item["openssl"]["openssldir"] == foreign_openssl.openssldir
    assert item["openssl"]["openssldir_exists"] is False
    assert item["openssl"]["version"].startswith("OpenSSL ")


def test_a_program_with_openssl_linked_in_is_static() -> None:
    """Node carries its own OpenSSL: the executable itself holds OPENSSLDIR, and no libssl is needed."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node on this machine")
    status, document = _inspect(os.path.realpath(node))
    (item,) = document["files"]
    if item["linkage"] != "static":
        pytest.skip("this node links OpenSSL dynamically")
    assert status == 0
    assert item["openssl"]["openssldir"]
    assert not any(n.startswith(("libssl", "libcrypto")) for n in item["elf"]["needed"])


def test_a_program_gets_openssl_through_its_libraries() -> None:
    """curl needs libcurl, which needs libssl and libcrypto: the chain is followed as the loader would."""
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("no curl on this machine")
    status, document = _inspect(curl)
    (item,) = document["files"]
    assert (status, item["linkage"]) == (0, "dynamic")
    crypto = next(d for d in item["dependencies"] if d["soname"].startswith("libcrypto"))
    assert crypto["path"]
    assert crypto["openssl"]["openssldir"]


def test_a_python_gets_openssl_through_its_ssl_module() -> None:
    """A Python executable needs no OpenSSL itself: its _ssl module does, and inspect says so."""
    status, document = _inspect(os.path.realpath(sys.executable))
    (item,) = document["files"]
    assert (status, item["linkage"]) == (0, "dynamic")
    assert all(d["via"][0].startswith("_ssl") for d in item["dependencies"])


def test_bundles_and_directories_get_the_inventory_check_uses() -> None:
    """A CA file and a hashed directory are inventoried, with their certificate counts."""
    bundle = system_bundle_or_skip()
    status, document = _inspect(bundle, os.path.dirname(bundle))
    file_item, directory_item = document["files"]
    assert status == 0
    assert (file_item["kind"], directory_item["kind"]) == ("bundle", "directory")
    assert file_item["bundle"]["certificates"] == pem_count(bundle)
    links = [n for n in os.listdir(os.path.dirname(bundle)) if re.fullmatch(r"[0-9a-f]{8}\.[0-9]+", n)]
    assert directory_item["bundle"]["hash_links"] == len(links)


def test_a_file_that_is_neither_says_so_and_exits_1(tmp_path: Path) -> None:
    """A text file is neither a binary nor a bundle: named as such, exit 1."""
    text = tmp_path / "notes.txt"
    text.write_text("just words\n")
    status, document = _inspect(str(text))
    assert status == 1
    assert "neither a binary" in document["files"][0]["error"]


@pytest.mark.parametrize(
    ("files", "said"),
    [
        ({}, "an empty directory"),
        ({"README": b"words\n", "ca-bundle.crt": b""}, "a directory with no hash link and no single-certificate file"),
    ],
    ids=["empty", "no-certificate"],
)
def test_a_directory_holding_no_certificate_is_no_ca_directory_and_exits_1(
    tmp_path: Path, files: dict[str, bytes], said: str
) -> None:
    """A folder with no certificate file and no hash link is named for what it is, not a CA directory: exit 1."""
    folder = tmp_path / "certs"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    status, document = _inspect(str(folder))
    (item,) = document["files"]
    assert (status, item["kind"], item["readable"]) == (1, "other", True)
    assert item["error"].startswith(said + ": neither a binary nor a CA bundle or directory")
    text = run_cadoctor(["inspect", str(folder)], child_env())
    assert text.returncode == 1
    assert "CA directory:" not in text.stdout
    assert said in text.stdout


def test_a_folder_of_unlinked_certificates_is_still_a_ca_directory(tmp_path: Path) -> None:
    """Certificate files without hash links make a CA directory (an unhashed one), not `other`: exit 0."""
    folder = tmp_path / "certs"
    folder.mkdir()
    shutil.copyfile(system_bundle_or_skip(), folder / "bundle.pem")  # a bundle: not looked up by hash
    with open(system_bundle_or_skip(), encoding="ascii") as handle:
        first = handle.read().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    (folder / "one.pem").write_text(first)
    status, document = _inspect(str(folder))
    (item,) = document["files"]
    assert (status, item["kind"], item["bundle"]["unlinked"]) == (0, "directory", 1)


def test_a_truncated_elf_is_reported_damaged(foreign_openssl: ForeignOpenSSL, tmp_path: Path) -> None:
    """Half a libcrypto: the ELF damage is named, and whatever strings survive are still read."""
    whole = foreign_openssl.libcrypto.read_bytes()
    cut = tmp_path / "libcrypto.so.3"
    cut.write_bytes(whole[: len(whole) // 2])
    status, document = _inspect(str(cut))
    (item,) = document["files"]
    assert status == 1
    assert item["error"].startswith("truncated ELF")


def test_unreadable_paths_exit_3_and_the_rest_is_still_read(tmp_path: Path) -> None:
    """A missing path and a FIFO are listed as unreadable (exit 3); the readable path beside them is inspected."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    bundle = system_bundle_or_skip()
    started = time.monotonic()
    status, document = _inspect(str(tmp_path / "missing"), str(fifo), bundle)
    assert time.monotonic() - started < 60  # the FIFO was never opened for a blocking read
    missing, pipe, good = document["files"]
    assert status == 3
    assert (missing["readable"], missing["error"]) == (False, "does not exist")
    assert pipe["readable"] is False
    assert "fifo" in pipe["error"]
    assert good["bundle"]["certificates"] == pem_count(bundle)


def test_inspect_inside_a_root_follows_that_roots_links(tmp_path: Path) -> None:
    """With --root, an absolute link resolves inside the image: the host's file of that name is not read."""
    bundle = system_bundle_or_skip()
    root = tmp_path / "image"
    (root / "etc/ssl").mkdir(parents=True)
    (root / "etc/ssl/cert.pem").symlink_to(bundle)  # the image lacks its target
    status, document = _inspect("--root", str(root), "/etc/ssl/cert.pem")
    assert document["root"] == str(root)
    assert (status, document["files"][0]["error"]) == (3, "does not exist")
    result = run_cadoctor(["inspect", "--root", str(tmp_path / "nothing"), "/x"], child_env())
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1


def test_human_output_names_the_openssldir(foreign_openssl: ForeignOpenSSL) -> None:
    """The human form says what the file is and where its OPENSSLDIR points."""
    result = run_cadoctor(["inspect", str(foreign_openssl.libcrypto)], child_env())
    assert result.returncode == 0
    assert "OPENSSLDIR %s (missing here)" % foreign_openssl.openssldir in result.stdout


def test_a_rhel_fips_build_string_gives_version_and_flavour(tmp_path: Path) -> None:
    """RHEL 8's 'OpenSSL 1.1.1k  FIPS 25 Mar 2021' (a recorded string) is read as the version, flavour OpenSSL."""
    library = tmp_path / "libcrypto.so.1.1"
    strings = b'OPENSSLDIR: "/etc/pki/tls"\0OpenSSL 1.1.1k  FIPS 25 Mar 2021\0ENGINESDIR: "/usr/lib64/engines-1.1"\0'
    library.write_bytes(b"\0" * 4096 + strings + b"\0" * 4096)
    _, document = _inspect(str(library))
    (item,) = document["files"]
    assert item["openssl"]["version"] == "OpenSSL 1.1.1k  FIPS 25 Mar 2021"
    assert item["openssl"]["flavour"] == "OpenSSL"
    assert item["openssl"]["openssldir"] == "/etc/pki/tls"
    human = run_cadoctor(["inspect", str(library)], child_env()).stdout
    assert "OpenSSL 1.1.1k  FIPS 25 Mar 2021" in human
    assert "None" not in human
    assert "n/a (n/a here)" not in human


def test_a_library_that_cannot_be_found_is_named_not_none(tmp_path: Path) -> None:
    """A program needing a library absent here: 'needs libX: not found' and linkage unknown, never 'no OpenSSL'."""
    program = tmp_path / "needs-missing"
    shutil.copy(sys.executable, program)
    # make its first needed library unfindable: patch the soname string in the copy (same length, a name no one has)
    data = bytearray(program.read_bytes())
    _, document = _inspect(str(program))
    (item,) = document["files"]
    needed = item["elf"]["needed"]
    if not needed:
        pytest.skip("this interpreter is linked statically")
    target = needed[0].encode()
    at = data.find(b"\0" + target + b"\0") + 1
    assert at > 0
    data[at : at + len(target)] = b"x" * len(target)
    program.write_bytes(bytes(data))
    _, document = _inspect(str(program))
    (item,) = document["files"]
    missing = [d for d in item["dependencies"] if d["path"] is None]
    assert missing, item
    human = run_cadoctor(["inspect", str(program)], child_env()).stdout
    assert "not found" in human
    assert "no OpenSSL in the file or its dependencies" not in human


def test_a_relative_path_is_the_working_folders(tmp_path: Path) -> None:
    """`cadoctor inspect bundle.pem ./certs` as typed in the folder holding them: read where the shell means,
    reported by the names given (the readers take absolute paths alone: read as given, they found nothing)."""
    bundle = system_bundle_or_skip()
    (tmp_path / "bundle.pem").write_bytes(Path(bundle).read_bytes())
    shutil.copytree(os.path.dirname(bundle), tmp_path / "certs", symlinks=True)
    done = run_cadoctor(["inspect", "--format", "json", "bundle.pem", "./certs"], child_env(), cwd=tmp_path)
    document = json.loads(done.stdout)
    file_item, directory_item = document["files"]
    assert done.returncode == 0, done.stderr
    assert (file_item["path"], file_item["kind"]) == ("bundle.pem", "bundle")
    assert file_item["bundle"]["certificates"] == pem_count(bundle)
    assert (directory_item["path"], directory_item["kind"]) == ("./certs", "directory")
    assert directory_item["bundle"]["hash_links"] > 0
