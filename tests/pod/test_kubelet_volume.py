"""helpers/kubelet_volume.py lays out and updates a Secret volume as the kubelet does."""

from __future__ import annotations

import os
import stat
import threading

import pytest
from helpers.kubelet_volume import DATA, DATA_TMP, KubeletSecretVolume

pytestmark = pytest.mark.skipif(os.name == "nt", reason="a Secret volume is a Linux directory of symlinks")


def test_first_write_gives_timestamped_dir_data_link_and_one_link_per_key(tmp_path):
    volume = KubeletSecretVolume(tmp_path / "secret")
    stamped = volume.write({".credentials.json": b"one", ".claude.json": b"{}"})
    names = sorted(p.name for p in volume.directory.iterdir())
    assert names == sorted([".claude.json", ".credentials.json", DATA, stamped.name])
    assert stamped.name.startswith("..20") and stamped.is_dir() and not stamped.is_symlink()
    assert os.readlink(volume.directory / DATA) == stamped.name  # relative, like the kubelet's
    for key in (".credentials.json", ".claude.json"):
        link = volume.directory / key
        assert link.is_symlink() and os.readlink(link) == f"{DATA}/{key}"
        assert stat.S_ISREG((stamped / key).lstat().st_mode)
        assert stat.S_IMODE((stamped / key).stat().st_mode) == 0o400
    assert (volume.directory / ".credentials.json").read_bytes() == b"one"


def test_update_swaps_data_adds_and_removes_keys_and_deletes_the_old_dir(tmp_path):
    volume = KubeletSecretVolume(tmp_path / "secret")
    first = volume.write({".credentials.json": b"one", "settings.json": b"s"})
    second = volume.write({".credentials.json": b"two", ".claude.json": b"{}"})
    assert second != first and not first.exists()
    assert os.readlink(volume.directory / DATA) == second.name
    assert not (volume.directory / DATA_TMP).exists() and not (volume.directory / DATA_TMP).is_symlink()
    assert not (volume.directory / "settings.json").is_symlink()  # the key that is gone
    assert (volume.directory / ".credentials.json").read_bytes() == b"two"
    assert volume.keys() == [".claude.json", ".credentials.json"]


def test_a_reader_never_sees_a_missing_or_half_file_during_updates(tmp_path):
    volume = KubeletSecretVolume(tmp_path / "secret")
    contents = [bytes([65 + i]) * 4096 for i in range(5)]
    volume.write({".credentials.json": contents[0]})
    seen: set[bytes] = set()
    errors: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                seen.add((volume.directory / ".credentials.json").read_bytes())
            except OSError as err:
                errors.append(type(err).__name__)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(40):
            for content in contents:
                volume.write({".credentials.json": content})
    finally:
        stop.set()
        reader.join()
    # an old dir removed under a reader that already resolved ..data can give ENOENT, as on a
    # node; a reader never gets a mixture of two contents
    assert seen <= set(contents) and seen, (len(seen), errors[:3])


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown to a group needs root")
def test_fs_group_gives_root_owned_group_readable_files(tmp_path):
    volume = KubeletSecretVolume(tmp_path / "secret", default_mode=0o400, fs_group=1000)
    stamped = volume.write({".credentials.json": b"x"})
    info = (stamped / ".credentials.json").stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, 1000, 0o440)
    assert stamped.stat().st_mode & stat.S_ISGID


@pytest.mark.parametrize("key", ["..data", "a/b", ""])
def test_invalid_keys_are_refused(tmp_path, key):
    with pytest.raises(ValueError):
        KubeletSecretVolume(tmp_path / "secret").write({key: b"x"})
