"""The facts of a runtime, probed (here or in `--python`) or read from files: the loader's choices, the disk."""

from __future__ import annotations

import os
from collections.abc import Mapping

from cadoctor._facts.binary.loader import loader_cache
from cadoctor._facts.certs.stores import inventory, light_inventory, local_roots, mozilla_copy
from cadoctor._facts.child.libraries import LIBRARY_NAME
from cadoctor._facts.fs.fileroot import HOST, FileRoot
from cadoctor._facts.interpreters.distributions import client_settings, read_installed
from cadoctor._facts.interpreters.runtime import runtime_from_probe
from cadoctor._model import Anchor, AnchorTool, Facts, LoadedLibrary, Runtime, Subject, SystemLibrary
from cadoctor._record import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def system_libraries(known: Mapping[str, str | None] | None = None, root: FileRoot = HOST) -> tuple[SystemLibrary, ...]:
    """Ask the dynamic loader's cache (of `root`) which libcrypto/libssl it picks when nothing overrides it.

    `known` maps real paths of libraries already read to their OPENSSLDIR, so that no file is read twice.
    """
    found: list[SystemLibrary] = []
    read = dict(known or {})
    for soname, path in loader_cache(root).items():
        if not LIBRARY_NAME.match(soname):
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


def _working_directory() -> str | None:
    """The working directory here, which another interpreter run from here shares (None if it is gone)."""
    try:
        return os.getcwd()
    except OSError:
        return None


def _imported_certifi() -> str | None:
    """Find certifi's bundle by importing it in this process: for a package layout the probe could not read."""
    try:
        import certifi
    except ImportError:
        return None
    return str(certifi.where())


def facts_from_probe(
    probe_facts: dict[str, Any],
    *,
    clients: frozenset[str],
    local: bool = True,
    light: bool = False,
    names: frozenset[bytes] | None = None,
    subject: Subject | None = None,
) -> Facts:
    """The facts of a probed interpreter: the runtime probe's answer, completed from the disk (see `facts_of_runtime`).

    `local` says the probe ran in this process, which may then import certifi to find an unusual layout.
    """
    runtime, libraries = runtime_from_probe(probe_facts)
    if local and not light and runtime.certifi is None:
        runtime = replace(runtime, certifi=_imported_certifi())
    runtime = replace(runtime, cwd=_working_directory())  # where a relative CA path is resolved: here, as run here
    return facts_of_runtime(runtime, libraries, clients=clients, light=light, names=names, subject=subject)


def facts_of_runtime(
    runtime: Runtime,
    libraries: tuple[LoadedLibrary, ...],
    *,
    clients: frozenset[str],
    root: FileRoot = HOST,
    light: bool = False,
    names: frozenset[bytes] | None = None,
    subject: Subject | None = None,
) -> Facts:
    """What the disk (of `root`) tells about a runtime, probed or read from files: the same `Facts` for every subject.

    Bundles (a light inventory, or the whole disk's), the client distributions named in `clients` and their
    settings, the loader's choice of libcrypto, local roots. `names`: a failing host check's issuers: read in full
    only what the host needs (see `inventory`).
    """
    overridden = any(name in runtime.environment for name in ("LD_LIBRARY_PATH", "LD_PRELOAD"))
    # the loader's own choice of libcrypto: for the whole inventory, or when a variable overrides it
    wants_loader = runtime.system.startswith("linux") and (overridden or (not light and names is None))
    found = read_installed(runtime.site_folders, clients, root, python=runtime.python_version, system=runtime.system)
    runtime = _with_certifi(runtime, found.certifi)
    distributions, injectors = found.distributions, found.injectors
    settings = client_settings(runtime.environment, runtime.prefix, root, runtime.python_version)
    bundles = light_inventory(runtime, root) if light else inventory(runtime, root, distributions, settings, names)
    systems = system_libraries({lib.realpath: lib.openssldir for lib in libraries}, root) if wants_loader else ()
    tools, anchors = ((), ()) if light else _anchors(runtime, root)
    if anchors:  # who holds a failing host's root must see every anchor its tool reads (sub-folders, DER)
        from cadoctor._facts.certs.anchors import with_anchors

        bundles = with_anchors(bundles, anchors)
    return Facts(
        runtime=runtime,
        libraries=tuple(_with_twins(lib, systems, root) for lib in libraries),
        system_libraries=systems,
        bundles=bundles,
        inventory="light" if light else ("full" if names is None else "host"),
        subject=subject,
        distributions=distributions,
        injectors=injectors,
        local_roots=() if light else local_roots(bundles),
        anchor_tools=tools,
        anchors=anchors,
        settings=settings,
        mozilla=mozilla_copy(runtime),
    )


def _with_certifi(runtime: Runtime, certifi: Mapping[str, str | None]) -> Runtime:
    """The runtime with what its certifi's `where()` names (its resolver read), and its copy of Mozilla's set.

    Without an answer from the source (no certifi on its folders, or `where()` not certain) the runtime keeps
    what the probe found beside certifi's module: the rules table's model.
    """
    if certifi.get("kind") is None:
        return runtime
    store = certifi["store"] if certifi["kind"] == "file" else (certifi["shipped"] or runtime.certifi)
    mozilla = certifi["pristine"] if certifi["kind"] == "file" else certifi["shipped"]
    return replace(runtime, certifi=store, certifi_decided=certifi["decided"], certifi_mozilla=mozilla)


def _anchors(runtime: Runtime, root: FileRoot) -> tuple[tuple[AnchorTool, ...], tuple[Anchor, ...]]:
    """The tools that build the OS store and the files they read, judged by their rules (a light look reads none)."""
    from cadoctor._facts.certs.anchors import read_anchors, store_tools  # lazy: parsing, which a light look avoids

    tools = store_tools(runtime.os_release, root)
    return tools, tuple(anchor for tool in tools for anchor in read_anchors(tool, root))


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
