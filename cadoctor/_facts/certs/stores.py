"""Which CA files and folders a runtime's trust involves, and what each holds: the store inventory of a check.

The candidates are named from the runtime (the sources in effect, OpenSSL's compiled defaults, the CA
variables), the system's known locations inside its root, certifi, the installed clients' bundles and their
settings. Each real file is read once, in full or only looked at (`light`), however many names reach it.
"""

from __future__ import annotations

import os

from cadoctor._facts.fs.disk import stat_bundle
from cadoctor._facts.fs.fileroot import HOST, FileRoot
from cadoctor._locations import KNOWN_DIRECTORIES, KNOWN_FILES, LOCAL_ANCHORS
from cadoctor._model import Bundle, Distribution, LocalRoot, Runtime, Setting
from cadoctor._record import replace
from cadoctor._variables import CA_VARIABLES


def mozilla_copy(runtime: Runtime) -> str | None:
    """A copy of Mozilla's root set: the examined certifi's own, else cadoctor's (its resolver read, not imported).

    The yardstick of public roots (what an override lacks, whether a root is an interception's) must be
    Mozilla's set: where the examined certifi's `where()` names another store (Debian's: the OS bundle), that
    store is not it, and cadoctor's own certifi stands in, if its `where()` is upstream's.
    """
    if runtime.certifi_mozilla and os.path.isfile(runtime.certifi_mozilla):
        return runtime.certifi_mozilla
    if runtime.certifi and runtime.certifi_decided is None:
        return runtime.certifi  # learnt without reading its resolver (recorded facts): the file beside certifi
    import sys

    from cadoctor._facts.child.resolvers import Resolvers

    folders = [p for p in sys.path if p and os.path.isdir(p)]
    pristine = Resolvers(folders, sys.version_info[:3], sys.platform).certifi()["pristine"]
    return pristine if isinstance(pristine, str) and os.path.isfile(pristine) else None


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
            add(_from_cwd(part, runtime), "env:" + name)
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
    # `certifi`: its file, a copy of Mozilla's set; `certifi-where`: another store its where() names (Debian's)
    patched = runtime.certifi_decided is not None and runtime.certifi != runtime.certifi_mozilla
    add(runtime.certifi, "certifi-where" if patched else "certifi")
    for distribution in distributions:
        add(distribution.bundle, "client:" + distribution.name)
        add(distribution.store, "client:" + distribution.name)
    for setting in settings:  # a file, a folder, a relative path (from the process's cwd, as the clients open it)
        if setting.key in ("cert", "ca_bundle"):
            add(setting.value, "setting:%s %s" % (setting.client, setting.key))
            add(_from_cwd(setting.value, runtime), "setting:%s %s" % (setting.client, setting.key))
    return roles


def _from_cwd(value: str, runtime: Runtime) -> str | None:
    """A relative CA path as the process resolves it: against its working directory (None: absolute, or unknown)."""
    if not value or os.path.isabs(value) or runtime.cwd is None:
        return None
    return os.path.normpath(os.path.join(runtime.cwd, value))


def _chosen_by_user(roles: list[str]) -> bool:
    """A file or folder a CA variable or setting names: an override, read in full (what it holds, what it breaks).

    A configuration file's value is the user's choice as much as a variable's: the folder pip.conf's `cert`
    names may be the one store on the host that holds a failing host's root.
    """
    return any(role.startswith(("env:", "setting:")) for role in roles)


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
    every candidate that holds one of the names (looked up as OpenSSL looks names up), or carries it where OpenSSL
    does not load it (a damaged file is then the answer). The rest is looked at, as a light look does.
    """
    from cadoctor._facts.certs.pem import store_holds  # lazy: a light check (light_inventory) reads no PEM

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
        # a folder's files that no hash link reaches count too: a root copied into /etc/ssl/certs by hand is the
        # answer to why a host fails, not "no copy here" (a local anchor folder is never linked at all)
        whole = chosen[real] or (
            names is not None and os.path.isabs(path) and store_holds(path, names, loose=True, carried=True)
        )
        if whole:
            from cadoctor._facts.certs.bundle import inventory_bundle  # parsing: datetime, hashlib, the DER reader

            bundle = inventory_bundle(path, tuple(roles), runtime.euid, root)
        else:
            bundle = stat_bundle(path, tuple(roles), runtime.euid, root)
        seen[real] = bundle
        bundles.append(bundle)
    return tuple(bundles)


def light_inventory(runtime: Runtime, root: FileRoot = HOST) -> tuple[Bundle, ...]:
    """The sources in effect and the paths CA variables name, without reading a certificate."""
    return tuple(
        stat_bundle(path, tuple(roles), runtime.euid, root)
        for path, roles in candidate_paths(runtime, light=True, root=root).items()
        if any(role.startswith(("in-effect:", "env:")) for role in roles)
    )


def loadable(paths: list[str]) -> list[str]:
    """The paths that are regular files or folders, once each: a FIFO or a device is never handed to OpenSSL."""
    return [p for p in dict.fromkeys(paths) if p and (os.path.isfile(p) or os.path.isdir(p))]


def local_roots(bundles: tuple[Bundle, ...]) -> tuple[LocalRoot, ...]:
    """Roots an administrator added to the system store: in a local anchor folder and in the system store.

    Hosts under them work in clients that read the system store and fail in clients that carry their own copy
    of Mozilla's set. (The system store minus certifi is no guide: a distribution's snapshot of Mozilla's set
    keeps dozens of roots that a newer certifi dropped.)
    """
    from cadoctor._facts.certs.der import MalformedDER, name_text  # lazy: a light look names no local roots

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
