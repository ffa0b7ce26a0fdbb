"""The loader cache, parsed from /etc/ld.so.cache without running a tool: as ldconfig lists it, and safe on junk."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess

import pytest

from cadoctor._facts.binary.loader import loader_cache, parse_loader_cache

_LINE = re.compile(r"^\s*(\S+) \(([^)]*)\) => (\S.*)$")
_ABI = {"x86_64": "x86-64", "aarch64": "AArch64"}
_HEADER = b"glibc-ld.so.cache1.1"


def test_the_cache_parsed_here_is_what_ldconfig_lists() -> None:
    """Every soname and path of this machine's ABI, exactly as `ldconfig -p` prints them."""
    tool = shutil.which("ldconfig") or next(
        (p for p in ("/sbin/ldconfig", "/usr/sbin/ldconfig") if os.path.exists(p)), None
    )
    abi = _ABI.get(os.uname().machine)
    if tool is None or abi is None or not os.path.isfile("/etc/ld.so.cache"):
        pytest.skip("needs glibc's ldconfig and /etc/ld.so.cache on x86-64 or AArch64")
    listing = subprocess.run([tool, "-p"], capture_output=True, text=True, check=True, env={"LC_ALL": "C"}).stdout
    expected: dict[str, str] = {}
    for line in listing.splitlines():
        match = _LINE.match(line)
        if match and abi in match.group(2):
            expected.setdefault(match.group(1), match.group(3))
    assert expected
    assert loader_cache() == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage" * 100,
        b"glibc-ld.so.cache1.1",  # the magic and nothing after it
        b"glibc-ld.so.cache1.1" + struct.pack("=II", 0xFFFFFFFF, 0) + b"\0" * 24,  # a count far past the end
        b"glibc-ld.so.cache1.1"
        + struct.pack("=II", 1, 0)
        + b"\0" * 24
        + struct.pack("=iIIIQ", 0x303, 10**9, 10**9, 0, 0),
    ],
    ids=["empty", "garbage", "magic-only", "huge-count", "offsets-outside"],
)
def test_a_damaged_cache_gives_nothing_not_a_crash(data: bytes) -> None:
    """Empty, garbage, truncated or lying caches: no entries, no exception, no unbounded loop."""
    assert parse_loader_cache(data, "x86_64") == {}
