"""The TLS clients installed in an interpreter, and the store each one's own resolver names: nothing is imported.

Importing requests or botocore to ask what it trusts would run its code (and cost more than the whole check).
Discovery reads `.dist-info` and `.egg-info` metadata as `importlib.metadata` does, in the folders that
interpreter imports from (`child.distributions`); each client's default store comes from its resolver's source
(`child.resolvers`): Debian's certifi names the OS bundle, upstream's the `cacert.pem` beside it. The same code
runs for this interpreter, another one and an image, whose files are read through its root. `.pth` files are
read, never run: the ones that inject truststore change every client of the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence

from cadoctor._facts.child.distributions import installed
from cadoctor._facts.child.files import Files
from cadoctor._facts.child.resolvers import Resolvers
from cadoctor._facts.fs.fileroot import HOST, FileRoot
from cadoctor._model import Distribution, Injector, Setting
from cadoctor._record import record

# The bundle a distribution ships, relative to its site folder: what the rules table's model falls back to.
OWN_BUNDLES = {
    "botocore": "botocore/cacert.pem",
    "grpcio": "grpc/_cython/_credentials/roots.pem",
    "httplib2": "httplib2/cacerts.txt",
    "pip": "pip/_vendor/certifi/cacert.pem",  # pip vendors certifi: the environment's is not the one it reads
}


@record
class Installed:
    """What discovery found in an interpreter's folders.

    Attributes:
        distributions: The clients named, each with the store its own resolver names.
        injectors: `.pth` files that inject truststore or pip-system-certs.
        certifi: What `certifi.where()` names there (`kind`, `store`, `decided`), the `cacert.pem` it ships
            (`shipped`) and whether `where()` names that file (`pristine`: a copy of Mozilla's set).

    """

    distributions: tuple[Distribution, ...]
    injectors: tuple[Injector, ...]
    certifi: Mapping[str, str | None]


def version_tuple(version: str) -> tuple[int, ...]:
    """`3.11.7` as (3, 11, 7); an unknown version reads as the newest, whose branches a resolver's source takes."""
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:3])
    return numbers if len(numbers) >= 2 else (3, 99, 0)


def read_installed(
    folders: Sequence[str], clients: Collection[str], root: FileRoot = HOST, *, python: str = "", system: str = "linux"
) -> Installed:
    """The clients named in `clients`, the injectors and certifi's answer, in `folders` (of `root`), in their order.

    `python` is the interpreter's version (`3.11.7`): a resolver's `sys.version_info` branches are its own.
    """
    files = Files(None if root.is_host else root.host)
    found = installed(folders, clients, files)
    resolvers = Resolvers(folders, version_tuple(python), system, files)
    certifi = resolvers.certifi()
    distributions = []
    for item in found["distributions"]:
        key = item["name"]
        answer = certifi if key == "certifi" and certifi["kind"] else resolvers.resolve(key)
        shipped = os.path.join(item["location"], OWN_BUNDLES[key]) if key in OWN_BUNDLES else None
        distributions.append(
            Distribution(
                name=key,
                version=item["version"],
                path=item["path"],
                location=item["location"],
                bundle=shipped if shipped and root.exists(shipped) else None,
                problem=item["problem"],
                store=answer["store"],
                store_kind=str(answer["kind"]),
                store_decided=str(answer["decided"]),
                metadata=item["metadata"],
                shadowed=tuple(item["shadowed"]),
            )
        )
    injectors = tuple(Injector(name=i["name"], path=i["path"], line=i["line"]) for i in found["injectors"])
    return Installed(tuple(distributions), injectors, certifi)


def discover(
    folders: Iterable[str], clients: Collection[str], root: FileRoot = HOST
) -> tuple[tuple[Distribution, ...], tuple[Injector, ...]]:
    """The distributions named in `clients` and the trust injectors in these site folders; the first of a name wins.

    `clients` are normalised project names: the composition names what the client rules describe, as the facts
    never read a rule.
    """
    found = read_installed(list(folders), clients, root)
    return found.distributions, found.injectors


_SITES_TIMEOUT = 15.0  # seconds for a process's interpreter to start and list its folders


def folders_of_interpreter(
    executable: str, environ: Mapping[str, str], cwd: str, flags: Sequence[str] = ()
) -> tuple[str, ...] | None:
    """The folders a proven interpreter imports from, as it reports them in this environment (None: no answer).

    A running process's interpreter, started afresh with its environment, working directory and site flags,
    says what its own `sys.path` holds: its user site, its venv's, its `.pth` files' folders.
    """
    import json

    from cadoctor._errors import InterpreterError
    from cadoctor._facts.child import jobs
    from cadoctor._facts.interpreters.proof import NotProven, prove_python
    from cadoctor._facts.interpreters.run import finish, spawn

    try:
        proven = prove_python(executable)
    except NotProven:
        return None
    if proven.version < (3, 8):
        return None
    environment = {k: v for k, v in environ.items() if k != "PYTHONINSPECT"}  # no interactive prompt after it
    try:
        child = spawn(proven, [*flags, jobs.FOLDER], env=environment, cwd=cwd)
        _, out, _ = finish(child, json.dumps({"job": jobs.SITES}).encode(), _SITES_TIMEOUT)
        answer = json.loads(out.decode("utf-8"))
    except (InterpreterError, UnicodeDecodeError, ValueError):
        return None
    folders = answer.get("site_folders") if jobs.is_answer(answer, jobs.SITES) else None
    if not isinstance(folders, list) or not all(isinstance(f, str) and f.startswith("/") for f in folders):
        return None
    return tuple(folders)


# Configuration files that change a client's trust, in the order each client reads them (later ones win).
_PIP_FILES = ("/etc/xdg/pip/pip.conf", "/etc/pip.conf", "{home}/.pip/pip.conf", "{config}/pip/pip.conf")
_UV_FILES = ("/etc/uv/uv.toml", "{config}/uv/uv.toml")
_CONFIG_LIMIT = 256 * 1024  # a configuration file larger than this is read only this far


def _text(files: Files, path: str) -> str | None:
    """The start of a configuration file as text, None when it cannot be read (a FIFO never blocks)."""
    try:
        return files.read(path, _CONFIG_LIMIT).decode("utf-8", "replace")
    except OSError:
        return None


def _ini_value(files: Files, path: str, sections: tuple[str, ...], key: str) -> str | None:
    """A key's value in an INI file's sections (the last one set wins; '' when set empty), read bounded.

    Lines that are not a section, a comment or `key = value` are skipped: a damaged file still answers for
    what it does say (pip itself stops on it, and says so). An empty value is a fact too: pip ignores it,
    botocore refuses to build a client.
    """
    text = _text(files, path)
    if text is None:
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


def _toml_flag(files: Files, path: str, key: str) -> str | None:
    """`true`/`false` of a top-level `key = true` line of a TOML file, read bounded (no TOML parser needed)."""
    text = _text(files, path)
    if text is None:
        return None
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == key:
            return value.split("#")[0].strip().lower()
        if line.lstrip().startswith("["):
            break  # a table begins: top-level keys are over
    return None


def client_settings(environ: Mapping[str, str], prefix: str, root: FileRoot = HOST) -> tuple[Setting, ...]:
    """What configuration files set for the clients' trust: pip's `cert`, botocore's `ca_bundle`, uv's switches.

    A key set empty is kept with the value '' (each client has its own answer to it).
    """
    reader = Files(None if root.is_host else root.host)
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
        value = _ini_value(reader, path, ("global", "download", "install"), "cert") if path else None
        cert = Setting("pip", "cert", value, path) if value is not None else cert
    if cert is not None:
        found.append(cert)
    aws = environ.get("AWS_CONFIG_FILE") or (home + "/.aws/config" if home else "")
    profile = environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE") or "default"
    section = "default" if profile == "default" else "profile " + profile
    bundle = _ini_value(reader, aws, (section,), "ca_bundle") if aws else None
    if bundle is not None:
        found.append(Setting("botocore", "ca_bundle", bundle, aws))
    uv_files = files(_UV_FILES) + ([environ["UV_CONFIG_FILE"]] if environ.get("UV_CONFIG_FILE") else [])
    for key in ("system-certs", "native-tls"):
        for path in uv_files:
            flag = _toml_flag(reader, path, key)
            if flag is not None:
                found.append(Setting("uv", key, flag, path))
    return tuple(found)
