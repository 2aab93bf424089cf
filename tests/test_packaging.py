"""hedgelib installs as a package of its own: ``pip install .`` from the project root gives a
notebook anywhere ``import hedgelib``, and nothing of the app or the tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    # Build from a copy: setuptools writes build/ and *.egg-info beside the sources.
    source = build / "project"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "hedgelib", source / "hedgelib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    # The app and the tests sit beside the library in the checkout: they must stay out.
    for other in ("ui", "pages", "tests"):
        (source / other).mkdir()
        (source / other / "__init__.py").write_text("")
    # No build isolation: the build backend (setuptools) is taken from this environment,
    # so the test never reaches for the package index.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(out), str(source)],
        capture_output=True, text=True, cwd=build,
        env={"PATH": "/usr/bin:/bin", "PIP_NO_INDEX": "1", "HOME": str(build),
             "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (found,) = out.glob("hedgelib-*.whl")
    return found


def test_the_wheel_holds_only_the_library(wheel: Path):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"hedgelib"}
    assert "hedgelib/__init__.py" in names and "hedgelib/pricing/black_scholes.py" in names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    with zipfile.ZipFile(wheel) as z:
        text = z.read(metadata).decode()
    requires = [line for line in text.splitlines() if line.startswith("Requires-Dist:")]
    assert any("numpy" in line for line in requires)
    assert not any("streamlit" in line for line in requires)


def test_installed_wheel_imports_from_another_folder(wheel: Path, tmp_path: Path):
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(site),
         str(wheel)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    elsewhere = tmp_path / "notebook"
    elsewhere.mkdir()
    code = (
        "import hedgelib, pathlib, sys\n"
        f"assert pathlib.Path(hedgelib.__file__).is_relative_to({str(site)!r}), hedgelib.__file__\n"
        "print(round(hedgelib.bs_price(100, 100, 1.0, 0.2), 4))\n"
    )
    # -I: isolated mode, so neither the checkout nor PYTHONPATH is on the path; only the
    # install target (and the interpreter's own site-packages for numpy and friends).
    run = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r})\n" + code],
        capture_output=True, text=True, cwd=elsewhere,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "7.9656"
