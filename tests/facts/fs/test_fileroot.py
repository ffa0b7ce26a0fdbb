"""FileRoot: paths of another root resolved inside it, as the kernel would resolve them there."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from cadoctor._facts.certs.bundle import inventory_bundle
from cadoctor._facts.fs.fileroot import HOST, FileRoot


@pytest.fixture
def image(tmp_path: Path) -> Path:
    """A small tree laid out like an image, whose links are absolute as Debian's are."""
    root = tmp_path / "image"
    (root / "usr/share/ca-certificates").mkdir(parents=True)
    (root / "etc/ssl/certs").mkdir(parents=True)
    (root / "usr/share/ca-certificates/inside.crt").write_text("inside the image\n")
    os.symlink("/usr/share/ca-certificates/inside.crt", root / "etc/ssl/certs/inside.pem")
    os.symlink("../../../../../../../../etc/hostname", root / "etc/ssl/certs/climb.pem")
    os.symlink("/etc/ssl/certs/loop-b", root / "etc/ssl/certs/loop-a")
    os.symlink("/etc/ssl/certs/loop-a", root / "etc/ssl/certs/loop-b")
    os.symlink("/etc/ssl", root / "etc/ssl-link")
    return root


def test_absolute_links_resolve_inside_the_root(image: Path) -> None:
    """An absolute link leads to the image's own file, not to the host's file of the same name."""
    view = FileRoot(str(image))
    assert view.resolve("/etc/ssl/certs/inside.pem") == "/usr/share/ca-certificates/inside.crt"
    assert Path(view.host("/etc/ssl/certs/inside.pem")).read_text() == "inside the image\n"
    assert view.resolve("/etc/ssl-link/certs/inside.pem") == "/usr/share/ca-certificates/inside.crt"


def test_dot_dot_never_climbs_out_of_the_root(image: Path) -> None:
    """A link with more `..` than the root is deep stops at the root, as chroot would."""
    view = FileRoot(str(image))
    assert view.resolve("/etc/ssl/certs/climb.pem") == "/etc/hostname"
    assert view.host("/etc/ssl/certs/climb.pem") == str(image / "etc/hostname")
    assert not view.exists("/etc/ssl/certs/climb.pem")


def test_a_link_loop_is_an_eloop_error(image: Path) -> None:
    """Links that lead to each other raise ELOOP instead of spinning."""
    with pytest.raises(OSError, match="loop") as caught:
        FileRoot(str(image)).host("/etc/ssl/certs/loop-a")
    assert caught.value.errno == errno.ELOOP


def test_missing_names_and_dangling_links(image: Path) -> None:
    """A missing path stays as written; a dangling link exists as a name but not as a file."""
    view = FileRoot(str(image))
    assert view.resolve("/no/such/file") == "/no/such/file"
    os.symlink("/nowhere", image / "etc/dangling")
    assert view.lexists("/etc/dangling")
    assert not view.exists("/etc/dangling")
    assert view.exists("/etc/ssl", directory=True)


def test_the_host_view_leaves_paths_to_the_kernel() -> None:
    """The host's view changes no path and resolves as realpath does."""
    assert HOST.host("/etc/ssl/certs") == "/etc/ssl/certs"
    assert HOST.resolve("/etc/ssl/certs/..") == os.path.realpath("/etc/ssl")
    assert FileRoot("/") == HOST


def test_a_directory_inventory_follows_links_inside_the_root(image: Path) -> None:
    """The CA directory of an image is read through its own links: the host's certificates are never counted."""
    bundle = inventory_bundle("/etc/ssl/certs", ("system",), 0, FileRoot(str(image)))
    assert bundle.kind == "directory"
    assert bundle.certificates == 0  # the image's inside.crt is not a certificate; the host's would be
    assert bundle.realpath == "/etc/ssl/certs"
