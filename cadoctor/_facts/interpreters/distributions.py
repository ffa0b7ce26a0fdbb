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
import shlex
from collections.abc import Collection, Iterable, Mapping, Sequence

from cadoctor._facts.child.distributions import installed
from cadoctor._facts.child.files import Files
from cadoctor._facts.child.resolvers import Resolvers
from cadoctor._facts.fs.fileroot import HOST, FileRoot
from cadoctor._facts.interpreters.ini import first_bracket, ini_sections, ini_value
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


# pip's own sections for `pip install` and `pip download` (each beats [global], whatever file sets it).
_PIP_COMMANDS = ("install", "download")
_UV_FILES = ("/etc/uv/uv.toml", "{config}/uv/uv.toml")
_CONFIG_LIMIT = 256 * 1024  # a configuration file larger than this is read only this far


def config_text(path: str, files: Files | None = None) -> str | None:
    """The start of a configuration file as text, None when it cannot be read (a FIFO never blocks)."""
    try:
        return (files or Files()).read(path, _CONFIG_LIMIT).decode("utf-8", "replace")
    except (OSError, ValueError):
        return None


def _toml_flag(files: Files, path: str, key: str) -> str | None:
    """`true`/`false` of a top-level `key = true` line of a TOML file, read bounded (no TOML parser needed)."""
    text = config_text(path, files)
    if text is None:
        return None
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == key:
            return value.split("#")[0].strip().lower()
        if line.lstrip().startswith("["):
            break  # a table begins: top-level keys are over
    return None


def _home_expanded(value: str, environ: Mapping[str, str]) -> str:
    """A leading `~` as the examined process's HOME (os.path.expanduser's reading of it)."""
    home = environ.get("HOME")
    if home and (value == "~" or value.startswith("~/")):
        return home.rstrip("/") + value[1:]
    return value


def _expanded(value: str, environ: Mapping[str, str]) -> str:
    """`$NAME`, `${NAME}` and a leading `~` filled in from the examined process's environment (unknown ones kept).

    botocore expands AWS_CONFIG_FILE so (os.path.expandvars, then expanduser) before it opens the file.
    """

    def variable(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return environ.get(name, match.group(0))

    return _home_expanded(re.sub(r"\$(?:(\w+)|\{([^}]*)\})", variable, value), environ)


def pip_scopes(environ: Mapping[str, str], prefix: str) -> dict[str, list[str]]:
    """Pip's configuration files by the scope `pip config --SCOPE` names, each in reading order (configuration.py).

    `global`: each of XDG_CONFIG_DIRS's `pip/pip.conf`, then /etc/pip.conf; `user`: ~/.pip/pip.conf, then the XDG
    config home's; `site`: the prefix's pip.conf. `pip config --SCOPE set` writes the last file of its scope.
    """
    home = environ.get("HOME") or ""
    system = [d.rstrip("/") for d in (environ.get("XDG_CONFIG_DIRS") or "").split(":") if d.strip()]
    config = (environ.get("XDG_CONFIG_HOME") or "").strip() or (home + "/.config" if home else "")
    return {
        "global": [d + "/pip/pip.conf" for d in (system or ["/etc/xdg"]) if d.startswith("/")] + ["/etc/pip.conf"],
        "user": [home + "/.pip/pip.conf", config + "/pip/pip.conf"] if home else [],
        "site": [prefix + "/pip.conf"] if prefix else [],
    }


def _pip_files(environ: Mapping[str, str], prefix: str, root: FileRoot) -> list[str]:
    """Pip's configuration files in the order it reads them, a later one's key winning.

    The global ones, the user ones (left out when PIP_CONFIG_FILE names a file that exists), the site one, then
    PIP_CONFIG_FILE's own; PIP_CONFIG_FILE=/dev/null: no file at all.
    """
    named = environ.get("PIP_CONFIG_FILE")
    if named == os.devnull:
        return []
    scopes = pip_scopes(environ, prefix)
    users = [] if named and root.exists(named) else scopes["user"]
    return scopes["global"] + users + scopes["site"] + ([named] if named else [])


def _pip_cert(environ: Mapping[str, str], prefix: str, root: FileRoot, reader: Files, first: bool) -> Setting | None:
    """Pip's `cert` as its files decide it: the last file's [install]/[download] value, else its [global] one.

    pip merges every file, a later one winning key by key, then lets a command's own section beat [global]; a
    value set empty is dropped then, so it leaves the other section's (kept with '' when nothing else is set).
    """
    last: dict[bool, Setting] = {}  # by whether it is a command's own section
    for path in _pip_files(environ, prefix, root):
        text = config_text(path, reader)
        if text is None:
            continue
        sections = ini_sections(text, first)
        for section in ("global", *_PIP_COMMANDS):
            found = ini_value(sections, section, "cert")
            if found is not None:  # pip's `path` options take `~` as the home folder
                value = _home_expanded(found[0], environ)
                last[section != "global"] = Setting("pip", "cert", value, path, found[1])
    ordered = [last[k] for k in (True, False) if k in last]
    return next((s for s in ordered if s.value), ordered[-1] if ordered else None)


def aws_profile_of(section: str) -> str | None:
    """The AWS profile a config section is for, as botocore reads the name (`profile "my name"`: my name)."""
    if section == "default":
        return section
    if not section.startswith("profile"):
        return None
    try:
        parts = shlex.split(section)
    except ValueError:
        return None
    return parts[1] if len(parts) == 2 else None


def _program_on_path(name: str) -> str | None:
    """Where the shell of whoever runs cadoctor finds a program: the one who pastes a fix's line runs it there."""
    for folder in os.environ.get("PATH", "").split(":"):
        candidate = folder.rstrip("/") + "/" + name
        if folder.startswith("/") and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _aws_ca_bundle(environ: Mapping[str, str], root: FileRoot, reader: Files, first: bool) -> Setting | None:
    """Botocore's `ca_bundle` in its config file, in the section of the profile in use (botocore's configloader).

    The profile is AWS_DEFAULT_PROFILE's, else AWS_PROFILE's, else `default`; of the sections naming it
    (`[default]`, `[profile default]`, `[profile "x"]`), the last one in the file is the profile, whole.
    """
    path = _expanded(environ.get("AWS_CONFIG_FILE") or "~/.aws/config", environ)
    text = config_text(path, reader) if path.startswith("/") else None
    if text is None:
        return None
    profile = environ.get("AWS_DEFAULT_PROFILE") or environ.get("AWS_PROFILE") or "default"
    sections = ini_sections(text, first)
    chosen = [name for name in sections if aws_profile_of(name) == profile]
    found = ini_value(sections, chosen[-1], "ca_bundle") if chosen else None
    if found is None:
        return None
    tool = _program_on_path("aws") if root.is_host else None  # an image's own CLI is not this shell's
    return Setting("botocore", "ca_bundle", found[0], path, found[1], tool)


def client_settings(
    environ: Mapping[str, str], prefix: str, root: FileRoot = HOST, python: str = ""
) -> tuple[Setting, ...]:
    """What configuration files set for the clients' trust: pip's `cert`, botocore's `ca_bundle`, uv's switches.

    Each file is read as its client reads it (`ini`: the configparser rules of `python`, the examined
    interpreter's version); a key set empty is kept with the value '' (each client has its own answer to it).
    """
    reader = Files(None if root.is_host else root.host)
    first = first_bracket(python)
    home = environ.get("HOME") or ""
    config = environ.get("XDG_CONFIG_HOME") or (home + "/.config" if home else "")
    found = [
        s for s in (_pip_cert(environ, prefix, root, reader, first), _aws_ca_bundle(environ, root, reader, first)) if s
    ]
    templates = [t for t in _UV_FILES if not ("{" in t and not home)]
    uv_files = [t.format(config=config) for t in templates]
    uv_files += [environ["UV_CONFIG_FILE"]] if environ.get("UV_CONFIG_FILE") else []
    for key in ("system-certs", "native-tls"):
        for path in uv_files:
            flag = _toml_flag(reader, path, key)
            if flag is not None:
                found.append(Setting("uv", key, flag, path))
    return tuple(found)
