"""A trust path learnt from files alone, shared by `--pid`, `--root` and `ps`: CA locations in effect, runtime.

Nothing is run. The OpenSSL in use and its compiled directories come from the library file itself
(`binary.openssl_build`); the CA locations follow from them and the environment the way OpenSSL derives them;
the disk is read inside the subject's own root. What only a running default context could tell (how many
certificates it loaded) is marked as not measured, and the rules judge the files it would read instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from cadoctor._facts.binary.openssl_build import compiled_locations, version_info
from cadoctor._facts.child.distributions import pth_folders
from cadoctor._facts.child.files import Files
from cadoctor._facts.child.interpreter import environment_facts, os_release
from cadoctor._facts.child.openssl_paths import trust_sources
from cadoctor._facts.fs.fileroot import FileRoot
from cadoctor._model import LoadedLibrary, Runtime, TrustSource
from cadoctor._variables import PLATFORM_VARIABLES, for_child

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


NOT_MEASURED = "not measured: read from files, no context was made there"


def sources_in_effect(library: LoadedLibrary | None, environ: Mapping[str, str]) -> dict[str, Any]:
    """The CA file and directories a default context on `library` reads in `environ`, as OpenSSL picks them."""
    cafile, capath = compiled_locations(library)
    raw = {"cafile_env": "SSL_CERT_FILE", "cafile": cafile, "capath_env": "SSL_CERT_DIR", "capath": capath}
    version = library.version if library else None
    return trust_sources({"default_verify_paths_raw": raw, "openssl_version": version}, environ)


def python_hints(executable: str, prefix: str, environ: Mapping[str, str], venv: bool) -> tuple[str, ...]:
    """The distribution markers the probe would report, from paths and the environment."""
    hints = ["venv"] if venv else []
    if "CONDA_PREFIX" in environ:
        hints.append("conda")
    if executable.startswith("/nix/store/") or prefix.startswith("/nix/store/"):
        hints.append("nix")
    if "/.pyenv/versions/" in prefix:
        hints.append("pyenv")
    hints.extend(platform for variable, platform in PLATFORM_VARIABLES if variable in environ)
    return tuple(hints)


def site_folders(
    root: FileRoot,
    version: str,
    prefixes: list[str],
    environ: Mapping[str, str],
    system_site: bool,
    *,
    home: str | None = None,
    user_site: bool = True,
) -> tuple[str, ...]:
    """Where an interpreter imports distributions from, derived from its files as its own `site` module would.

    In order: PYTHONPATH, the user site (`home`'s, or PYTHONUSERBASE's; not in a venv without the system
    site, nor with PYTHONNOUSERSITE), then each prefix's site folders, each followed by the folders its `.pth`
    files add. A prefix's folders are its own layout's: `lib/pythonX.Y/site-packages`, and the dist-packages
    folders only when that interpreter's own `site.py` is Debian's, which reads them. Never another Python's.
    """
    files = Files(None if root.is_host else root.host)
    folders = [p for p in environ.get("PYTHONPATH", "").split(":") if p.startswith("/")]
    candidates = list(dict.fromkeys(prefixes if system_site else prefixes[:1]))
    venv = len(dict.fromkeys(prefixes)) > 1 or not system_site
    userbase = environ.get("PYTHONUSERBASE") or (home + "/.local" if home else "")
    if userbase and user_site and system_site and not environ.get("PYTHONNOUSERSITE"):
        folders.append("%s/lib/python%s/site-packages" % (userbase, version))
    debian = _reads_dist_packages(files, prefixes[-1], version)
    for prefix in candidates:
        own = ["%s/%s/python%s/site-packages" % (prefix, lib, version) for lib in ("lib", "lib64")]
        if debian:
            lib = "%s/lib/python%s" % (prefix, version)
            dist = ("%s/local/lib/python%s" % (prefix, version), prefix + "/lib/python3", lib)
            own = [*own[: 1 if venv else 0], *(folder + "/dist-packages" for folder in dist)]
        folders.extend(own)
    found: list[str] = []
    for folder in dict.fromkeys(folders):
        if folder not in found and root.exists(folder, directory=True):
            found.append(folder)
            found.extend(f for f in pth_folders(files, folder) if f not in found)
    return tuple(found)


_SITE_LIMIT = 256 * 1024  # bytes of an interpreter's site.py read to learn its layout


def _reads_dist_packages(files: Files, prefix: str, version: str) -> bool:
    """Whether the interpreter of `prefix` has Debian's `site.py`, which adds the dist-packages folders.

    Without a readable `site.py`, a /usr interpreter of a Debian or Ubuntu system is taken to be Debian's.
    """
    try:
        return b"dist-packages" in files.read("%s/lib/python%s/site.py" % (prefix, version), _SITE_LIMIT)
    except OSError:
        pass
    release = os_release(files.opener)
    family = ("%s %s" % (release.get("ID", ""), release.get("ID_LIKE", ""))).split()
    return prefix == "/usr" and bool({"debian", "ubuntu"} & set(family))


def runtime_from_files(
    *,
    library: LoadedLibrary | None,
    environ: Mapping[str, str],
    root: FileRoot,
    executable: str,
    python: str | None,
    prefix: str,
    base_prefix: str,
    hints: tuple[str, ...],
    euid: int | None,
    ssl_module: str | None,
    folders: tuple[str, ...],
    site_source: str = "layout",
) -> Runtime:
    """A Runtime the rules can judge, built from a library's build strings and an environment."""
    compiled_cafile, compiled_capath = compiled_locations(library)
    version = library.version if library else None
    sources = sources_in_effect(library, environ)
    return Runtime(
        python_version=python or "",
        implementation="cpython" if python is not None else "",
        executable=executable,
        prefix=prefix,
        base_prefix=base_prefix,
        hints=hints,
        system="linux",
        os_release=os_release(root.host),
        euid=euid,
        ssl_available=library is not None,
        ssl_error=None if library is not None else "no OpenSSL found",
        openssl_version=version,
        openssl_version_info=version_info(version),
        ssl_module_file=ssl_module,
        cafile_env="SSL_CERT_FILE",
        capath_env="SSL_CERT_DIR",
        compiled_cafile=compiled_cafile,
        compiled_capath=compiled_capath,
        cafile=TrustSource(sources["cafile"]["path"], sources["cafile"]["source"]),
        capaths=tuple(TrustSource(c["path"], c["source"]) for c in sources["capaths"]),
        context_ok=None,
        context_error=None,
        context_skipped=NOT_MEASURED,
        context_loaded=0,
        libraries_available=True,
        libraries_reason=None,
        environment=environment_facts(for_child(), environ),
        certifi=None,  # what certifi's where() names there: read with the distributions (`facts_of_runtime`)
        site_folders=folders,
        site_source=site_source,
    )
