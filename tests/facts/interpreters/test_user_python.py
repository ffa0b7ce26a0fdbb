"""The `cadoctor` command installed in an environment of its own (pipx, uv tool) examines the user's Python."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from helpers.environment import child_env
from helpers.runs import CHILD_TIMEOUT, exit_for

import cadoctor

# What pip writes as a console script (its template, with this entry point).
CONSOLE_SCRIPT = """#!{python}
import re
import sys
from cadoctor._cli.main import entry
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(entry())
"""


def _venv(folder: Path) -> Path:
    """A real venv of the interpreter running the tests, without pip."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=CHILD_TIMEOUT, env=child_env()
    )
    return folder


def _with_cadoctor(venv: Path) -> Path:
    """The venv with this cadoctor importable (and its dependencies) and pip's console script for it."""
    site = next(venv.glob("lib/python3*/site-packages"))
    source = Path(cadoctor.__file__).parent.parent
    (site / "cadoctor-under-test.pth").write_text("%s\n%s\n" % (source, sysconfig.get_paths()["purelib"]))
    script = venv / "bin" / "cadoctor"
    script.write_text(CONSOLE_SCRIPT.format(python=venv / "bin" / "python"))
    script.chmod(0o755)
    return venv


@pytest.fixture(scope="module")
def tool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding the `cadoctor` command, as pipx makes one, with pipx's marker (test_install_routes: real pipx)."""
    venv = _with_cadoctor(_venv(tmp_path_factory.mktemp("tool") / "venv"))
    (venv / "pipx_metadata.json").write_text('{"pipx_metadata_version": "0.5"}\n')
    return venv


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An application's own venv with cadoctor installed in it, as a Dockerfile's `pip install` leaves one."""
    return _with_cadoctor(_venv(tmp_path_factory.mktemp("app") / "venv"))


@pytest.fixture(scope="module")
def user(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's own venv: no cadoctor in it."""
    return _venv(tmp_path_factory.mktemp("user") / "venv")


def _check(argv: list[str], env: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """Run a check with --format json; the stderr and the report."""
    done = subprocess.run(
        [*argv, "check", "--format", "json", "--no-verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    assert done.returncode == exit_for(report), done.stderr
    return done.stderr, report


def test_the_active_venv_is_examined(tool: Path, user: Path) -> None:
    """With $VIRTUAL_ENV set to another venv, the command examines that venv's Python and says so first."""
    stderr, report = _check([str(tool / "bin" / "cadoctor")], child_env(VIRTUAL_ENV=str(user)))
    assert report["python"]["executable"] == str(user / "bin" / "python")
    assert report["python"]["prefix"] == str(user)
    assert report["subject"]["kind"] == "interpreter"
    first = stderr.splitlines()[0]
    assert first.startswith("cadoctor: examining %s, the active virtual environment's" % (user / "bin" / "python"))
    assert "the environment pipx made for cadoctor); --python PATH examines another" in first


def test_the_python3_on_path_is_examined(tool: Path, user: Path) -> None:
    """Without $VIRTUAL_ENV, the command examines the python3 on PATH."""
    env = child_env(PATH="%s:/usr/bin:/bin" % (user / "bin"))
    stderr, report = _check([str(tool / "bin" / "cadoctor")], env)
    assert report["python"]["prefix"] == str(user)
    assert re.match(r"cadoctor: examining \S+, the python3 on PATH", stderr)


def test_the_commands_own_environment_when_it_is_the_active_one(tool: Path) -> None:
    """When the command's venv is the active one, it examines itself, silently."""
    stderr, report = _check([str(tool / "bin" / "cadoctor")], child_env(VIRTUAL_ENV=str(tool)))
    assert (report["python"]["prefix"], stderr) == (str(tool), "")


def test_the_tools_own_folder_on_path_is_passed_over(tool: Path, user: Path) -> None:
    """The tool's bin folder first on PATH (uvx puts it there) is not the user's: the next python3 is examined."""
    env = child_env(PATH="%s:%s:/usr/bin:/bin" % (tool / "bin", user / "bin"))
    stderr, report = _check([str(tool / "bin" / "cadoctor")], env)
    assert report["python"]["prefix"] == str(user)
    assert "the python3 on PATH" in stderr


def test_a_script_on_path_is_never_run(tool: Path, tmp_path: Path) -> None:
    """A python3 on PATH that is a script (a pyenv shim) is not run: the command examines itself and says why."""
    shims = tmp_path / "shims"
    shims.mkdir()
    marker = tmp_path / "ran"
    (shims / "python3").write_text('#!/bin/sh\ntouch %s\nexec /usr/bin/python3 "$@"\n' % marker)
    (shims / "python3").chmod(0o755)
    stderr, report = _check([str(tool / "bin" / "cadoctor")], child_env(PATH="%s:/usr/bin:/bin" % shims))
    assert report["python"]["prefix"] == str(tool)
    assert stderr.startswith("cadoctor: the python3 on PATH is %s (a script" % (shims / "python3"))
    assert not marker.exists()


def test_python_m_and_the_api_examine_their_own_interpreter(tool: Path, user: Path) -> None:
    """`python -m cadoctor` and `cadoctor.check()` name their interpreter themselves: no redirection."""
    env = child_env(VIRTUAL_ENV=str(user))
    stderr, report = _check([str(tool / "bin" / "python"), "-m", "cadoctor"], env)
    assert (report["python"]["prefix"], stderr) == (str(tool), "")
    code = "import cadoctor; print(cadoctor.check(verify=False).facts.runtime.prefix)"
    done = subprocess.run(
        [str(tool / "bin" / "python"), "-c", code], env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT
    )
    assert done.stdout.strip() == str(tool)


def test_a_pyenv_shim_is_read_not_run(tool: Path, tmp_path: Path) -> None:
    """A pyenv shim on PATH is resolved from pyenv's files ($PYENV_VERSION, .python-version) and never run."""
    root = tmp_path / "pyenv"
    marker = tmp_path / "ran"
    (root / "shims").mkdir(parents=True)
    (root / "shims" / "python3").write_text("#!/bin/sh\ntouch %s\n" % marker)
    (root / "shims" / "python3").chmod(0o755)
    base = Path(sys.base_prefix) / "bin" / ("python%d.%d" % sys.version_info[:2])
    for name in ("3.99.1", "3.99.2"):
        (root / "versions" / name / "bin").mkdir(parents=True)
        (root / "versions" / name / "bin" / "python3").symlink_to(base)
    path = "%s:/usr/bin:/bin" % (root / "shims")
    stderr, _ = _check([str(tool / "bin" / "cadoctor")], child_env(PATH=path, PYENV_VERSION="3.99.2"))
    assert stderr.startswith(
        "cadoctor: examining %s, the python3 pyenv's shim" % (root / "versions/3.99.2/bin/python3")
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / ".python-version").write_text("3.99.1\n")
    done = subprocess.run(
        [str(tool / "bin" / "cadoctor"), "check", "--format", "json", "--no-verify"],
        cwd=project,
        env=child_env(PATH=path),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    assert done.stderr.startswith("cadoctor: examining %s" % (root / "versions/3.99.1/bin/python3"))
    assert not marker.exists()


def test_an_app_venv_run_by_path_examines_itself(app: Path, user: Path) -> None:
    """`/app/.venv/bin/cadoctor check` examines the app's venv, not the python3 on PATH: it holds the clients."""
    stderr, report = _check([str(app / "bin" / "cadoctor")], child_env(PATH="%s:/usr/bin:/bin" % (user / "bin")))
    assert (report["python"]["prefix"], stderr) == (str(app), "")


def test_an_app_venv_hands_over_to_another_active_venv(app: Path, user: Path) -> None:
    """The app's cadoctor with another venv activated examines that venv, and says it is not the app's."""
    stderr, report = _check([str(app / "bin" / "cadoctor")], child_env(VIRTUAL_ENV=str(user)))
    assert report["python"]["prefix"] == str(user)
    assert stderr.startswith("cadoctor: examining %s, the active virtual environment's" % (user / "bin" / "python"))
    assert "(not %s, which cadoctor runs in)" % (app / "bin" / "python") in stderr


@pytest.mark.parametrize(
    ("layout", "installer"),
    [
        ({"pipx_metadata.json": "{}"}, "pipx"),
        ({"uv-receipt.toml": "[tool]"}, "uv tool"),
        ({"../../CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n"}, "uvx"),
        ({"../../CACHEDIR.TAG": "not the tag"}, None),
        ({"CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n"}, None),  # `uv venv` writes it too
        ({}, None),
    ],
    ids=["pipx", "uv-tool", "uvx", "foreign-tag", "uv-venv", "plain"],
)
def test_each_installers_marker(tmp_path: Path, layout: dict[str, str], installer: str | None) -> None:
    """The marker each tool leaves decides: pipx's metadata, uv's receipt, uvx's folder in uv's tagged cache."""
    from cadoctor._facts.interpreters.user_python import tool_environment

    prefix = tmp_path / "cache" / "archive-v0" / "Ab12"
    prefix.mkdir(parents=True)
    for name, text in layout.items():
        (prefix / name).write_text(text)
    assert tool_environment(str(prefix)) == installer
