"""Run a pod of an example manifest on this machine: its init container under the real busybox,
its agent as the real ``claude``, each with the volumes mounted where the manifest says.

As root on Linux every container runs in its own private mount namespace (``unshare -m``):

- the init container gets a root directory that looks like the ``busybox`` image (the Debian
  busybox binary, its shared libraries, one symlink per applet in ``/bin``, ``/dev/null``),
  bind-mounted read-only when the manifest says ``readOnlyRootFilesystem``; each volume is
  bind-mounted at its ``mountPath`` (read-only when ``readOnly``), then ``chroot`` runs the
  container's ``command`` as the pod's ``runAsUser``/``runAsGroup`` with the ``fsGroup`` as
  its only supplementary group, as the kubelet does;
- the agent runs on this machine's root (node and the CLI are here), with a tmpfs over the top
  directory of a ``mountPath`` that does not exist here (``/home``), each volume bind-mounted at
  its ``mountPath``, the manifest's ``env`` as is, and ``setpriv`` to the pod's user.

Without root (a CI runner's ordinary user) the same runs use **path substitution** instead:
every ``mountPath`` in the init's command is replaced by the volume's directory, the command
runs under the real busybox ``sh`` with only the busybox applets on PATH, and the agent gets
``CLAUDE_CONFIG_DIR``, ``HOME`` and ``TMPDIR`` pointing at the test's directories; everything
runs as the current user, who then stands for the pod's user (``user()``).

Nothing is mounted outside those namespaces, and they end with the process. The volumes are
plain directories under one base directory (outside pytest's 0700 temporary root, so the pod's
user can reach them), laid out as the kubelet lays them out (helpers/kubelet_volume.py for a
Secret; for a PV or emptyDir the root owned by root, group ``fsGroup``, mode 2775/2777).
"""

from __future__ import annotations

import atexit
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from .runner import ROOT

BUSYBOX = "/bin/busybox"
IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # the busybox image's PATH


def supported() -> tuple[bool, str]:
    if os.name == "nt":
        return False, "a Linux pod's init cannot run on Windows"
    if not os.path.exists(BUSYBOX):
        return False, f"{BUSYBOX} is missing: apt-get install busybox (.ci/run does this)"
    if namespaces():
        for tool in ("unshare", "chroot", "setpriv", "mount"):
            if not shutil.which(tool):
                return False, f"{tool} is missing (util-linux / coreutils)"
    return True, ""


def namespaces() -> bool:
    """True: mount namespaces, chroot and the pod's uid (root on Linux); False: path substitution."""
    if os.environ.get("CST_POD_TIER") == "substitution":  # to try the fallback as root
        return False
    return hasattr(os, "geteuid") and os.geteuid() == 0 and os.uname().sysname == "Linux"


def user(manifest: Manifest) -> tuple[int, int]:
    """(uid, gid) the containers really run as: the pod's, or the current user's without root."""
    if namespaces():
        return manifest.uid, manifest.fs_group
    return os.getuid(), os.getgid()


@dataclass
class Manifest:
    path: Path
    doc: dict

    @classmethod
    def load(cls, name: str) -> Manifest:
        path = ROOT / "examples" / name
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        return cls(path, docs[0])

    @property
    def pod(self) -> dict:
        return self.doc["spec"]["template"]["spec"]

    @property
    def security(self) -> dict:
        return self.pod.get("securityContext", {})

    @property
    def uid(self) -> int:
        return int(self.security["runAsUser"])

    @property
    def gid(self) -> int:
        return int(self.security.get("runAsGroup", self.uid))

    @property
    def fs_group(self) -> int:
        return int(self.security.get("fsGroup", self.gid))

    @property
    def init(self) -> dict:
        (only,) = self.pod["initContainers"]
        return only

    @property
    def agent(self) -> dict:
        return self.pod["containers"][0]

    def env(self, container: dict) -> dict[str, str]:
        return {e["name"]: e["value"] for e in container.get("env", [])}

    def secret_volume(self) -> str:
        return next(v["name"] for v in self.pod["volumes"] if "secret" in v)

    def secret_mode(self) -> int:
        return int(next(v["secret"].get("defaultMode", 0o644) for v in self.pod["volumes"] if "secret" in v))


def _busybox_libraries() -> list[Path]:
    done = subprocess.run(["ldd", BUSYBOX], capture_output=True, text=True, timeout=30)
    found = []
    for line in done.stdout.splitlines():
        parts = line.split()
        for part in parts:
            if part.startswith("/"):
                found.append(Path(part))
                break
    return found


def busybox_image(root: Path, mount_paths: list[str]) -> Path:
    """A root directory like the busybox image, with empty mount points for ``mount_paths``."""
    (root / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, timeout=30).stdout.split()
    for applet in applets:
        if applet != "busybox":
            os.symlink("busybox", root / "bin" / applet)
    for library in _busybox_libraries():
        target = root / library.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library.resolve(), target)
    (root / "dev").mkdir()
    (root / "dev" / "null").touch()
    for sub in ("tmp", "root", "etc"):
        (root / sub).mkdir(exist_ok=True)
    for path in mount_paths:
        (root / path.lstrip("/")).mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    return root


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _mount_lines(binds: list[tuple[str, str, bool]]) -> list[str]:
    lines = []
    for source, target, read_only in binds:
        lines.append(f"mount --bind {shlex.quote(source)} {shlex.quote(target)}")
        if read_only:
            lines.append(f"mount -o remount,bind,ro {shlex.quote(target)}")
    return lines


def _in_namespace(lines: list[str], argv: list[str], env: dict[str, str], timeout: float) -> Run:
    script = "\n".join(["set -e", *lines, "exec " + " ".join(shlex.quote(a) for a in argv)])
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script],
                          env=env, capture_output=True, text=True, encoding="utf-8", errors="replace",
                          timeout=timeout, stdin=subprocess.DEVNULL)
    return Run(done.returncode, done.stdout, done.stderr)


def _substitute(text: str, paths: dict[str, str]) -> str:
    for mount_path, directory in sorted(paths.items(), key=lambda item: -len(item[0])):
        text = re.sub(r"(?<![\w./-])" + re.escape(mount_path) + r"(?![\w.-])", directory, text)
    return text


def run_init(manifest: Manifest, image: Path, volumes: dict[str, Path], container: dict | None = None,
             timeout: float = 60) -> Run:
    """The init container's ``command`` (parsed from the manifest) in the busybox image root."""
    container = container or manifest.init
    if not namespaces():
        paths = {m["mountPath"]: str(volumes[m["name"]]) for m in container["volumeMounts"]}
        argv = [_substitute(a, paths) for a in [*container["command"], *container.get("args", [])]]
        argv[0] = str(image / "bin" / argv[0]) if "/" not in argv[0] else argv[0]
        env = {"PATH": str(image / "bin"), **manifest.env(container)}
        done = subprocess.run(argv, env=env, cwd=str(image), capture_output=True, text=True, encoding="utf-8",
                              errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
        return Run(done.returncode, done.stdout, done.stderr)
    read_only_root = container.get("securityContext", {}).get("readOnlyRootFilesystem", False)
    binds = [(str(image), str(image), read_only_root), ("/dev/null", str(image / "dev" / "null"), False)]
    for mount in container["volumeMounts"]:
        binds.append((str(volumes[mount["name"]]), str(image / mount["mountPath"].lstrip("/")),
                      bool(mount.get("readOnly"))))
    user = f"--userspec={manifest.uid}:{manifest.gid}"
    argv = ["chroot", user, f"--groups={manifest.fs_group}", str(image), "/bin/env", "-i", f"PATH={IMAGE_PATH}",
            *(f"{k}={v}" for k, v in manifest.env(container).items()), *container["command"],
            *container.get("args", [])]
    return _in_namespace(_mount_lines(binds), argv, {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}, timeout)


_CLI_MOUNTPOINT: list[Path] = []


def _cli_mountpoint() -> Path:
    """An empty directory outside every path a pod mounts over, removed when the tests end."""
    if not _CLI_MOUNTPOINT:
        path = Path(tempfile.mkdtemp(prefix="cst-pod-cli-", dir="/var/tmp"))
        path.chmod(0o755)
        atexit.register(os.rmdir, path)  # rmdir, never rmtree: it only ever held a bind mount
        _CLI_MOUNTPOINT.append(path)
    return _CLI_MOUNTPOINT[0]


def run_agent(manifest: Manifest, volumes: dict[str, Path], argv: list[str], extra_env: dict[str, str],
              timeout: float = 120) -> Run:
    """``argv`` (the real CLI) as the agent container: its mounts, its env, the pod's user."""
    container = manifest.agent
    if not namespaces():
        paths = {m["mountPath"]: str(volumes[m["name"]]) for m in container["volumeMounts"]}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **extra_env,
               **{k: _substitute(v, paths) for k, v in manifest.env(container).items()}}
        scratch = Path(paths.get("/tmp") or tempfile.mkdtemp())
        env["TMPDIR"] = str(scratch)
        home = scratch / "home"  # the image's HOME, not a volume: fresh with every pod
        env["HOME"] = str(home)
        home.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(argv, env=env, cwd=str(home), capture_output=True, text=True, encoding="utf-8",
                              errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
        return Run(done.returncode, done.stdout, done.stderr)
    # The CLI may live under a path the pod's mounts cover (a checkout under /tmp, whose emptyDir
    # the agent gets): its directory is bound at a path of its own first.
    cli = Path(argv[0]).resolve()
    lines, covered = [f"mount --bind {shlex.quote(str(cli.parent))} {shlex.quote(str(_cli_mountpoint()))}"], set()
    argv = [str(_cli_mountpoint() / cli.name), *argv[1:]]
    binds = []
    for mount in container["volumeMounts"]:
        path = mount["mountPath"]
        top = "/" + path.strip("/").split("/")[0]
        if not os.path.exists(path) and top not in covered:
            assert top not in ("/", "/usr", "/etc", "/proc", "/dev", "/work", "/var"), path
            lines.append(f"mount -t tmpfs -o mode=755 tmpfs {shlex.quote(top)}")
            covered.add(top)
        lines.append(f"mkdir -p {shlex.quote(path)}")
        binds.append((str(volumes[mount["name"]]), path, bool(mount.get("readOnly"))))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **extra_env, **manifest.env(container)}
    home = env.get("HOME", "/")
    lines += _mount_lines(binds) + [f"mkdir -p {shlex.quote(home)}", f"cd {shlex.quote(home)}"]
    user = ["setpriv", f"--reuid={manifest.uid}", f"--regid={manifest.gid}", f"--groups={manifest.fs_group}", "--"]
    return _in_namespace(lines, user + argv, env, timeout)


def persistent_volume(path: Path, fs_group: int, mode: int = 0o2775) -> Path:
    """A fresh PV (or emptyDir, mode 2777) root as the kubelet leaves it with an ``fsGroup``."""
    path.mkdir(parents=True)
    if namespaces():
        os.chown(path, 0, fs_group)
    path.chmod(mode)
    return path
