"""Each client's own resolver, read from its source: the CA store it names when no variable says otherwise.

Distributions patch and feed their clients: Debian's python3-certifi returns /etc/ssl/certs/ca-certificates.crt
from `where()`, so do the certifi that Debian's pip vendors and, through them, requests, httplib2 and botocore;
Debian's urllib3 hard-wires that bundle as `ca_certs`. Importing a client to ask costs 20-300 ms and runs it
(httplib2 raises during import for a bad HTTPLIB2_CA_CERTS); reading the deciding function's source costs about
a millisecond and runs nothing (`evaluation`). What the source does not make certain is said, and the rules
table's model is left to decide. One implementation for every subject, stdlib-only like the rest of the child:
it reads the folders the examined interpreter imports from, in its order (as its child reported them, or as its
layout gives them), with that interpreter's version; an image's files are read through an opener into its root.
"""

from __future__ import annotations

import posixpath

from .evaluation import Evaluator
from .files import Files
from .source import Call, Function, Modules, NotImportable, Ref, Resource, Stop, Unknown, snippet

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Sequence, Tuple

RETURNS, DEFAULT, POOL = "returns", "default ca_certs", "pool ca_certs"
# Where each client decides its default store: (module, attribute path, how the answer is read).
RESOLVERS = {
    "certifi": ("certifi", "where", RETURNS),  # certifi/core.py where(), re-exported by certifi/__init__.py
    "pip": ("pip._vendor.requests.certs", "where", RETURNS),  # pip's vendored requests -> vendored certifi
    "requests": ("requests.certs", "where", RETURNS),  # requests/utils.py DEFAULT_CA_BUNDLE_PATH = certs.where()
    "httplib2": ("httplib2.certs", "where", RETURNS),  # CA_CERTS = certs.where() at import
    "botocore": ("botocore.httpsession", "where", RETURNS),  # get_cert_path(True) -> where()
    "urllib3": ("urllib3.connectionpool", "HTTPSConnectionPool.__init__", DEFAULT),  # ca_certs=None: defaults
    "google-auth": ("google.auth.transport.urllib3", "_make_default_http", POOL),  # the urllib3 transport
}
FILE, DEFAULTS, MODEL = "file", "openssl-defaults", "model"


def _answer(kind: str, store: Optional[str], decided: str) -> Dict[str, Any]:
    """One resolver's answer: the kind, the store it names (a CA file's or folder's path), how it was decided."""
    return {"kind": kind, "store": store, "decided": decided}


def _said(evaluator: Evaluator, value: Any, how: str, folder: str) -> Tuple[str, Optional[str], str]:
    """The kind and store a resolver's value names, and the words that say how (paths in `folder` made relative)."""
    if isinstance(value, Resource):
        value = value.path
    steps = "; ".join(dict.fromkeys(evaluator.trail))
    if len(folder) > 1:
        steps = steps.replace(folder.rstrip("/") + "/", "")
    read = sorted(set(evaluator.variables))
    if read:
        steps += "; it reads %s first (unset for its default)" % ", ".join(read)
    if isinstance(value, str) and value.startswith("/"):
        return FILE, posixpath.normpath(value), "%s: %r" % (steps, value) if steps else repr(value)
    if value is None and how != RETURNS:
        return DEFAULTS, None, "%s: no CA file, so the ssl module's default verify paths" % steps
    if isinstance(value, Unknown):
        why = value.reason
    elif isinstance(value, str):
        why = "it names %r, a path relative to the working directory" % value
    else:
        why = "it gives %s, not a path" % ("None" if value is None else type(value).__name__)
    return MODEL, None, "%s%s: the rules table's model applies" % (steps + ": " if steps else "", why)


def _ask(evaluator: Evaluator, module_name: str, attribute: str, how: str) -> Tuple[Any, str]:
    """The value the deciding code yields for its default, and `how` it was read (a pool follows urllib3's)."""
    module = evaluator.read(evaluator.modules.locate(module_name))
    first, *rest = attribute.split(".")
    target = evaluator.resolve(Ref(module_name, first))
    for name in rest:
        target = evaluator.attribute(target, name)
    target = evaluator.made(target)
    if isinstance(target, Function) and target.module.name != module_name:
        evaluator.trail.append("%s takes %s from %s" % (module.file, attribute, target.module.name))
    if isinstance(target, Unknown):
        return Unknown(module.problem or target.reason), how
    if not isinstance(target, Function):
        return Unknown("%s.%s is not a function read here" % (module_name, attribute)), how
    if how == DEFAULT:
        parameters = target.definition.args
        named = list(parameters.args)[len(parameters.args) - len(parameters.defaults) :]
        default = next((d for p, d in zip(named, parameters.defaults) if p.arg == "ca_certs"), None)
        if default is None:
            return Unknown("%s.%s has no ca_certs default" % (module_name, attribute)), how
        value = evaluator.force(default, target.module.scope)
        evaluator.trail.append("%s %s(ca_certs=%s)" % (target.module.file, attribute, snippet(target.module, default)))
        return value, how
    value = evaluator.invoke(target, [], {}, target.module.scope)
    if how == RETURNS:
        return evaluator.made(value), how
    if not isinstance(value, Call):
        return evaluator.made(value), RETURNS
    if "ca_certs" in value.keywords:
        return evaluator.force(value.keywords["ca_certs"], value.scope), how
    pool, pool_attribute, pool_how = RESOLVERS["urllib3"]  # a pool built without ca_certs: urllib3's default
    return _ask(evaluator, pool, pool_attribute, pool_how)


class Resolvers:
    """The resolvers of one interpreter, read from its files: modules read once serve every client's question.

    `folders`: where it imports from, in order; `version`: its `sys.version_info[:3]`; `platform`: its
    `sys.platform`; `files`: its file system (an image's, through an opener).
    """

    def __init__(
        self, folders: Sequence[str], version: Sequence[int], platform: str = "linux", files: Optional[Files] = None
    ) -> None:
        self.files = files or Files()
        self.modules = Modules(self.files, folders)
        self.version, self.platform = tuple(version), platform

    def resolve(self, client: str) -> Dict[str, Any]:
        """What a client's own resolver names as its default store, read from its source (never imported).

        The answer's `kind` is `file` (its `store` is the path the resolver names), `openssl-defaults` (it
        names none: the ssl module's default verify paths) or `model` (the source does not make it certain; the
        rules table's model applies); `decided` says how, in words.
        """
        recipe = RESOLVERS.get(client)
        if recipe is None:
            return _answer(MODEL, None, "no resolver of its own is read: the rules table's model applies")
        evaluator = Evaluator(self.modules, self.version, self.platform)
        module_name, attribute, how = recipe
        try:
            value, how = _ask(evaluator, module_name, attribute, how)
        except NotImportable as failed:
            value = Unknown("%s is not importable here" % failed.args[0])
        except Stop as stopped:
            value = Unknown(str(stopped))
        except RecursionError:
            value = Unknown("nested too deeply to read")
        return _answer(*_said(evaluator, value, how, self._folder(module_name)))

    def certifi(self) -> Dict[str, Any]:
        """What certifi's `where()` names, the `cacert.pem` its package ships, and that file when `where()` names it.

        A `where()` that names the file beside it is upstream's: that file (`pristine`, even when it is gone) is a
        copy of Mozilla's set. One that names another (Debian's: the OS bundle) makes certifi-based clients trust
        that store, and the file left beside it (`shipped`, when there) is no one's. Without a certifi on the
        path, every value is None.
        """
        try:
            package = self.modules.locate("certifi")
        except (NotImportable, Stop):
            return {"kind": None, "store": None, "decided": None, "shipped": None, "pristine": None}
        answer = self.resolve("certifi")
        beside = posixpath.join(package.search[0], "cacert.pem") if package.search else None
        answer["shipped"] = beside if beside and self.files.is_file(beside) else None
        answer["pristine"] = beside if answer["kind"] == FILE and answer["store"] == beside else None
        return answer

    def _folder(self, module_name: str) -> str:
        """The site folder a client's top-level package was found in ('' when it was not)."""
        top = self.modules.located.get(module_name.split(".")[0])
        if top is None:
            return ""
        return posixpath.dirname(top.search[0] if top.search else top.file)
