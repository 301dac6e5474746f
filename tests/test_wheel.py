"""The wheel is complete: built, installed in a fresh venv and run from outside the checkout.

The wheel is built from a clean copy of the checkout with this environment's
setuptools (no build isolation, so no download). The venv borrows this
environment's numpy, PySide6 and pyqtgraph through a ``.pth`` file that lists
their folders as plain paths: ``.pth`` files inside those folders are not run,
so an editable install of clusterviz there (``pip install -e .``) cannot
shadow the installed copy, whether this environment is a venv or not.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from clusterviz.data import BUILTIN_DATASETS

ROOT = Path(__file__).resolve().parents[1]
# One worker builds and installs the wheel once for every test here.
pytestmark = pytest.mark.xdist_group("wheel")

_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".pytest_cache", ".hypothesis",
    "tests",
)


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, **kwargs)


def _checked(args, **kwargs) -> subprocess.CompletedProcess:
    result = _run(args, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


def _dependency_folders() -> list[str]:
    """Where this environment's packages live (site-packages folders)."""
    folders = [sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]
    import site

    folders += site.getsitepackages()
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    unique = dict.fromkeys(str(Path(f).resolve()) for f in folders if Path(f).is_dir())
    return [f for f in unique if not Path(f).is_relative_to(ROOT)]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel, install it in a fresh venv; the venv's python, the wheel and a work folder."""
    setuptools = version("setuptools")
    assert tuple(int(part) for part in setuptools.split(".")[:2]) >= (70, 1), (
        f"setuptools {setuptools} cannot build a wheel alone; `pip install -e \".[test]\"` brings a newer one"
    )
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    _checked([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
              "-q", "-w", str(base / "dist"), str(source)])
    (wheel,) = (base / "dist").glob("clusterviz-*.whl")

    venv = base / "venv"
    _checked([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site_packages = Path(_checked([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
                         .stdout.strip())
    (site_packages / "zz_dependencies_from_test_environment.pth").write_text(
        "\n".join(_dependency_folders()) + "\n", encoding="utf-8"
    )
    _checked([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
              "-q", str(wheel)])
    work = base / "elsewhere"
    work.mkdir()
    return {"python": python, "venv": venv, "wheel": wheel, "work": work}


def test_pyproject_lists_every_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    in_checkout = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "clusterviz").rglob("__init__.py")
    }
    listed = set(config["packages"])
    assert config["package-dir"] == {"clusterviz.resources": "resources"}
    missing = sorted(in_checkout - listed)
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml, or the wheel lacks them"
    assert listed == in_checkout | {"clusterviz.resources"}, sorted(listed - in_checkout)


@pytest.mark.slow
def test_wheel_ships_every_resource_file(installed):
    in_checkout = {
        path.relative_to(ROOT / "resources").as_posix()
        for path in (ROOT / "resources").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {"__init__.py", "datasets/iris.csv", "datasets/old_faithful.csv"} <= in_checkout
    prefix = "clusterviz/resources/"
    with zipfile.ZipFile(installed["wheel"]) as wheel:
        shipped = {name[len(prefix):] for name in wheel.namelist() if name.startswith(prefix)}
    assert shipped == in_checkout, (
        f"in resources/ but not in the wheel: {sorted(in_checkout - shipped)} "
        f"(add a pattern to [tool.setuptools.package-data]); in the wheel only: {sorted(shipped - in_checkout)}"
    )


@pytest.mark.slow
def test_venv_imports_the_installed_copy_not_the_checkout(installed):
    code = (
        "import clusterviz, clusterviz.resources, clusterviz.data.datasets as d\n"
        "print(clusterviz.__file__); print(clusterviz.resources.__file__); print(d.RESOURCE_DIR)\n"
    )
    result = _checked([str(installed["python"]), "-c", code], cwd=installed["work"])
    venv = installed["venv"].resolve()
    for line in result.stdout.split("\n")[:3]:
        path = Path(line).resolve()
        assert path.is_relative_to(venv) and not path.is_relative_to(ROOT), result.stdout
    # The console script is installed too and knows the options.
    script = installed["python"].parent / ("clusterviz.exe" if os.name == "nt" else "clusterviz")
    assert "--screenshot" in _checked([str(script), "--help"], cwd=installed["work"]).stdout


#: Run inside the venv from outside the checkout: the app's command-line entry
#: point once per built-in data set, in one process (a process each would
#: spend most of its time importing Qt). Prints "name exit-code" per data set.
_EVERY_DATASET = """
import sys
from clusterviz.app import main
from clusterviz.data import BUILTIN_DATASETS
for name in BUILTIN_DATASETS:
    code = main(["--dataset", name, "--steps", "2", "--screenshot", name + ".png"])
    print(name, code, flush=True)
"""


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.slow
def test_installed_app_runs_every_builtin_dataset(installed):
    work = installed["work"]
    # The failing command of the bug report, as its own process.
    _checked([str(installed["python"]), "-m", "clusterviz", "--dataset", "iris", "--steps", "2",
              "--screenshot", "cli-iris.png"], cwd=work)
    assert _is_png(work / "cli-iris.png"), "python -m clusterviz wrote no PNG screenshot"

    result = _checked([str(installed["python"]), "-c", _EVERY_DATASET], cwd=work)
    runs = [line.split() for line in result.stdout.splitlines()]
    assert [name for name, _code in runs] == list(BUILTIN_DATASETS), result.stdout
    failures = [f"{name}: exit code {code}" for name, code in runs if code != "0"]
    failures += [f"{name}: no PNG screenshot written" for name, _code in runs if not _is_png(work / f"{name}.png")]
    assert not failures, "\n".join(failures) + "\n" + result.stderr[-3000:]
