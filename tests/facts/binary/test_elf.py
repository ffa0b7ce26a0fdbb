"""The ELF reader on real binaries of this machine and on damaged copies of them."""

from __future__ import annotations

import contextlib
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.environment import child_env
from helpers.openssl import ForeignOpenSSL

from cadoctor._facts.binary.elf import ElfError, data_spans, read_elf
from cadoctor._facts.binary.openssl_build import openssl_strings
from cadoctor._facts.child.build_strings import read_build_strings
from cadoctor._model.inspection import ElfFacts


def _read(path: str | Path) -> ElfFacts:
    """The ELF facts of a file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return read_elf(fd)
    finally:
        os.close(fd)


def test_a_shared_libcrypto_names_itself(foreign_openssl: ForeignOpenSSL) -> None:
    """libcrypto carries its soname and needs libc, read through the program headers alone."""
    facts = _read(foreign_openssl.libcrypto)
    assert facts.soname == foreign_openssl.libcrypto.name
    assert facts.kind == "shared object"
    assert any(name.startswith("libc.so") for name in facts.needed)


def test_the_ssl_module_needs_libssl_and_libcrypto() -> None:
    """The _ssl extension of this interpreter needs libssl and libcrypto by soname."""
    import _ssl

    module = getattr(_ssl, "__file__", None)
    if module is None:
        pytest.skip("_ssl is built into this interpreter")
    needed = _read(module).needed
    assert any(n.startswith("libssl.so") for n in needed)
    assert any(n.startswith("libcrypto.so") for n in needed)


def test_an_executable_names_its_loader() -> None:
    """A dynamically linked executable asks for a loader and is not static."""
    facts = _read(os.path.realpath(sys.executable))
    assert (facts.interpreter or "").startswith("/lib")
    assert facts.static is False
    assert facts.kind in ("executable", "position-independent executable")


@pytest.mark.parametrize("keep", [4, 20, 63, 200, 2000])
def test_a_truncated_copy_is_an_error_not_a_guess(foreign_openssl: ForeignOpenSSL, tmp_path: Path, keep: int) -> None:
    """A libcrypto cut short anywhere in its headers raises ElfError that says so."""
    cut = tmp_path / "cut.so"
    cut.write_bytes(foreign_openssl.libcrypto.read_bytes()[:keep])
    with pytest.raises(ElfError, match=r"truncated|damaged|not an ELF"):
        _read(cut)


def test_a_copy_cut_before_its_dynamic_segment_is_refused(foreign_openssl: ForeignOpenSSL, tmp_path: Path) -> None:
    """Headers intact but the dynamic segment cut off: the reader says so rather than inventing names."""
    whole = foreign_openssl.libcrypto.read_bytes()
    cut = tmp_path / "half.so"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ElfError, match="truncated ELF: the dynamic segment"):
        _read(cut)


def test_text_is_not_elf(tmp_path: Path) -> None:
    """A text file is refused as not ELF."""
    text = tmp_path / "notes.txt"
    text.write_text("#!/bin/sh\necho hello\n" * 10)
    with pytest.raises(ElfError, match="not an ELF"):
        _read(text)


def test_the_shell_is_read_like_any_program() -> None:
    """/bin/sh, whatever its libc: the loader it names and the libraries it needs are what a running sh maps."""
    shell = shutil.which("sh")
    assert shell is not None
    program = os.path.realpath(shell)
    facts = _read(program)
    # `; :` keeps the shell from exec'ing cat, so /proc/$$ stays the shell's own
    maps = subprocess.run(
        [program, "-c", "cat /proc/$$/maps; :"], env=child_env(), capture_output=True, text=True, timeout=60, check=True
    ).stdout
    mapped = {line.split()[-1] for line in maps.splitlines() if line.split()[-1].startswith("/")} - {program}
    assert facts.interpreter is not None
    loader = os.path.realpath(facts.interpreter)
    assert loader in mapped
    sonames = set()
    for path in mapped - {loader}:
        with contextlib.suppress(ElfError, OSError):  # locale files and the like are mapped too
            sonames.add(_read(path).soname)
    assert set(facts.needed) == sonames
    assert (facts.static, facts.soname, facts.bits) == (False, None, struct.calcsize("P") * 8)
    assert facts.kind in ("executable", "position-independent executable")


def test_build_strings_are_searched_only_where_constants_live(foreign_openssl: ForeignOpenSSL) -> None:
    """A libcrypto's data segments, a part of the file, hold every build string a whole-file search finds."""
    spans = data_spans(str(foreign_openssl.libcrypto))
    assert spans is not None
    assert sum(length for _, length in spans) < foreign_openssl.libcrypto.stat().st_size
    whole = read_build_strings(str(foreign_openssl.libcrypto))
    assert whole["openssldir"] == foreign_openssl.openssldir
    assert openssl_strings(str(foreign_openssl.libcrypto)) == whole


def test_a_large_program_gives_the_same_strings_from_its_data() -> None:
    """The biggest program here with OpenSSL linked in (node) reads the same from its data segments as whole."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node on this machine")
    whole = read_build_strings(os.path.realpath(node))
    if not whole["openssldir"]:
        pytest.skip("this node links OpenSSL dynamically")
    assert openssl_strings(os.path.realpath(node)) == whole


@pytest.mark.parametrize("keep", [0, 20, 2000])
def test_a_file_whose_segments_cannot_be_read_is_searched_whole(
    foreign_openssl: ForeignOpenSSL, tmp_path: Path, keep: int
) -> None:
    """Cut headers give no spans, and the search falls back to every byte of the file."""
    whole = foreign_openssl.libcrypto.read_bytes()
    at = whole.find(b"OPENSSLDIR: ")
    cut = tmp_path / "cut.so"
    cut.write_bytes(b"\0" * keep + whole[at - 4096 : at + 4096])
    assert data_spans(str(cut)) is None
    assert openssl_strings(str(cut))["openssldir"] == foreign_openssl.openssldir
