"""`python <this folder>`: one job of the child protocol, in the interpreter cadoctor examines (see `jobs`).

Run without -I or -S, so that the child sees that interpreter's own sys.path, site and .pth files. The folder
leaves sys.path first: our module names must never shadow the program's, which a client trial imports. The
modules then load as a package registered here under a name of our own, so that no `__init__` runs and they
reach each other by relative imports, as they do in cadoctor's own process (`cadoctor._facts.child`).
"""

import os
import sys
import types
from importlib import import_module
from importlib.machinery import ModuleSpec

PACKAGE = "_cadoctor_child"


def main() -> int:
    """Register the folder as a package of its own and run the job the request on stdin names."""
    folder = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != folder]
    spec = ModuleSpec(PACKAGE, None, is_package=True)
    spec.submodule_search_locations = [folder]
    package = types.ModuleType(PACKAGE)
    package.__spec__, package.__path__, package.__package__ = spec, [folder], PACKAGE
    sys.modules[PACKAGE] = package
    return int(import_module(PACKAGE + ".jobs").main())


if __name__ == "__main__":
    sys.exit(main())
