"""A Secret volume laid out, and updated, the way the kubelet does it (its "atomic writer").

On the node, a Secret volume's directory holds

- ``..2026_12_01_21_45_10.123456789/``: a timestamped directory with one regular file per key;
- ``..data -> ..2026_12_01_21_45_10.123456789``: a relative symlink to the current one;
- ``KEY -> ..data/KEY``: one relative symlink per key, the only names a container sees as files.

An update writes the new content into a NEW timestamped directory, points a temporary symlink
``..data_tmp`` at it and renames that over ``..data`` (one atomic switch for every key at once),
adds symlinks for new keys, removes those of keys that are gone, then deletes the old
directory. The files are owned by root; with a pod ``fsGroup`` their group is that group and
group read is added to ``defaultMode`` (a read-only volume: 0400 becomes 0440), directories get
the set-group-id bit.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

DATA = "..data"
DATA_TMP = "..data_tmp"


@dataclass
class KubeletSecretVolume:
    directory: Path
    default_mode: int = 0o400
    fs_group: int | None = None
    _counter: int = 0

    def mode(self) -> int:
        return self.default_mode | (0o440 if self.fs_group is not None else 0)

    def current(self) -> Path | None:
        """The timestamped directory ``..data`` points at, or None before the first write."""
        link = self.directory / DATA
        return self.directory / os.readlink(link) if link.is_symlink() else None

    def keys(self) -> list[str]:
        current = self.current()
        return sorted(p.name for p in current.iterdir()) if current else []

    def write(self, files: dict[str, bytes]) -> Path:
        """Publish ``files`` (key -> content) as the kubelet does; returns the new timestamped dir."""
        for key in files:
            if "/" in key or key.startswith("..") or not key:
                raise ValueError(f"not a valid Secret key: {key!r}")
        self.directory.mkdir(parents=True, exist_ok=True)
        old = self.current()
        old_keys = set(self.keys())
        self._counter += 1
        stamp = time.strftime("..%Y_%m_%d_%H_%M_%S", time.gmtime()) + f".{time.time_ns() % 10**9:09d}{self._counter}"
        new = self.directory / stamp
        new.mkdir(mode=0o755)
        for key, content in files.items():
            path = new / key
            path.write_bytes(content)
            self._own(path, self.mode())
        self._own(new, 0o755 | (0o2000 if self.fs_group is not None else 0))
        tmp = self.directory / DATA_TMP
        if tmp.is_symlink():
            tmp.unlink()
        os.symlink(stamp, tmp)
        os.rename(tmp, self.directory / DATA)  # the one atomic switch
        for key in files:
            link = self.directory / key
            if not link.is_symlink():
                os.symlink(f"{DATA}/{key}", link)
        for key in old_keys - set(files):
            (self.directory / key).unlink()
        if old is not None and old != new:
            shutil.rmtree(old)
        return new

    def _own(self, path: Path, mode: int) -> None:
        if self.fs_group is not None and hasattr(os, "chown"):
            os.chown(path, 0 if os.geteuid() == 0 else -1, self.fs_group)
        os.chmod(path, mode)
