"""An image's ENV read from its config (OCI, docker inspect) or its Dockerfile: the forms users pass, and bad ones."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadoctor._facts.subjects.image_config import DEFAULT_PATH, LIMIT, ImageConfigError, read_image_config


def _written(tmp_path: Path, text: str | bytes, name: str = "Dockerfile") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def test_an_oci_config_gives_its_env(tmp_path: Path) -> None:
    """`config.Env` of an OCI image config (what `docker save` and an OCI layout hold)."""
    config = {"architecture": "amd64", "config": {"Env": ["PATH=/opt/venv/bin:/usr/bin", "SSL_CERT_FILE=/a b.pem"]}}
    found = read_image_config(_written(tmp_path, json.dumps(config), "config.json"))
    assert found == {"PATH": "/opt/venv/bin:/usr/bin", "SSL_CERT_FILE": "/a b.pem"}


def test_docker_inspect_output_gives_the_first_images_env(tmp_path: Path) -> None:
    """What `docker inspect IMAGE` prints: a list whose first object has `Config.Env`."""
    inspected = [{"Id": "sha256:0", "Config": {"Env": ["REQUESTS_CA_BUNDLE=/etc/corp.pem", "not-a-pair", "=x"]}}]
    assert read_image_config(_written(tmp_path, json.dumps(inspected), "inspect.json")) == {
        "REQUESTS_CA_BUNDLE": "/etc/corp.pem"
    }


def test_a_config_without_env_sets_nothing(tmp_path: Path) -> None:
    """An image that sets no variable: an empty environment, not an error."""
    assert read_image_config(_written(tmp_path, '{"config": {"Cmd": ["python3"]}}', "config.json")) == {}


def test_a_dockerfiles_last_stage_sets_the_env(tmp_path: Path) -> None:
    """The last stage's ENV, in order, continued lines joined, `$VAR`/`${VAR}` expanded, the old form read too."""
    text = (
        "# syntax=docker/dockerfile:1\n"
        "FROM python:3.12 AS build\n"
        "ENV PATH=/build/bin:$PATH BUILD_ONLY=1\n"
        "FROM debian:bookworm-slim\n"
        "ENV VIRTUAL_ENV=/opt/venv \\\n"
        "    # a comment inside the instruction\n"
        '    PATH="/opt/venv/bin:${PATH}"\n'
        "env CURL_CA_BUNDLE /etc/ssl/certs/corp bundle.pem\n"
        "ENV A=1 B=$A\n"
    )
    found = read_image_config(_written(tmp_path, text))
    assert found == {
        "PATH": "/opt/venv/bin:" + DEFAULT_PATH,
        "VIRTUAL_ENV": "/opt/venv",
        "CURL_CA_BUNDLE": "/etc/ssl/certs/corp bundle.pem",
        "A": "1",
        "B": "",  # one instruction sees the values set before it, as Docker's does
    }


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("FROM x\nENV A='unbalanced\n", "cannot read ENV"),
        ("just some text\n", "no FROM instruction"),
        ('{"layers": []}', "no image config"),
        ('{"config": {"Env": "PATH=/x"}}', "not a list"),
        ("{broken", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        ("[" * 100000, "not valid JSON"),
    ],
)
def test_what_is_no_config_gets_one_line(tmp_path: Path, content: str | bytes, said: str) -> None:
    """Garbage, truncated JSON, a text without FROM, deep nesting: ImageConfigError, saying why."""
    with pytest.raises(ImageConfigError, match=said):
        read_image_config(_written(tmp_path, content))


def test_a_fifo_a_folder_a_missing_and_a_huge_file_are_refused(tmp_path: Path) -> None:
    """Never opened for a blocking read, never read past the limit."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, said in (
        (str(fifo), "not a regular file"),
        (str(tmp_path), "not a regular file"),
        (str(tmp_path / "none"), "cannot read"),
        (_written(tmp_path, "FROM x\n" + "#" * LIMIT, "huge"), "larger than"),
    ):
        with pytest.raises(ImageConfigError, match=said):
            read_image_config(path)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400) | st.binary(max_size=400))
def test_any_bytes_give_an_environment_or_the_declared_error(
    tmp_path_factory: pytest.TempPathFactory, data: object
) -> None:
    """The reader fails only in its declared way, on any input."""
    assert isinstance(data, (str, bytes))
    path = _written(tmp_path_factory.mktemp("fuzz"), "FROM x\nENV " + data if isinstance(data, str) else data)
    try:
        found = read_image_config(path)
    except ImageConfigError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in found.items())
