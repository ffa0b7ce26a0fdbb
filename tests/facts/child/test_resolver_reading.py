"""Each client's resolver read from its source, checked against the answer the real module gives when imported."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from importlib import util
from pathlib import Path
from typing import Any

import pytest

from cadoctor._facts.child.resolvers import DEFAULTS, FILE, MODEL, Resolvers

CHILD_TIMEOUT = 60
ASK = """
import importlib, json, sys
sys.path[:0] = json.loads(sys.argv[1])
module, _, name = sys.argv[2].rpartition(".")
print(json.dumps(getattr(importlib.import_module(module), name)()))
"""


def _real_certifi() -> Path:
    """The folder of the certifi PyPI installed for the tests: upstream's code, its own cacert.pem."""
    spec = util.find_spec("certifi")
    assert spec is not None
    assert spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


def _imported(python: str, folders: list[Path], function: str) -> object:
    """What a function returns when its module is really imported from these folders (`-S`: nothing else)."""
    result = subprocess.run(
        [python, "-S", "-c", ASK, json.dumps([str(f) for f in folders]), function],
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=True,
    )
    return json.loads(result.stdout)


def _write(folder: Path, files: dict[str, str]) -> Path:
    """Write a package tree of small source files under `folder`."""
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return folder


def _version(python: str) -> tuple[int, ...]:
    """An interpreter's own version."""
    done = subprocess.run(
        [python, "-S", "-c", "import sys; print(*sys.version_info[:3])"],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=True,
    )
    return tuple(int(part) for part in done.stdout.split())


@pytest.mark.parametrize("minor", ["3.9", "3.11", "3.13"])
def test_upstream_certifi_names_the_cacert_pem_beside_it(tmp_path: Path, minor: str) -> None:
    """Upstream certifi's where() (importlib.resources, by version branch) names its own cacert.pem, as imported."""
    from helpers.interpreters import python_or_skip

    python = python_or_skip(minor)
    site = tmp_path / "site"
    shutil.copytree(_real_certifi(), site / "certifi")
    answer = Resolvers([str(site)], _version(python)).certifi()
    assert answer["kind"] == FILE
    assert answer["store"] == _imported(python, [site], "certifi.where") == str(site / "certifi" / "cacert.pem")
    assert answer["pristine"] == answer["shipped"] == answer["store"]
    assert "certifi/core.py where() returns" in answer["decided"]


def test_a_patched_where_that_returns_a_constant_names_that_store(tmp_path: Path) -> None:
    """A distribution's where() returning a module constant names that file, and the file beside it is no yardstick."""
    site = _write(
        tmp_path / "site",
        {
            "certifi/__init__.py": "from .core import contents, where\n",
            "certifi/core.py": """
                DEBIAN_CA_CERTS_PATH = '/etc/ssl/certs/ca-certificates.crt'

                def where() -> str:
                    return DEBIAN_CA_CERTS_PATH

                def contents() -> str:
                    with open(where(), encoding="ascii") as data:
                        return data.read()
                """,
            "certifi/cacert.pem": "left beside it\n",
        },
    )
    answer = Resolvers([str(site)], sys.version_info[:3]).certifi()
    assert answer["store"] == _imported(sys.executable, [site], "certifi.where") == "/etc/ssl/certs/ca-certificates.crt"
    assert answer["kind"] == FILE
    assert answer["pristine"] is None
    assert answer["shipped"] == str(site / "certifi" / "cacert.pem")
    assert "DEBIAN_CA_CERTS_PATH" in answer["decided"]


def test_requests_takes_the_certifi_found_first_on_the_path(tmp_path: Path) -> None:
    """requests/certs.py's `from certifi import where` follows the certifi the path finds first, as import does."""
    patched = _write(tmp_path / "patched", {"certifi/__init__.py": "def where():\n    return '/srv/os-bundle.pem'\n"})
    upstream = tmp_path / "upstream"
    shutil.copytree(_real_certifi(), upstream / "certifi")
    _write(upstream, {"requests/__init__.py": "", "requests/certs.py": CERTS})
    for order in ([patched, upstream], [upstream, patched]):
        answer = Resolvers([str(f) for f in order], sys.version_info[:3]).resolve("requests")
        truth = _imported(sys.executable, order, "requests.certs.where")
        assert (answer["kind"], answer["store"]) == (FILE, truth)
    assert "requests/certs.py takes where from certifi" in answer["decided"]


CERTS = '''
"""requests.certs: the one bundle, certifi's."""
from certifi import where

if __name__ == "__main__":
    print(where())
'''


@pytest.mark.parametrize("with_certifi", [True, False])
def test_an_import_guarded_by_try_is_followed_only_when_importable(tmp_path: Path, with_certifi: bool) -> None:
    """botocore's `try: from certifi import where / except ImportError` names certifi's file, else its own bundle."""
    site = _write(
        tmp_path / "site",
        {
            "shipper/__init__.py": "",
            "shipper/session.py": """
                import logging
                import os

                logger = logging.getLogger(__name__)
                DEFAULT_CA_BUNDLE = os.path.join(os.path.dirname(__file__), 'cacert.pem')

                try:
                    from certifi import where
                except ImportError:

                    def where():
                        return DEFAULT_CA_BUNDLE
                """,
        },
    )
    if with_certifi:
        shutil.copytree(_real_certifi(), site / "certifi")
    resolvers = Resolvers([str(site)], sys.version_info[:3])
    answer = _resolve_as(resolvers, "botocore", ("shipper.session", "where"))
    assert (answer["kind"], answer["store"]) == (FILE, _imported(sys.executable, [site], "shipper.session.where"))
    assert ("certifi is not importable here" in answer["decided"]) is not with_certifi


def _resolve_as(resolvers: Resolvers, client: str, deciding: tuple[str, str]) -> dict[str, Any]:
    """A client's answer when its deciding function lives in another module (a test's own package)."""
    from cadoctor._facts.child import resolvers as module

    recipe = module.RESOLVERS[client]
    module.RESOLVERS[client] = (*deciding, recipe[2])
    try:
        return resolvers.resolve(client)
    finally:
        module.RESOLVERS[client] = recipe


@pytest.mark.parametrize("minor", ["3.9", "3.12"])
def test_version_branches_are_the_examined_interpreters(tmp_path: Path, minor: str) -> None:
    """`sys.version_info` branches are taken for the examined interpreter's version, not cadoctor's."""
    from helpers.interpreters import python_or_skip

    python = python_or_skip(minor)
    site = _write(
        tmp_path / "site",
        {
            "certifi/__init__.py": """
                import sys

                if sys.version_info >= (3, 11):
                    def where():
                        return "/new/bundle.pem"
                elif sys.version_info[:2] == (3, 10):
                    def where():
                        return "/ten/bundle.pem"
                else:
                    def where():
                        return "/old/bundle.pem"
                """
        },
    )
    answer = Resolvers([str(site)], _version(python)).certifi()
    assert answer["store"] == _imported(python, [site], "certifi.where")


def test_urllib3s_pool_default_decides_openssl_defaults_or_a_file(tmp_path: Path) -> None:
    """urllib3's HTTPSConnectionPool ca_certs default: None means the ssl module's defaults, a path is that file."""
    pool = """
        from .connection import HTTPSConnection

        class HTTPConnectionPool:
            pass

        class HTTPSConnectionPool(HTTPConnectionPool):
            '''Same as HTTPConnectionPool, but HTTPS.'''

            def __init__(self, host, port=None, ca_certs=%s, ca_cert_dir=None):
                self.ca_certs = ca_certs
        """
    for default, expected in (("None", (DEFAULTS, None)), ("'/etc/ssl/certs/ca-certificates.crt'", None)):
        site = _write(
            tmp_path / default.strip("'").replace("/", "_"),
            {"urllib3/__init__.py": "", "urllib3/connection.py": "", "urllib3/connectionpool.py": pool % default},
        )
        answer = Resolvers([str(site)], sys.version_info[:3]).resolve("urllib3")
        assert (answer["kind"], answer["store"]) == (expected or (FILE, default.strip("'")))


DAMAGED = {
    "garbage": b"\xff\xfe\x00\x01 not python at all \x00\x00",
    "syntax error": b"def where(:\n    return '/x'\n",
    "too large": b"# " + b"x" * (256 << 10) + b"\ndef where():\n    return '/x'\n",
    "nested too deeply": b"def where():\n    return " + b"(" * 200000 + b"'/x'" + b")" * 200000 + b"\n",
    "computed": b"import random\n\ndef where():\n    return '/tmp/%d.pem' % random.randrange(1 << 30)\n",
    "read from a file": b"def where():\n    with open('/etc/where') as f:\n        return f.read()\n",
    "a loop": b"def where():\n    for path in ('/a', '/b'):\n        return path\n",
    "itself": b"def where():\n    return where()\n",
    "a name bound to itself": b"A = A\n\ndef where():\n    return A\n",
    "relative": b"def where():\n    return 'cacert.pem'\n",
    "raises": b"def where():\n    raise RuntimeError('no bundle')\n",
    "unknown condition": b"import os\n\ndef where():\n    if os.getuid():\n        return '/a'\n    return '/b'\n",
    "runs nothing": b"open(%r, 'w').write('ran')\n\ndef where():\n    return undefined_name\n",
}


@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_a_resolver_source_that_does_not_tell_gives_a_reason(tmp_path: Path, damage: str) -> None:
    """Garbage, huge, deep, computed or self-referring sources: the model applies, with a reason, never a traceback."""
    site = tmp_path / "site"
    (site / "certifi").mkdir(parents=True)
    marker = tmp_path / "ran"
    (site / "certifi" / "__init__.py").write_bytes(DAMAGED[damage].replace(b"%r", repr(str(marker)).encode()))
    started = time.monotonic()
    answer = Resolvers([str(site)], sys.version_info[:3]).resolve("certifi")
    assert time.monotonic() - started < 5
    assert answer["kind"] == MODEL
    assert answer["store"] is None
    assert "the rules table's model applies" in str(answer["decided"])
    assert not marker.exists()


@pytest.mark.parametrize("kind", ["fifo", "folder", "dangling link", "link loop"])
def test_a_resolver_module_that_is_not_a_file_is_never_opened_for_reading(tmp_path: Path, kind: str) -> None:
    """certifi/core.py as a FIFO, a folder or a dangling or looping link: a reason in a child that never blocks."""
    site = tmp_path / "site"
    package = site / "certifi"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from .core import where\n")
    core = package / "core.py"
    if kind == "fifo":
        os.mkfifo(core)
    elif kind == "folder":
        core.mkdir()
    elif kind == "dangling link":
        core.symlink_to(tmp_path / "nowhere.py")
    else:
        core.symlink_to(core)
    code = "import json, sys; from cadoctor._facts.child.resolvers import Resolvers; "
    code += "print(json.dumps(Resolvers([sys.argv[1]], sys.version_info[:3]).resolve('certifi')))"
    done = subprocess.run(
        [sys.executable, "-c", code, str(site)], capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=True
    )
    answer = json.loads(done.stdout)
    assert answer["kind"] == MODEL, answer
    assert answer["decided"]


def test_a_client_that_is_not_installed_or_has_no_resolver_is_left_to_the_model(tmp_path: Path) -> None:
    """A client whose module is not on the path, or which has no resolver to read (grpcio), says so."""
    resolvers = Resolvers([str(tmp_path)], sys.version_info[:3])
    assert resolvers.resolve("requests") == {
        "kind": MODEL,
        "store": None,
        "decided": "requests is not importable here: the rules table's model applies",
    }
    assert resolvers.resolve("grpcio")["kind"] == MODEL
    assert resolvers.certifi()["store"] is None


UNREADABLE = """
import json, sys
from cadoctor._facts.child.distributions import installed
from cadoctor._facts.child.resolvers import Resolvers
site = sys.argv[1]
print(json.dumps([Resolvers([site], sys.version_info[:3]).resolve("certifi"), installed([site], ["certifi"])]))
"""


def test_an_unreadable_resolver_source_and_metadata_give_reasons() -> None:
    """certifi/core.py and METADATA that the examining user may not read: each a reason, as another user reads them."""
    import cadoctor

    top = Path(tempfile.mkdtemp(prefix="cadoctor-unreadable-"))
    try:
        top.chmod(0o755)
        package = top / "certifi"
        package.mkdir()
        (package / "__init__.py").write_text("from .core import where\n")
        (package / "core.py").write_text("def where():\n    return '/x.pem'\n")
        (package / "core.py").chmod(0)
        (top / "certifi-2024.1.1.dist-info").mkdir()
        (top / "certifi-2024.1.1.dist-info" / "METADATA").write_text("Name: certifi\nVersion: 2024.1.1\n")
        (top / "certifi-2024.1.1.dist-info" / "METADATA").chmod(0)
        argv = [sys.executable]
        if os.geteuid() == 0:  # root reads every file: the reader is another user, as a service's would be
            if not shutil.which("setpriv") or not os.path.exists("/usr/bin/python3"):
                pytest.skip("needs setpriv and /usr/bin/python3 to read as another user")
            argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3"]
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(Path(cadoctor.__file__).parents[1])}
        done = subprocess.run(
            [*argv, "-c", UNREADABLE, str(top)], env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT
        )
        answer, found = json.loads(done.stdout)
    finally:
        shutil.rmtree(top)
    assert answer["kind"] == MODEL
    assert "Permission denied" in answer["decided"]
    assert found["distributions"][0]["version"] == "2024.1.1"  # from the entry's name
    assert "Permission denied" in found["distributions"][0]["problem"]
