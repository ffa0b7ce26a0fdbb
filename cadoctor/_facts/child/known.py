"""The standard library as the static evaluator knows it: the modules and calls it models, how known values combine.

A resolver's source reaches the standard library for paths (`os.path`, `importlib.resources`, `pathlib`), the
environment (`os.environ.get`) and the interpreter (`sys.version_info`). Those calls are applied here to known
values, with the examined interpreter's answers; every other standard library name stays unknown, and no module
of the standard library is ever read.
"""

from __future__ import annotations

import os
import posixpath
import sys

from .source import Method, Modules, NotImportable, Resource, Unknown

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, FrozenSet, List, Tuple

# Standard library modules modelled here: an import of them never fails, and nothing of theirs is read.
MODELLED: Tuple[str, ...] = ("os", "os.path", "posixpath", "sys", "importlib", "importlib.resources", "pathlib")
MODELLED += ("importlib_resources", "atexit", "typing", "types", "logging", "warnings", "__future__", "contextlib")
CALLS = {"str": "str", "os.fspath": "str", "os.path.join": "join", "posixpath.join": "join"}
CALLS.update({"os.path.dirname": "dirname", "os.path.abspath": "normpath", "os.path.realpath": "normpath"})
CALLS.update({"os.path.normpath": "normpath", "os.path.basename": "basename", "os.environ.get": "getenv"})
CALLS.update({"os.getenv": "getenv", "os.path.isfile": "isfile", "os.path.isdir": "isdir"})
CALLS.update({"os.path.exists": "exists", "pathlib.Path": "path", "pathlib.PurePath": "path"})
for _package in ("importlib.resources", "importlib_resources"):
    CALLS.update({_package + ".files": "files", _package + ".as_file": "as_file", _package + ".path": "resource"})


def _standard() -> FrozenSet[str]:
    """The standard library's top-level names: listed by Python 3.10 on, read from its own folders before."""
    listed = getattr(sys, "stdlib_module_names", None)
    if listed:
        return frozenset(listed) | frozenset(sys.builtin_module_names)
    found = set(sys.builtin_module_names)
    folder = os.path.dirname(os.__file__)
    for place in (folder, os.path.join(folder, "lib-dynload")):
        try:
            found.update(entry.split(".")[0] for entry in os.listdir(place))
        except OSError:
            continue
    return frozenset(found - {"site-packages", "dist-packages"})


STANDARD = _standard()


def call(name: str, args: List[Any], keywords: Dict[str, Any], modules: Modules, variables: List[str]) -> Any:
    """A modelled standard library call on known values (`variables` collects the environment variables read)."""
    operation = CALLS.get(name, name)
    unknown = next((a for a in [*args, *keywords.values()] if isinstance(a, Unknown)), None)
    if unknown is not None:
        return unknown
    if operation == "getenv" and args and isinstance(args[0], str):
        variables.append(args[0])
        return args[1] if len(args) > 1 else keywords.get("default")
    if operation == "as_file" and args and isinstance(args[0], Resource):
        return args[0]
    texts = [a.path if isinstance(a, Resource) else a for a in args]
    if not texts or not all(isinstance(t, str) for t in texts):
        return Unknown("%s() of a value not known here" % name)
    if operation in ("files", "resource"):
        folder = _package_folder(texts[0], modules)
        if isinstance(folder, Unknown):
            return folder
        return Resource(posixpath.join(folder, *texts[1:]))
    if operation in ("isfile", "isdir", "exists"):
        mode = modules.files.mode(texts[0])
        if operation == "exists":
            return mode is not None
        return (modules.files.is_file if operation == "isfile" else modules.files.is_dir)(texts[0])
    if operation == "normpath" and not texts[0].startswith("/"):
        return Unknown("a path relative to the working directory")
    first = texts[0]
    if operation == "str":
        return first
    if operation == "join":
        return posixpath.join(*texts)
    if operation == "dirname":
        return posixpath.dirname(first)
    if operation == "basename":
        return posixpath.basename(first)
    if operation == "normpath":
        return posixpath.normpath(first)
    if operation == "path":
        return Resource(posixpath.join(*texts))
    return Unknown("%s() is not read here" % name)


def _package_folder(package: str, modules: Modules) -> Any:
    """The folder of a package named by its dotted name, as `importlib.resources.files` finds it."""
    try:
        module = modules.locate(package)
    except NotImportable:
        return Unknown("%s is not importable here" % package)
    return module.search[0] if module.search else Unknown("%s is not a package with a folder" % package)


def compare(operator: str, left: Any, right: Any) -> Any:
    """One comparison of known values (`is None`, `==`, a version tuple's order)."""
    for side in (left, right):
        if isinstance(side, Unknown):
            return side
    if operator in ("Is", "IsNot"):
        if left is not None and right is not None:
            return Unknown("an identity test of values not known here")
        return (left is right) == (operator == "Is")
    if not (_plain(left) and _plain(right)):
        return Unknown("a comparison of values not known here")
    try:
        if operator in ("Eq", "NotEq"):
            return (left == right) == (operator == "Eq")
        order = {"Lt": left < right, "LtE": left <= right, "Gt": left > right, "GtE": left >= right}
    except TypeError:
        return Unknown("a comparison of values of different kinds")
    return order.get(operator, Unknown("a %s comparison" % operator))


def _plain(value: Any) -> bool:
    """Whether a value is a constant a comparison may be made on (a string, a number, a tuple, None)."""
    return isinstance(value, (str, int, float, bool, tuple, type(None)))


def binary(operator: str, left: Any, right: Any) -> Any:
    """`+` of strings, `/` of a path and a name."""
    for side in (left, right):
        if isinstance(side, Unknown):
            return side
    if operator == "Add" and isinstance(left, str) and isinstance(right, str):
        return left + right
    if operator == "Div" and isinstance(left, Resource) and isinstance(right, str):
        return Resource(posixpath.join(left.path, right))
    return Unknown("a %s of values not known here" % operator)


def method(method: Method, args: List[Any]) -> Any:
    """A Resource's method: a path joined, entered (its path), or itself."""
    if method.name == "joinpath":
        if all(isinstance(a, str) for a in args):
            return Resource(posixpath.join(method.target.path, *args))
        return Unknown("joinpath() of a value not known here")
    return method.target.path if method.name in ("__enter__", "__fspath__", "__str__") else method.target
