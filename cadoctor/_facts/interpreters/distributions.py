"""The TLS clients installed in an interpreter, learnt from their metadata files: a client is never imported.

Importing requests or botocore to ask what it trusts would run its code (and cost more than the whole check);
their `.dist-info` folders say what is installed, and the files they ship say where their own roots are.
`.pth` files are read, never run: the ones that inject truststore change every client of the environment.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Collection, Iterable, Mapping

from cadoctor._facts.fs.fileroot import HOST, FileRoot
from cadoctor._model import Distribution, Injector, Setting

# The bundle a distribution ships, relative to its site folder: what it trusts when nothing else is chosen.
OWN_BUNDLES = {
    "botocore": "botocore/cacert.pem",
    "grpcio": "grpc/_cython/_credentials/roots.pem",
    "httplib2": "httplib2/cacerts.txt",
    "pip": "pip/_vendor/certifi/cacert.pem",  # pip vendors certifi: the environment's is not the one it reads
}
# What an executable line of a `.pth` file imports when it injects the OS store into every client.
_INJECTING = (("pip_system_certs", "pip-system-certs"), ("truststore", "truststore"))
_LISTING_LIMIT = 20000  # entries of one site folder looked at
_METADATA_LIMIT = 64 * 1024  # the headers come first; the description that follows is not needed
_PTH_LIMIT = 16 * 1024
_FOLDER_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._]*?)-([^-]+)\.dist-info$")


def normalise(name: str) -> str:
    """A project name as the packaging standards compare it: `Pip_System.Certs` is `pip-system-certs`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _read_small(path: str, limit: int) -> str:
    """The start of a regular file as text (raises OSError for anything else: a FIFO never blocks)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        return os.read(fd, limit).decode("utf-8", "replace")
    finally:
        os.close(fd)


def _metadata(path: str) -> tuple[str | None, str | None, str | None]:
    """Name and version from a METADATA file's headers, or why they could not be read."""
    try:
        text = _read_small(path, _METADATA_LIMIT)
    except OSError as exc:
        return None, None, "METADATA cannot be read: %s" % (getattr(exc, "strerror", None) or exc)
    name = version = None
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first blank line
        key, sep, value = line.partition(":")
        if sep and key.lower() == "name" and name is None:
            name = value.strip()
        elif sep and key.lower() == "version" and version is None:
            version = value.strip()
    if not name or not version:
        return name, version, "METADATA names no %s" % ("version" if name else "project")
    return name, version, None


def _distribution(folder: str, entry: str, root: FileRoot, clients: Collection[str]) -> Distribution | None:
    """A distribution from its `.dist-info` folder, or None when it is not one of `clients`."""
    match = _FOLDER_NAME.match(entry)
    if match is None or normalise(match.group(1)) not in clients:
        return None
    path = os.path.join(folder, entry)
    name, version, problem = _metadata(root.host(os.path.join(path, "METADATA")))
    if name is None or normalise(name) != normalise(match.group(1)) or version is None:
        name, version = match.group(1), match.group(2)  # the folder's name is what pip wrote: trust it instead
    key = normalise(name)
    shipped = os.path.join(folder, OWN_BUNDLES[key]) if key in OWN_BUNDLES else None
    return Distribution(
        name=key,
        version=version,
        path=path,
        location=folder,
        bundle=shipped if shipped and root.exists(shipped) else None,
        problem=problem,
    )


def _injector(folder: str, entry: str, root: FileRoot) -> Injector | None:
    """A `.pth` file whose executable line imports truststore or pip-system-certs, read and never run."""
    path = os.path.join(folder, entry)
    try:
        text = _read_small(root.host(path), _PTH_LIMIT)
    except OSError:
        return None
    for line in text.splitlines():
        if not line.startswith(("import ", "import\t")):
            continue
        for marker, name in _INJECTING:
            if marker in line:
                return Injector(name=name, path=path, line=line.strip()[:200])
    return None


def discover(
    folders: Iterable[str], clients: Collection[str], root: FileRoot = HOST
) -> tuple[tuple[Distribution, ...], tuple[Injector, ...]]:
    """The distributions named in `clients` and the trust injectors in these site folders; the first of a name wins.

    `clients` are normalised project names: the composition names what the client rules describe, as the facts
    never read a rule.
    """
    found: dict[str, Distribution] = {}
    injectors: list[Injector] = []
    for folder in folders:
        try:
            entries = sorted(os.listdir(root.host(folder))[:_LISTING_LIMIT])
        except OSError:
            continue
        for entry in entries:
            if entry.endswith(".dist-info"):
                distribution = _distribution(folder, entry, root, clients)
                if distribution is not None and distribution.name not in found:
                    found[distribution.name] = distribution
            elif entry.endswith(".pth"):
                injector = _injector(folder, entry, root)
                if injector is not None:
                    injectors.append(injector)
    return tuple(sorted(found.values(), key=lambda d: d.name)), tuple(injectors)


# Configuration files that change a client's trust, in the order each client reads them (later ones win).
_PIP_FILES = ("/etc/xdg/pip/pip.conf", "/etc/pip.conf", "{home}/.pip/pip.conf", "{config}/pip/pip.conf")
_UV_FILES = ("/etc/uv/uv.toml", "{config}/uv/uv.toml")
_CONFIG_LIMIT = 256 * 1024  # a configuration file larger than this is read only this far


def _ini_value(path: str, sections: tuple[str, ...], key: str) -> str | None:
    """A key's value in an INI file's sections (the last one set wins), read bounded and never blocking.

    Lines that are not a section, a comment or `key = value` are skipped: a damaged file still answers for
    what it does say (pip itself stops on it, and says so).
    """
    try:
        text = _read_small(path, _CONFIG_LIMIT)
    except OSError:
        return None
    section, value = None, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        name, sep, rest = line.replace(":", "=", 1).partition("=") if "=" not in line else line.partition("=")
        if sep and section in sections and name.strip().lower() == key:
            value = rest.strip()  # an empty value too: botocore refuses it, or stops verifying
    return value


def _toml_flag(path: str, key: str) -> str | None:
    """`true`/`false` of a top-level `key = true` line of a TOML file, read bounded (no TOML parser needed)."""
    try:
        text = _read_small(path, _CONFIG_LIMIT)
    except OSError:
        return None
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == key:
            return value.split("#")[0].strip().lower()
        if line.lstrip().startswith("["):
            break  # a table begins: top-level keys are over
    return None


def client_settings(environ: Mapping[str, str], prefix: str, root: FileRoot = HOST) -> tuple[Setting, ...]:
    """What configuration files set for the clients' trust: pip's `cert`, botocore's `ca_bundle`, uv's switches."""
    home = environ.get("HOME") or ""
    config = environ.get("XDG_CONFIG_HOME") or (home + "/.config" if home else "")
    found: list[Setting] = []

    def files(templates: tuple[str, ...]) -> list[str]:
        """The templates filled in, without the ones needing an unknown home."""
        return [t.format(home=home, config=config) for t in templates if not ("{" in t and not home)]

    pip_files = files(_PIP_FILES) + ([prefix + "/pip.conf"] if prefix else [])
    if environ.get("PIP_CONFIG_FILE") == os.devnull:
        pip_files = []  # pip reads no configuration file at all then
    elif environ.get("PIP_CONFIG_FILE"):
        pip_files.append(environ["PIP_CONFIG_FILE"])
    cert = None
    for path in pip_files:
        value = _ini_value(root.host(path), ("global", "download", "install"), "cert") if path else None
        cert = Setting("pip", "cert", value, path) if value is not None else cert
    if cert is not None:
        found.append(cert)
    aws = environ.get("AWS_CONFIG_FILE") or (home + "/.aws/config" if home else "")
    profile = environ.get("AWS_PROFILE") or "default"
    section = "default" if profile == "default" else "profile " + profile
    bundle = _ini_value(root.host(aws), (section,), "ca_bundle") if aws else None
    if bundle is not None:
        found.append(Setting("botocore", "ca_bundle", bundle, aws))
    uv_files = files(_UV_FILES) + ([environ["UV_CONFIG_FILE"]] if environ.get("UV_CONFIG_FILE") else [])
    for key in ("system-certs", "native-tls"):
        for path in uv_files:
            flag = _toml_flag(root.host(path), key)
            if flag is not None:
                found.append(Setting("uv", key, flag, path))
    return tuple(found)
