"""Collect the facts of this process's trust path: the runtime probe, the loader's choices, the disk."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from cadoctor._facts.binary.loader import loader_cache
from cadoctor._facts.child.facts import interpreter_facts
from cadoctor._facts.fs.disk import inspect_light
from cadoctor._facts.fs.fileroot import HOST, FileRoot
from cadoctor._facts.interpreters.distributions import client_settings, discover
from cadoctor._facts.interpreters.runtime import runtime_from_probe
from cadoctor._locations import KNOWN_DIRECTORIES, KNOWN_FILES, LOCAL_ANCHORS
from cadoctor._model import (
    Bundle,
    Distribution,
    Facts,
    LoadedLibrary,
    LocalRoot,
    Runtime,
    Setting,
    Subject,
    SystemLibrary,
)
from cadoctor._record import replace
from cadoctor._variables import CA_VARIABLES, for_child

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
            from cadoctor._facts.binary.elf import openssl_strings

            read[real] = openssl_strings(root.outer(real)).get("openssldir")
        openssldir = read[real]
        exists = root.exists(openssldir, directory=True) if openssldir and openssldir != "n/a" else None
        found.append(SystemLibrary(soname=soname, path=path, openssldir=openssldir, openssldir_exists=exists))
    return tuple(found)


def mozilla_copy(runtime: Runtime) -> str | None:
    """A copy of Mozilla's root set: the examined environment's certifi, else cadoctor's own (found, not imported)."""
    if runtime.certifi:
        return runtime.certifi
    from importlib.util import find_spec

    spec = find_spec("certifi")
    bundle = os.path.join(os.path.dirname(spec.origin), "cacert.pem") if spec and spec.origin else None
    return bundle if bundle and os.path.isfile(bundle) else None


def _imported_certifi() -> str | None:
    """Find certifi's bundle by importing it in this process: for a package layout the probe could not read."""
    try:
        import certifi
    except ImportError:
        return None
    return str(certifi.where())


def candidate_paths(
    runtime: Runtime,
    *,
    light: bool = False,
    root: FileRoot = HOST,
    distributions: tuple[Distribution, ...] = (),
    settings: tuple[Setting, ...] = (),
) -> dict[str, list[str]]:
    """Name every CA file or directory worth inspecting, each with the roles that make it a candidate.

    `light` stops at what the process reads (the sources in effect, the compiled defaults, the CA variables),
    before the system locations (looked up inside `root`) and certifi are.
    """
    roles: dict[str, list[str]] = {}

    def add(path: str | None, role: str) -> None:
        if path:
            entry = roles.setdefault(path, [])
            if role not in entry:
                entry.append(role)

    if runtime.cafile is not None:
        add(runtime.cafile.path, "in-effect:cafile")
    for capath in runtime.capaths:
        add(capath.path, "in-effect:capath")
    add(runtime.compiled_cafile, "compiled-cafile")
    add(runtime.compiled_capath, "compiled-capath")
    for name in CA_VARIABLES:
        value = runtime.environment.get(name)
        if value is None:
            continue
        parts = value.split(os.pathsep) if name == "SSL_CERT_DIR" else [value]
        for part in parts:
            add(part, "env:" + name)
    if light:
        return roles
    for path, _ in KNOWN_FILES + KNOWN_DIRECTORIES:
        if root.lexists(path):
            add(path, "system")
    for path, _ in LOCAL_ANCHORS:
        if root.exists(path, directory=True):
            add(path, "local-anchors")
    if "conda" in runtime.hints:
        add(os.path.join(runtime.prefix, "ssl", "cacert.pem"), "conda")
    add(runtime.certifi, "certifi")
    for distribution in distributions:
        add(distribution.bundle, "client:" + distribution.name)
    for setting in settings:
        if setting.key in ("cert", "ca_bundle"):
            add(setting.value, "setting:%s %s" % (setting.client, setting.key))
    return roles


def _chosen_by_user(roles: list[str]) -> bool:
    """A file a CA variable names: an override, judged in full against the public roots (what it breaks)."""
    return any(role.startswith("env:") for role in roles)


def _public_file(path: str, roles: list[str], root: FileRoot) -> bool:
    """Whether this is certifi's bundle, or a bundle file of the OS (not its hashed folder)."""
    return "certifi" in roles or ("system" in roles and not root.exists(path, directory=True))


def inventory(
    runtime: Runtime,
    root: FileRoot = HOST,
    distributions: tuple[Distribution, ...] = (),
    settings: tuple[Setting, ...] = (),
    names: frozenset[bytes] | None = None,
) -> tuple[Bundle, ...]:
    """Inspect every candidate once per real file: symlinked defaults share the inventory of their target.

    With `names` (the issuers a failing host's chain needs), only what a host check needs is read in full: the
    files a CA variable names, the public roots they are judged against (certifi, the OS's bundle files), and
    every candidate that holds one of the names (looked up as OpenSSL looks names up). The rest is looked at,
    as a light look does.
    """
    from cadoctor._facts.certs.pem import holds_any

    candidates = candidate_paths(runtime, root=root, distributions=distributions, settings=settings)
    overridden = names is not None and any(_chosen_by_user(roles) for roles in candidates.values())
    reals: dict[str, str] = {}
    chosen: dict[str, bool] = {}  # by real file: read in full whatever it holds (under any of its names)
    for path, roles in candidates.items():
        try:
            reals[path] = real = root.resolve(path) if os.path.isabs(path) else path
        except OSError:
            reals[path] = real = path
        # an override is judged against the public roots, and a fix that keeps both joins it with the OS's bundle
        wanted = names is None or _chosen_by_user(roles) or (overridden and _public_file(path, roles, root))
        chosen[real] = chosen.get(real, False) or wanted
    seen: dict[str, Bundle] = {}
    bundles: list[Bundle] = []
    for path, roles in candidates.items():
        real = reals[path]
        if real in seen and seen[real].realpath:
            bundles.append(replace(seen[real], path=path, roles=tuple(roles)))
            continue
        whole = chosen[real] or (
            names is not None and os.path.isabs(path) and holds_any(path, names, loose="local-anchors" in roles)
        )
        if whole:
            from cadoctor._facts.certs.bundle import inspect  # parsing: datetime, hashlib, the DER reader

            bundle = inspect(path, tuple(roles), runtime.euid, root)
        else:
            bundle = inspect_light(path, tuple(roles), runtime.euid, root)
        seen[real] = bundle
        bundles.append(bundle)
    return tuple(bundles)


def light_inventory(runtime: Runtime, root: FileRoot = HOST) -> tuple[Bundle, ...]:
    """The sources in effect and the paths CA variables name, without reading a certificate."""
    return tuple(
        inspect_light(path, tuple(roles), runtime.euid, root)
        for path, roles in candidate_paths(runtime, light=True, root=root).items()
        if any(role.startswith(("in-effect:", "env:")) for role in roles)
    )


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


def loadable(paths: list[str]) -> list[str]:
    """The paths that are regular files or folders, once each: a FIFO or a device is never handed to OpenSSL."""
    return [p for p in dict.fromkeys(paths) if p and (os.path.isfile(p) or os.path.isdir(p))]


def local_roots(bundles: tuple[Bundle, ...]) -> tuple[LocalRoot, ...]:
    """Roots an administrator added to the system store: in a local anchor folder and in the system store.

    Hosts under them work in clients that read the system store and fail in clients that carry their own copy
    of Mozilla's set. (The system store minus certifi is no guide: a distribution's snapshot of Mozilla's set
    keeps dozens of roots that a newer certifi dropped.)
    """
    from cadoctor._facts.certs.der import MalformedDER, name_text

    system = [b for b in bundles if "system" in b.roles and b.certificates]
    found: dict[str, LocalRoot] = {}
    for anchors in (b for b in bundles if "local-anchors" in b.roles):
        for identity in sorted(anchors.identities):
            holders = tuple(b.path for b in system if identity in b.identities)
            if not holders or identity in found:
                continue
            try:
                subject = name_text(anchors.subjects[identity])
            except (KeyError, MalformedDER):
                subject = "a certificate of %s" % anchors.path
            der = anchors.ders.get(identity, b"")
            found[identity] = LocalRoot(subject=subject, found_in=(anchors.path, *holders), identity=identity, der=der)
    return tuple(found.values())


def collect(*, light: bool = False, default_context: dict[str, Any] | None = None) -> Facts:
    """Probe this very process, then the disk (a light inventory reads no certificate).

    `default_context` is what a default context this process already made loaded (`ssl_module.context_facts`):
    making another one would read the whole CA file again.
    """
    return facts_from_probe(interpreter_facts(for_child(), default_context), light=light)
