"""Who uses each OpenSSL copy, from file names alone: the attribution the stack rules start from."""

from __future__ import annotations

import pytest

from cadoctor._facts.binary.stacks import never_tls, stacks_of
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
