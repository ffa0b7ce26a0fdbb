"""Collect the facts of this process's trust path: the runtime probe, the loader's choices, the disk's stores."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from cadoctor._facts.binary.loader import loader_cache
from cadoctor._facts.certs.stores import inventory, light_inventory, local_roots, mozilla_copy
from cadoctor._facts.child import probe
from cadoctor._facts.fs.fileroot import HOST, FileRoot
from cadoctor._facts.interpreters.distributions import client_settings, discover
from cadoctor._facts.interpreters.runtime import runtime_from_probe
from cadoctor._model import Facts, LoadedLibrary, Runtime, Subject, SystemLibrary
from cadoctor._record import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_OPENSSL_SONAME = re.compile(r"^lib(?:crypto|ssl)\.so[.\d]*$")


def system_libraries(known: Mapping[str, str | None] | None = None, root: FileRoot = HOST) -> tuple[SystemLibrary, ...]:
    """Ask the dynamic loader's cache (of `root`) which libcrypto/libssl it picks when nothing overrides it.

    `known` maps real paths of libraries already read to their OPENSSLDIR, so that no file is read twice.
    """
    found: list[SystemLibrary] = []
    read = dict(known or {})
    for soname, path in loader_cache(root).items():
        if not _OPENSSL_SONAME.match(soname):
            continue
        try:
            real = root.resolve(path)
        except OSError:
            continue
        if real not in read:
            from cadoctor._facts.binary.openssl_build import openssl_strings

            read[real] = openssl_strings(root.outer(real)).get("openssldir")
        openssldir = read[real]
        exists = root.exists(openssldir, directory=True) if openssldir and openssldir != "n/a" else None
        found.append(SystemLibrary(soname=soname, path=path, openssldir=openssldir, openssldir_exists=exists))
    return tuple(found)


def _imported_certifi() -> str | None:
    """Find certifi's bundle by importing it in this process: for a package layout the probe could not read."""
    try:
        import certifi
    except ImportError:
        return None
    return str(certifi.where())


def facts_from_probe(
    probe_facts: dict[str, Any], *, light: bool = False, local: bool = True, names: frozenset[bytes] | None = None
) -> Facts:
    """Complete the runtime probe's facts with the loader cache and the disk inventory (or a light one).

    `local` says the probe ran in this process, which may then import certifi to find an unusual layout.
    `names`: a failing host check's issuers: read in full only what the host needs (see `inventory`).
    """
    runtime, libraries = runtime_from_probe(probe_facts)
    if local and not light and runtime.certifi is None:
        runtime = replace(runtime, certifi=_imported_certifi())
    overridden = any(name in runtime.environment for name in ("LD_LIBRARY_PATH", "LD_PRELOAD"))
    # the loader's own choice of libcrypto: for the whole inventory, or when a variable overrides it
    wants_loader = runtime.system.startswith("linux") and (overridden or (not light and names is None))
    distributions, injectors = discover(runtime.site_folders)
    settings = client_settings(runtime.environment, runtime.prefix)
    if light:
        bundles = light_inventory(runtime)
    else:
        bundles = inventory(runtime, distributions=distributions, settings=settings, names=names)
    systems = system_libraries({lib.realpath: lib.openssldir for lib in libraries}) if wants_loader else ()
    return Facts(
        runtime=runtime,
        libraries=tuple(_with_twins(lib, systems, HOST) for lib in libraries),
        system_libraries=systems,
        bundles=bundles,
        inventory="light" if light else ("full" if names is None else "host"),
        distributions=distributions,
        injectors=injectors,
        local_roots=() if light else local_roots(bundles),
        settings=settings,
        mozilla=mozilla_copy(runtime),
    )


def facts_on_disk(
    runtime: Runtime, libraries: tuple[LoadedLibrary, ...], subject: Subject | None, root: FileRoot = HOST
) -> Facts:
    """Everything the disk tells about a runtime read from files: bundles, clients, settings, local roots."""
    distributions, injectors = discover(runtime.site_folders, root)
    settings = client_settings(runtime.environment, runtime.prefix, root)
    bundles = inventory(runtime, root, distributions, settings)
    systems = system_libraries({lib.realpath: lib.openssldir for lib in libraries}, root)
    return Facts(
        runtime=runtime,
        libraries=tuple(_with_twins(lib, systems, root) for lib in libraries),
        system_libraries=systems,
        bundles=bundles,
        subject=subject,
        distributions=distributions,
        injectors=injectors,
        local_roots=local_roots(bundles),
        settings=settings,
        mozilla=mozilla_copy(runtime),
    )


_TWIN_LIMIT = 64 << 20  # bytes compared between a bundled copy and the loader's own


def _with_twins(library: LoadedLibrary, systems: tuple[SystemLibrary, ...], root: FileRoot) -> LoadedLibrary:
    """Mark a libcrypto/libssl that is byte for byte the copy the loader would pick (a PyInstaller `_internal`)."""
    system = next((s for s in systems if s.soname == os.path.basename(library.path)), None)
    if library.role not in ("libcrypto", "libssl") or system is None or library.deleted:
        return library
    try:
        mine, theirs = root.host(library.realpath), root.host(system.path)
        if os.path.samefile(mine, theirs) or os.path.getsize(mine) != os.path.getsize(theirs):
            return library
        import filecmp  # only for two files of one size: compared byte for byte

        if os.path.getsize(mine) <= _TWIN_LIMIT and filecmp.cmp(mine, theirs, shallow=False):
            return replace(library, same_bytes_as=system.path)
    except (OSError, ValueError):
        pass
    return library


def collect(*, light: bool = False, default_context: dict[str, Any] | None = None) -> Facts:
    """Probe this very process, then the disk (a light inventory reads no certificate).

    `default_context` is what a default context this process already made loaded (`probe.context_facts`):
    making another one would read the whole CA file again.
    """
    return facts_from_probe(probe.collect(default_context), light=light)
