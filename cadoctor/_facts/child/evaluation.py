"""What a Python module's source makes statically certain: its statements evaluated without running anything.

A client's resolver (`certifi.where()`, `httplib2.certs.where()`, ...) decides which CA file it trusts.
Importing it costs 20-300 ms and runs its code; reading it costs a fraction of that. The evaluator follows
string constants and module-level names, `from X import where` (X located where the interpreter imports from),
imports guarded by `try/except ImportError` (the handler is taken when X is not there), `sys.version_info` and
`sys.platform` branches (the examined interpreter's), the file beside a module (`__file__`, `os.path`,
`importlib.resources`, `pathlib`) and variables read with `os.environ.get` (unset: the default is what is asked).
Anything else is `Unknown` with its reason: never a guess, never an exception, in a bounded number of steps.
"""

from __future__ import annotations

import posixpath

from .known import CALLS, MODELLED, STANDARD, binary, call, compare, method
from .source import (
    Builtin,
    Call,
    Class,
    Function,
    Lazy,
    Method,
    Module,
    ModuleRef,
    Modules,
    NotImportable,
    Ref,
    Resource,
    Scope,
    Stop,
    Thunk,
    Unknown,
    snippet,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Sequence, Tuple

STEP_LIMIT = 20000  # statements and expressions evaluated for one question
DEPTH_LIMIT = 16  # calls and module readings nested
READ_LIMIT = 24  # modules read for one question

_LOOPS = ("For", "While", "AsyncFor", "Match")


class _Return(Exception):
    """A `return` (or a `raise`), carrying the value and the expression that made it."""

    def __init__(self, value: Any, node: Any) -> None:
        super().__init__()
        self.value, self.node = value, node


class Evaluator:
    """One question's reading of an interpreter's modules: what their source makes certain.

    `version` is the examined interpreter's `sys.version_info[:3]`, `platform` its `sys.platform`.
    `variables` collects the environment variables the code read (taken as unset); `trail` says, in words, the
    imports that failed and the functions whose return made the answer, outermost first.
    """

    def __init__(self, modules: Modules, version: Tuple[int, ...], platform: str) -> None:
        self.modules, self.platform = modules, platform
        self.version: Tuple[Any, ...] = (*tuple(version)[:3], *(0,) * (3 - len(tuple(version)[:3])), "final", 0)
        self.steps = STEP_LIMIT
        self.depth = 0
        self.read_count = 0
        self.shallow = 0
        self.variables: List[str] = []
        self.trail: List[str] = []

    def _tick(self) -> None:
        """Count one step against the limit."""
        self.steps -= 1
        if self.steps < 0:
            raise Stop("more than %d steps" % STEP_LIMIT)

    def _deeper(self) -> None:
        """Count one nested call or module reading against the limit (the caller undoes it)."""
        self.depth += 1
        if self.depth > DEPTH_LIMIT:
            self.depth -= 1
            raise Stop("more than %d nested calls" % DEPTH_LIMIT)

    def read(self, module: Module) -> Module:
        """A located module with its top-level statements executed statically (once)."""
        if module.state:
            return module
        self.read_count += 1
        if self.read_count > READ_LIMIT:
            raise Stop("more than %d modules read" % READ_LIMIT)
        self._deeper()
        module.state = 1
        scope = module.scope
        scope.names.update({"__file__": module.file, "__name__": module.name, "__package__": module.package})
        try:
            self._run(self.modules.statements(module), scope, top=True)
        except _Return:
            pass
        except (NotImportable, Stop) as failed:  # its import fails, or it was not read to the end: it defines nothing
            said = " imports %s, which is not importable here" if isinstance(failed, NotImportable) else ": %s"
            module.problem = module.file + said % failed.args[0]
            scope.names.clear()
            del scope.star[:]
            if isinstance(failed, Stop):
                raise
        finally:
            self.depth -= 1
            module.state = 2
        return module

    # Statements.

    def _run(self, statements: Sequence[Any], scope: Scope, top: bool = False) -> None:
        """Execute statements statically (raises _Return at a `return`, NotImportable at a failing import)."""
        for statement in statements:
            self._tick()
            self._statement(statement, scope, top)

    def _statement(self, node: Any, scope: Scope, top: bool) -> None:
        """One statement's effect on the names of `scope`."""
        kind = type(node).__name__
        if isinstance(node, Lazy):
            scope.names[node.name] = node
        elif kind in ("FunctionDef", "AsyncFunctionDef"):
            scope.names[node.name] = Function(scope.module, node)
        elif kind == "ClassDef":
            scope.names[node.name] = Class(scope.module, node)
        elif kind == "Import":
            for alias in node.names:
                self._importable(alias.name)
                top_name = alias.name.split(".")[0]
                scope.names[alias.asname or top_name] = ModuleRef(alias.name if alias.asname else top_name)
        elif kind == "ImportFrom":
            source = _absolute(node, scope.module)
            self._importable(source)
            for alias in node.names:
                if alias.name == "*":
                    scope.star.append(source)
                else:
                    scope.names[alias.asname or alias.name] = Ref(source, alias.name)
        elif kind in ("Assign", "AnnAssign"):
            for target in node.targets if kind == "Assign" else [node.target]:
                if type(target).__name__ == "Name":
                    scope.names[target.id] = Thunk(node.value, scope) if node.value is not None else None
                else:
                    for name in _bound_names_of(target):
                        scope.names[name] = Unknown("bound by unpacking (line %d)" % node.lineno)
        elif kind == "If":
            self.shallow += 1  # a condition that calls other code (`version.parse(...) >= ...`) is not followed
            try:
                test = self.force(node.test, scope)
            finally:
                self.shallow -= 1
            if not isinstance(test, Unknown):
                self._run(node.body if test else node.orelse, scope, top)
                return
            why = Unknown("decided by a condition not known here: %s" % snippet(scope.module, node.test))
            if not top and _exits(node.body + node.orelse):
                raise _Return(why, node.test)
            for name in _bound_names(node.body + node.orelse):
                scope.names[name] = why
        elif kind in ("Try", "TryStar"):
            self._try(node, scope, top)
        elif kind in ("With", "AsyncWith"):
            self._run(node.body, scope, top)
        elif kind == "Return":
            raise _Return(self.value(node.value, scope) if node.value is not None else None, node.value)
        elif kind == "Raise":
            raise _Return(Unknown("it raises (line %d)" % node.lineno), None)
        elif kind not in ("Expr", "Pass", "Global", "Nonlocal", "Assert", "Break", "Continue"):
            why = Unknown("bound by a %s statement (line %d)" % (kind, getattr(node, "lineno", 0)))
            for name in _bound_names([node]):
                scope.names[name] = why
            if not top and kind in _LOOPS:
                raise _Return(Unknown("decided in a loop (line %d)" % node.lineno), None)

    def _try(self, node: Any, scope: Scope, top: bool) -> None:
        """`try`: its body, or the first handler that catches ImportError when an import there fails."""
        try:
            self._run(node.body, scope, top)
        except NotImportable as failed:
            handler = next((h for h in node.handlers if _catches_import_error(h)), None)
            if handler is None:
                raise
            if _bound_names(handler.body):  # a fallback that takes the import's place is worth saying
                said = "%s is not importable here" % failed.args[0]
                (scope.module.notes if top else self.trail).append(said)
            if handler.name:
                scope.names[handler.name] = Unknown("an exception")
            self._run(handler.body, scope, top)
        else:
            self._run(node.orelse, scope, top)
        self._run(node.finalbody, scope, top)

    def _importable(self, name: str) -> None:
        """Raise NotImportable when `import name` fails in the examined interpreter; the standard library's never.

        A submodule of a plain module (`six.moves`) is made when its parent runs: it is taken as importable,
        and what it holds stays unknown.
        """
        if name in MODELLED or name.split(".")[0] in STANDARD:
            return
        try:
            self.modules.locate(name)
        except NotImportable:
            parent = name.rpartition(".")[0]
            while parent:
                located = self.modules.located.get(parent)
                if located is not None:
                    if located.search:
                        raise
                    return  # a module, not a package: its "submodules" are made at run time
                parent = parent.rpartition(".")[0]
            raise

    # Names and values.

    def lookup(self, name: str, scope: Any) -> Any:
        """What a name holds in a scope (its module's as well), an assignment evaluated when first read."""
        while scope is not None:
            if name in scope.names:
                held = scope.names[name]
                if isinstance(held, Thunk):
                    return self._thunk(held)
                if isinstance(held, Lazy):  # a class stays text: only the members asked for are parsed
                    made = Class(scope.module, held) if held.kind == "class" else None
                    held = made or Function(scope.module, self.modules.definition(scope.module, held))
                    scope.names[name] = held
                return held
            for source in scope.star:
                found = self.resolve(Ref(source, name))
                if not isinstance(found, Unknown):
                    return found
            scope = scope.outer
        if name in ("str", "None", "True", "False"):
            return {"str": Builtin("str"), "None": None, "True": True, "False": False}[name]
        return Unknown("%s is not defined where it is read" % name)

    def _thunk(self, thunk: Thunk) -> Any:
        """A thunk's value, computed once; one that reads itself is Unknown."""
        if thunk.state == 1:
            return Unknown("a value that refers to itself")
        if thunk.state == 0:
            thunk.state = 1
            try:
                thunk.value = self.value(thunk.node, thunk.scope)
            except BaseException:
                thunk.state = 0  # a question stopped half-way: the next one evaluates it afresh
                raise
            thunk.state = 2
        return thunk.value

    def resolve(self, ref: Ref) -> Any:
        """What a name of another module is: a function, class, value, or its submodule (re-exports followed)."""
        self._deeper()
        try:
            if ref.module in MODELLED or ref.module.split(".")[0] in ("os", "sys"):
                return self.attribute(ModuleRef(ref.module), ref.name)
            if self.shallow:
                return Unknown("%s.%s in a condition is not followed" % (ref.module, ref.name))
            try:
                module = self.read(self.modules.locate(ref.module))
            except NotImportable as failed:
                return Unknown("%s is not importable here" % failed.args[0])
            if module.state == 1:
                return Unknown("%s imports itself" % module.name)
            self.trail.extend(module.notes)
            if ref.name in module.scope.names or module.scope.star:
                found = self.lookup(ref.name, module.scope)
                return self.resolve(found) if isinstance(found, Ref) else found
            try:
                return ModuleRef(self.modules.locate(ref.module + "." + ref.name).name)
            except NotImportable:
                return Unknown(module.problem or "%s defines no %s" % (module.file or module.name, ref.name))
        finally:
            self.depth -= 1

    def attribute(self, target: Any, name: str) -> Any:
        """An attribute: a module's name (or submodule), a class's method, a resource's path or method."""
        target = self.made(self.resolve(target) if isinstance(target, Ref) else target)
        if isinstance(target, Unknown):
            return target
        if isinstance(target, ModuleRef):
            dotted = target.name + "." + name
            if dotted in CALLS:
                return Builtin(dotted)
            if dotted in MODELLED:
                return ModuleRef(dotted)
            if target.name in ("os", "sys"):
                return self._constant(dotted)
            if target.name in MODELLED:
                return Unknown("%s is not read here" % dotted)
            return Ref(target.name, name)  # looked up when its value is needed: a call of it may never be made
        if isinstance(target, Class):
            member = self.modules.member(target.module, target.definition, name)
            if member is not None:
                return Function(target.module, member)
            return Unknown("%s does not define %s itself" % (target.definition.name, name))
        if isinstance(target, Resource):
            if name == "parent":
                return Resource(posixpath.dirname(target.path))
            if name in ("joinpath", "__enter__", "__fspath__", "resolve", "absolute", "__str__"):
                return Method(target, name)
        if isinstance(target, Builtin) and target.name == "os.environ" and name == "get":
            return Builtin("os.environ.get")
        return Unknown("an attribute (%s) not read here" % name)

    def _constant(self, dotted: str) -> Any:
        """A value of `os` or `sys` this evaluator models: the examined interpreter's, not cadoctor's."""
        constants: Dict[str, Any] = {"sys.version_info": self.version, "sys.platform": self.platform, "os.sep": "/"}
        constants.update({"os.name": "posix", "os.pathsep": ":", "os.environ": Builtin("os.environ")})
        return constants.get(dotted, Unknown("%s is not read here" % dotted))

    def value(self, node: Any, scope: Scope) -> Any:
        """The value of an expression as far as the source makes it certain (a call of other code left unmade)."""
        self._tick()
        kind = type(node).__name__
        if kind == "Constant":
            return node.value
        if kind == "Name":
            return self.lookup(node.id, scope)
        if kind == "Attribute":
            return self.attribute(self.value(node.value, scope), node.attr)
        if kind == "Call":
            return self._call(node, scope)
        if kind == "Compare" and len(node.ops) == 1:
            left, right = self.force(node.left, scope), self.force(node.comparators[0], scope)
            operator = type(node.ops[0]).__name__
            if operator in ("In", "NotIn") and isinstance(right, Builtin) and right.name == "os.environ":
                if not isinstance(left, str):
                    return Unknown("a test of the environment not known here")
                self.variables.append(left)
                return operator == "NotIn"  # the default is asked: the variable is unset
            return compare(operator, left, right)
        if kind == "BoolOp":
            result: Any = None
            for operand in node.values:
                result = self.force(operand, scope)
                if isinstance(result, Unknown) or bool(result) == (type(node.op).__name__ == "Or"):
                    return result
            return result
        if kind == "UnaryOp" and type(node.op).__name__ == "Not":
            operand = self.force(node.operand, scope)
            return operand if isinstance(operand, Unknown) else not operand
        if kind == "BinOp":
            return binary(type(node.op).__name__, self.force(node.left, scope), self.force(node.right, scope))
        if kind == "Tuple":
            items = tuple(self.force(item, scope) for item in node.elts)
            return next((item for item in items if isinstance(item, Unknown)), items)
        if kind == "Subscript":
            return self._subscript(self.force(node.value, scope), node.slice, scope)
        if kind == "IfExp":
            test = self.force(node.test, scope)
            return test if isinstance(test, Unknown) else self.value(node.body if test else node.orelse, scope)
        if kind == "JoinedStr":
            parts = []
            for part in node.values:
                piece = self.force(part.value, scope) if type(part).__name__ == "FormattedValue" else part.value
                if not isinstance(piece, str) or getattr(part, "format_spec", None) is not None:
                    return Unknown("an f-string with a part not known here")
                parts.append(piece)
            return "".join(parts)
        return Unknown("a %s expression (line %d)" % (kind, getattr(node, "lineno", 0)))

    def force(self, node: Any, scope: Scope) -> Any:
        """An expression's value with any deferred call made."""
        return self.made(self.value(node, scope))

    def made(self, value: Any) -> Any:
        """A name of another module looked up, a deferred call's result; anything else as it is."""
        if isinstance(value, Ref):
            value = self.resolve(value)
        if isinstance(value, Call) and self.shallow:
            return Unknown("a call in a condition is not followed")
        if isinstance(value, Call) and not isinstance(value.callee, Class):
            callee = self.resolve(value.callee) if isinstance(value.callee, Ref) else value.callee
            return self.invoke(callee, value.args, value.keywords, value.scope)
        return value

    def _call(self, node: Any, scope: Scope) -> Any:
        """A call: a modelled builtin is applied, a function read here followed, another module's deferred."""
        if any(type(a).__name__ == "Starred" for a in node.args) or any(k.arg is None for k in node.keywords):
            return Unknown("a call with *args or **kwargs (line %d)" % node.lineno)
        callee = self.value(node.func, scope)
        keywords = {k.arg: k.value for k in node.keywords}
        if isinstance(callee, Ref) and (callee.module in MODELLED or callee.module.split(".")[0] in ("os", "sys")):
            callee = self.resolve(callee)
        if isinstance(callee, (Ref, Class)):
            return Call(callee, list(node.args), keywords, scope)
        return self.invoke(callee, list(node.args), keywords, scope)

    def invoke(self, callee: Any, args: List[Any], keywords: Dict[str, Any], scope: Scope) -> Any:
        """Call what `callee` is with these argument expressions, evaluated in `scope`."""
        if isinstance(callee, Unknown):
            return callee
        if isinstance(callee, Class):
            return Call(callee, args, keywords, scope)  # an instance: only the arguments it was given can be read
        if isinstance(callee, Function):
            if self.shallow:
                return Unknown("a call in a condition is not followed")
            values = [self.value(a, scope) for a in args]
            return self.call(callee, values, {k: self.value(v, scope) for k, v in keywords.items()})
        values = [self.made(self.value(a, scope)) for a in args]
        named = {k: self.made(self.value(v, scope)) for k, v in keywords.items()}
        if isinstance(callee, Method):
            return method(callee, values)
        if isinstance(callee, Builtin):
            return call(callee.name, values, named, self.modules, self.variables)
        return Unknown("a call of something not read here")

    def call(self, function: Function, args: List[Any], keywords: Dict[str, Any]) -> Any:
        """What a function returns, its body executed statically with these arguments (its defaults otherwise).

        The trail gets "<file> <name>() returns <expression>" for it, before what its callees added.
        """
        self._deeper()
        at = len(self.trail)
        try:
            definition = function.definition
            local = Scope(function.module, function.module.scope)
            parameters = definition.args
            positional = list(getattr(parameters, "posonlyargs", [])) + list(parameters.args)
            defaults = [None] * (len(positional) - len(parameters.defaults)) + list(parameters.defaults)
            for index, (parameter, default) in enumerate(zip(positional, defaults)):
                if index < len(args):
                    local.names[parameter.arg] = args[index]
                elif parameter.arg in keywords:
                    local.names[parameter.arg] = keywords[parameter.arg]
                elif default is not None:
                    local.names[parameter.arg] = Thunk(default, function.module.scope)
                else:
                    local.names[parameter.arg] = Unknown("argument %s not given" % parameter.arg)
            try:
                self._run(definition.body, local)
                value, node = None, None
            except _Return as returned:
                value, node = returned.value, returned.node
            except NotImportable as failed:
                value, node = Unknown("it imports %s, which is not importable here" % failed.args[0]), None
            said = snippet(function.module, node) if node is not None else "None"
            self.trail.insert(at, "%s %s() returns %s" % (function.module.file, definition.name, said))
            return value
        finally:
            self.depth -= 1

    def _subscript(self, target: Any, index: Any, scope: Scope) -> Any:
        """`sys.version_info[:2]`, `version_info[0]`: a known tuple indexed by constants."""
        if isinstance(target, Unknown):
            return target
        if not isinstance(target, tuple):
            return Unknown("an index into a value not known here")
        index = getattr(index, "value", index) if type(index).__name__ == "Index" else index  # Python 3.8's wrapper
        if type(index).__name__ == "Slice":
            bounds = [self.force(b, scope) if b is not None else None for b in (index.lower, index.upper)]
            if index.step is None and all(b is None or isinstance(b, int) for b in bounds):
                return target[bounds[0] : bounds[1]]
            return Unknown("a slice not known here")
        position = self.force(index, scope)
        if isinstance(position, int) and -len(target) <= position < len(target):
            return target[position]
        return Unknown("an index not known here")


def _absolute(node: Any, module: Module) -> str:
    """The module a `from ... import` reads, a relative one resolved inside `module`'s package."""
    if not node.level:
        return str(node.module or "")
    base = module.package.split(".")
    base = base[: max(len(base) - node.level + 1, 0)]
    return ".".join(base + ([node.module] if node.module else []))


def _catches_import_error(handler: Any) -> bool:
    """Whether an `except` clause catches ImportError (bare, Exception, ImportError, ModuleNotFoundError)."""
    kind = handler.type
    items = getattr(kind, "elts", None) or ([kind] if kind is not None else [])
    names = {getattr(item, "id", None) or getattr(item, "attr", None) for item in items}
    return kind is None or bool({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"} & names)


def _exits(statements: Sequence[Any]) -> bool:
    """Whether a `return` or `raise` is among these statements or the blocks in them (not nested definitions)."""
    pending = list(statements)
    while pending:
        node = pending.pop()
        kind = type(node).__name__
        if kind in ("Return", "Raise"):
            return True
        if kind not in ("FunctionDef", "AsyncFunctionDef", "ClassDef", "Lazy"):
            for field in ("body", "orelse", "finalbody", "handlers"):
                pending.extend(getattr(node, field, None) or [])
    return False


def _bound_names(statements: Sequence[Any]) -> List[str]:
    """Every name these statements (and the blocks in them) bind, nested definitions' bodies left out."""
    names: List[str] = []
    pending = list(statements)
    while pending:
        node = pending.pop()
        kind = type(node).__name__
        if kind in ("FunctionDef", "AsyncFunctionDef", "ClassDef", "Lazy"):
            names.append(node.name)
            continue
        if kind in ("Import", "ImportFrom"):
            names.extend((a.asname or a.name).split(".")[0] for a in node.names)
        for target in getattr(node, "targets", None) or [getattr(node, "target", None)]:
            if target is not None:
                names.extend(_bound_names_of(target))
        for field in ("body", "orelse", "finalbody", "handlers"):
            pending.extend(getattr(node, field, None) or [])
    return names


def _bound_names_of(target: Any) -> List[str]:
    """The names an assignment target binds (`a`, `a, b`, `(a, [b, *c])`)."""
    kind = type(target).__name__
    if kind == "Name":
        return [target.id]
    if kind in ("Tuple", "List"):
        return [name for item in target.elts for name in _bound_names_of(item)]
    return _bound_names_of(target.value) if kind == "Starred" else []
