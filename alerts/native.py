"""The detector compiled to C by mypyc, beside the pure-Python one it is built from.

Every message passes through ``scan`` on service_1's event loop, and most of its cost is Python's own
overhead between the regex calls (function calls, loops, small objects). mypyc compiles the same
type-checked source files to a C extension that removes much of it (bench/detector.py measures both).

The character-by-character passes (alerts/patterns/_textscan.c, with its types in _textscan.pyi) are C
written by hand, built into the same package; the Python engine runs their Python versions.

The engine's files (alerts/detector.py, alerts/masking.py, alerts/patterns/) import each other relatively,
so they compile unchanged as the package ``alerts_native``, installed beside the venv's packages: the
pure-Python modules stay importable and editable, and nothing compiled ever sits in the source tree to
shadow them. The build records a hash of the sources it compiled; ``load`` uses the compiled engine only
when that hash matches the sources on disk, so an edited pattern is never served by a stale build — it
falls back to Python until ``python -m alerts build`` runs again (scripts/run and scripts/test do that
whenever the hash moves).

``ALERTS_NATIVE=0`` forces the pure-Python engine.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sysconfig
import tempfile
from collections.abc import Callable
from pathlib import Path

from alerts.findings import Finding

PACKAGE = "alerts_native"
_HERE = Path(__file__).resolve().parent

Scan = Callable[[str], list[Finding]]


def engine_sources() -> list[Path]:
    """The files compiled into the engine, in a stable order: the Python modules mypyc compiles and the C
    extensions written by hand (``patterns/*.c``, one module each)."""
    patterns = _HERE / "patterns"
    return [
        _HERE / "detector.py",
        _HERE / "masking.py",
        *sorted(patterns.glob("*.py")),
        *sorted(patterns.glob("*.c")),
        *sorted(patterns.glob("*.pyi")),
    ]


def source_hash() -> str:
    """Of the compiled files and of findings.py, whose types the compiled code was checked against."""
    digest = hashlib.sha256()
    for path in [*engine_sources(), _HERE / "findings.py"]:
        digest.update(path.relative_to(_HERE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def load() -> Scan | None:
    """The compiled ``scan`` when a build of exactly these sources is installed, else None."""
    if os.environ.get("ALERTS_NATIVE", "1") == "0":
        return None
    try:
        import alerts_native  # type: ignore[import-not-found]
    except ImportError:
        return None
    if getattr(alerts_native, "SOURCE_HASH", None) != source_hash():
        return None
    try:
        from alerts_native.detector import scan  # type: ignore[import-not-found]
    except ImportError:  # built for another Python, or a half-removed build
        return None
    return scan  # type: ignore[no-any-return]


def installed_hash() -> str | None:
    try:
        import alerts_native
    except ImportError:
        return None
    return getattr(alerts_native, "SOURCE_HASH", None)


def default_target() -> Path:
    """This Python's site-packages (the venv's): where ``alerts_native`` is importable from."""
    return Path(sysconfig.get_paths()["platlib"])


def build(target: Path, *, quiet: bool = True) -> None:
    """Compiles the engine's sources into ``target``.

    Needs the ``native`` extra (mypy, whose mypyc does the compiling, and setuptools) and a C compiler.
    A type error in the engine fails the build: mypyc compiles only code that type-checks.
    """
    from mypyc.build import mypycify
    from setuptools import Distribution, Extension

    digest = source_hash()
    with tempfile.TemporaryDirectory(prefix="alerts-native-") as tmp:
        root = Path(tmp)
        pkg = root / PACKAGE
        (pkg / "patterns").mkdir(parents=True)
        compiled = []
        for path in engine_sources():
            rel = path.relative_to(_HERE)
            shutil.copyfile(path, pkg / rel)
            compiled.append(f"{PACKAGE}/{rel.as_posix()}")
        # Not compiled: the hash must be readable without loading the extension.
        (pkg / "__init__.py").write_text(
            f'"""Built by alerts.native from the sources with this hash; do not edit."""\n\n'
            f'SOURCE_HASH = "{digest}"\n'
        )
        # The engine's one absolute import, alerts.findings, for mypy to check it against (only): at run
        # time the compiled code imports the real one. (Its own import of the pure masking module is for the
        # public alerts.mask.)
        (root / "alerts").mkdir()
        (root / "alerts" / "__init__.py").write_text("")
        shutil.copyfile(_HERE / "findings.py", root / "alerts" / "findings.py")
        shutil.copyfile(_HERE / "masking.py", root / "alerts" / "masking.py")
        cwd = os.getcwd()
        os.chdir(root)
        try:
            # .py: compiled by mypyc; .c: a hand-written extension module; .pyi: its types, for mypyc's check.
            modules = [name for name in compiled if name.endswith(".py")]
            # The project's strict mypy settings are for checking; mypyc only needs the code to type.
            options = ["--no-warn-unreachable"]
            extensions = mypycify(options + modules, opt_level="3", group_name=PACKAGE, verbose=not quiet)
            extensions += [
                Extension(name.removesuffix(".c").replace("/", "."), [name], extra_compile_args=["-O3"])
                for name in compiled
                if name.endswith(".c")
            ]
            dist = Distribution({"name": PACKAGE, "ext_modules": extensions})
            command = dist.get_command_obj("build_ext")
            command.inplace = True  # type: ignore[attr-defined]
            dist.run_command("build_ext")
        finally:
            os.chdir(cwd)
        _install(root, target)


def _install(root: Path, target: Path) -> None:
    """Replaces any earlier build in ``target`` with the one under ``root``."""
    target.mkdir(parents=True, exist_ok=True)
    for old in [target / PACKAGE, *target.glob(f"{PACKAGE}__mypyc*")]:
        if old.is_dir():
            shutil.rmtree(old)
        elif old.exists():
            old.unlink()
    for shared in root.glob(f"{PACKAGE}__mypyc*"):
        shutil.copy2(shared, target / shared.name)
    shutil.copytree(root / PACKAGE, target / PACKAGE, ignore=shutil.ignore_patterns("*.c", "*.h"))
