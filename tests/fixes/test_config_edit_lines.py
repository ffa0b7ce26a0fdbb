"""The lines a config fix prints: one key of one INI section changed, every other line of the file kept as it was.

The line is POSIX awk; the trial edits its copy with `edited`, the awk program's Python twin. They must agree on
any text, with every awk a system may have (mawk, gawk, the one true awk, BusyBox's), and what the clients then
read must be the new value with everything else unchanged.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.ini_texts import texts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadoctor._facts.interpreters.ini import first_bracket
from cadoctor._fixes.settings import edited
from cadoctor._fixes.shell import ini_edit_line

FIRST = first_bracket("%d.%d.%d" % sys.version_info[:3])  # this Python's configparser's header rule
AWKS = [
    pytest.param(argv, id=argv[-1], marks=pytest.mark.skipif(shutil.which(argv[0]) is None, reason="no " + argv[0]))
    for argv in (("mawk",), ("gawk",), ("original-awk",), ("busybox", "awk"))
]
EDITS = st.tuples(
    st.sampled_from(["default", "profile dev", "global", "DEFAULT", " default ", "profile new"]),
    st.sampled_from(["ca_bundle", "cert"]),
    st.sampled_from([None, "/etc/ssl/certs/ca-certificates.crt", "/srv/it's a $HOME \\n path"]),
)
AWS_CONFIG = """\
# written by hand; the team's profiles below
[default]
region = eu-west-1
; the proxy's bundle, relative to the project
ca_bundle = cabundle-2018aug13.pem
s3 =
  addressing_style = path
  ca_bundle = /nested/is/not/the/profiles.pem

[profile dev]
region = us-east-1
CA_BUNDLE = /old/dev.pem
# trailing comment of dev
"""


def _applied(tmp_path: Path, text: str, line: str, awk: tuple[str, ...] = ("awk",)) -> str:
    """Run the printed line on a file holding `text` (the line's awk swapped for `awk`); the file afterwards."""
    config = tmp_path / "config"
    config.write_bytes(text.encode())
    printed = line.replace(str(tmp_path / "placeholder"), str(config))
    command = printed.replace(" awk '", " %s '" % " ".join(awk), 1)
    done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    return config.read_bytes().decode()


@pytest.mark.parametrize("awk", AWKS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts, edit=EDITS, first=st.booleans())
def test_each_awk_makes_exactly_the_edit_the_trial_tried(
    tmp_path: Path, awk: tuple[str, ...], text: str, edit: tuple[str, str, str | None], first: bool
) -> None:
    """On any INI text, under either header rule, the printed awk line leaves the file as the trial's copy."""
    section, key, value = edit
    line = ini_edit_line(str(tmp_path / "placeholder"), section, key, value, first)
    assert _applied(tmp_path, text, line, awk) == edited(text, section, key, value, first)


def _read(text: str) -> dict[str, dict[str, str]] | None:
    """Every section's own keys as configparser reads them (None when it refuses the file)."""
    parser = configparser.RawConfigParser(default_section="\0")  # DEFAULT as a section of its own
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return {name: dict(parser.items(name)) for name in parser.sections()}


@settings(max_examples=400, deadline=None)
@given(text=texts, edit=EDITS)
def test_the_clients_then_read_the_new_value_and_everything_else_as_before(
    text: str, edit: tuple[str, str, str | None]
) -> None:
    """configparser reads the edited file: the key has its new value (or is gone), every other key is unchanged."""
    section, key, value = edit
    before = _read(text)
    if before is None:
        return
    after = _read(edited(text, section, key, value, FIRST))
    assert after is not None
    expected = {name: dict(keys) for name, keys in before.items()}
    if value is not None:
        expected.setdefault(section, {})[key] = value
    elif section in expected:
        expected[section].pop(key, None)
    assert after == expected


def test_a_real_aws_config_keeps_its_comments_profiles_and_nested_block(tmp_path: Path) -> None:
    """Set in [default]: only its top-level ca_bundle line changes; removed from [profile dev]: only CA_BUNDLE goes."""
    placeholder = str(tmp_path / "placeholder")
    changed = _applied(tmp_path, AWS_CONFIG, ini_edit_line(placeholder, "default", "ca_bundle", "/etc/ssl/corp.pem"))
    assert changed == AWS_CONFIG.replace("ca_bundle = cabundle-2018aug13.pem", "ca_bundle = /etc/ssl/corp.pem")
    removed = _applied(tmp_path, AWS_CONFIG, ini_edit_line(placeholder, "profile dev", "ca_bundle", None))
    assert removed == AWS_CONFIG.replace("CA_BUNDLE = /old/dev.pem\n", "")


def test_a_key_the_section_lacks_goes_after_its_last_key_before_its_trailing_comments(tmp_path: Path) -> None:
    """A new key joins its section after the last key, above the comments that lead into the next section."""
    text = "[global]\nindex-url = https://mirror/simple\n\n# install options\n[install]\nuser = false\n"
    line = ini_edit_line(str(tmp_path / "placeholder"), "global", "cert", "/srv/corp.pem")
    assert _applied(tmp_path, text, line) == text.replace("simple\n", "simple\ncert = /srv/corp.pem\n", 1)
    assert _applied(tmp_path, "", line) == "[global]\ncert = /srv/corp.pem\n"


def test_the_value_reaches_the_file_as_written_whatever_it_holds(tmp_path: Path) -> None:
    """Quotes, dollars, backslashes and spaces: passed through the environment, never read as shell or awk escapes."""
    value = "/srv/it's $HOME \\n `id` \\\\ path.pem"
    line = ini_edit_line(str(tmp_path / "placeholder"), "default", "ca_bundle", value)
    assert _applied(tmp_path, "[default]\nca_bundle = /old\n", line) == "[default]\nca_bundle = %s\n" % value


def test_the_file_keeps_its_owner_mode_and_links(tmp_path: Path) -> None:
    """The edit writes the file in place: a private mode stays private and a link still leads to the edited file."""
    target = tmp_path / "real-config"
    target.write_text("[default]\nca_bundle = /old\n")
    target.chmod(0o600)
    link = tmp_path / "config-link"
    link.symlink_to(target)
    line = ini_edit_line(str(link), "default", "ca_bundle", "/new")
    subprocess.run(["/bin/sh", "-c", line], check=True, timeout=30)
    assert link.is_symlink()
    assert target.read_text() == "[default]\nca_bundle = /new\n"
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config-link", "real-config"]  # no copy left behind
