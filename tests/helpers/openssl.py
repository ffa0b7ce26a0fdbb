"""A copy of this host's libcrypto and libssl whose compiled OPENSSLDIR does not exist: the motivating failure."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from cadoctor._facts.child import build_strings


@dataclass(frozen=True)
class ForeignOpenSSL:
    """A copy of the system libcrypto/libssl whose compiled OPENSSLDIR does not exist."""

    directory: Path
    openssldir: str
    original: str
    libcrypto: Path


def loaded_openssl() -> tuple[Path, Path]:
    """The libcrypto and libssl files this interpreter's ssl module uses."""
    mapped = [line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines() if "/" in line]
    crypto = next((Path(p) for p in mapped if Path(p).name.startswith("libcrypto.so")), None)
    libssl = next((Path(p) for p in mapped if Path(p).name.startswith("libssl.so")), None)
    if crypto is None or libssl is None:
        pytest.skip("this interpreter does not load a shared libcrypto/libssl")
    return crypto, libssl


def foreign_copy(directory: Path) -> ForeignOpenSSL:
    """Copy the libcrypto and libssl this interpreter loads into `directory`, their OPENSSLDIR made to not exist."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the libcrypto copy is built on Linux")
    crypto, libssl = loaded_openssl()
    original = build_strings.read_build_strings(str(crypto))["openssldir"]
    assert original, "the system libcrypto names its OPENSSLDIR"
    replacement = ("/cadoctor-missing-" + "x" * len(original))[: len(original)]
    assert not os.path.exists(replacement)
    for source in (crypto, libssl):
        data = source.read_bytes().replace(original.encode(), replacement.encode())
        (directory / source.name).write_bytes(data)
    return ForeignOpenSSL(directory, replacement, original, directory / crypto.name)


def map_files_readable() -> bool:
    """Whether this user may open /proc/PID/map_files entries (the bytes of deleted libraries): root, usually.

    The kernel asks for CAP_SYS_ADMIN (CAP_CHECKPOINT_RESTORE since 5.9) even for one's own processes, so
    another user reads a deleted library's OPENSSLDIR as unknown.
    """
    folder = "/proc/self/map_files"
    try:
        with open(os.path.join(folder, sorted(os.listdir(folder))[0]), "rb"):
            return True
    except (OSError, IndexError):
        return False
