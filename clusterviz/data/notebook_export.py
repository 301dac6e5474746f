"""Export a fit as a Jupyter notebook or a Python script (no Qt).

The export rebuilds what the app shows with `clusterviz.model` alone: the
data (inline for small data, a CSV file beside the export for large), the
app's start written out in full precision (``repr`` of every float, so it
reads back bit for bit), and the same full steps, printing the objective
after every step as the app held it (``step 3: J = 322.0037...``). When
scikit-learn is installed, a last cell runs its twin of the estimator from
the same start and prints both results.

`export_run(session)` reads a session (through its public properties only:
this module imports nothing from the session layer); `script_text` and
`notebook_text` render it; `write_export` writes a file and, for large data,
its CSV. The script uses ``# %%`` cells (VS Code, Spyder, Jupytext); the
notebook is nbformat 4.5 JSON, written by hand.
"""
from __future__ import annotations

import csv
import dataclasses
import inspect
import io
import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic_write import write_bytes_atomic
from .dataset import DataError

__all__ = ["INLINE_VALUES", "ExportRun", "export_run", "notebook_text", "script_text", "write_export"]

#: Data with more numbers than this are written to a CSV file beside the export.
INLINE_VALUES = 4000
#: Start fields never written (assignments, notes, k-means++ picks).
_SKIPPED_FIELDS = frozenset({"labels", "soft_responsibilities", "notes", "seeding"})
#: Objectives quoted in the export's introduction (the loop prints them all).
_QUOTED_STEPS = 12


@dataclass(frozen=True, eq=False)
class ExportRun:
    """Everything an export writes.

    Attributes
    ----------
    title : str
        "K-Means on three_blobs".
    dataset : str
    columns : tuple of str
    X : ndarray of shape (n_samples, n_features)
    estimator : str
        The estimator's class name ("KMeans").
    module : str
        Where to import it from ("clusterviz.model").
    params : dict
        Constructor keywords that differ from the defaults (numbers, text).
    start : dict
        The app's first fit state ("init"): `FitState` field -> value.
    steps : int
        Full steps to run.
    symbol : str
        "J" or "ℓ".
    objective_name : str
    objectives : tuple of float
        The objective the app held after each step.
    settings : str
        One line: "K = 3 · init random · seed 7".
    lengths : tuple of int or None
        The data's sequence lengths (`Dataset.lengths`); None: one sequence,
        or data whose order the estimator does not use.
    """

    title: str
    dataset: str
    columns: tuple[str, ...]
    X: np.ndarray
    estimator: str
    module: str
    params: dict
    start: dict
    steps: int
    symbol: str
    objective_name: str
    objectives: tuple[float, ...]
    settings: str
    lengths: tuple[int, ...] | None = None


def _one_line(text) -> str:
    """Text safe inside a comment or a Markdown line: no line breaks or control characters."""
    return "".join(c if c.isprintable() else " " for c in str(text)).strip()


def _plain(value):
    """A numpy scalar as the Python value it holds."""
    return value.item() if isinstance(value, np.generic) else value


def _constructor_params(model) -> dict:
    """The estimator's constructor keywords whose values differ from the
    defaults and can be written as literals (arrays and generators left out:
    the export passes the start explicitly)."""
    params = {}
    for name, parameter in inspect.signature(type(model).__init__).parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        value = _plain(getattr(model, name, parameter.default))
        if value is None or isinstance(value, (bool, int, float, str)):
            if value != parameter.default or type(value) is not type(parameter.default):
                params[name] = value
    return params


def _start_fields(entry) -> dict:
    fields = {}
    for f in dataclasses.fields(entry):
        value = getattr(entry, f.name)
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if f.name in _SKIPPED_FIELDS or (not required and (value is None or value is False)):
            continue
        fields[f.name] = np.array(value, dtype=np.float64) if isinstance(value, np.ndarray) else _plain(value)
    return fields


def export_run(session) -> ExportRun:
    """What to export from ``session`` (a `clusterviz.session.Session`): its
    data, estimator, start and the full steps up to the shown entry.

    Raises
    ------
    DataError
        There is no fit to export (too few points); the message says why.
    """
    timeline = session.timeline
    if not timeline:
        raise DataError(f"There is no fit to export: {session.problem or 'no state'}")
    first = int(session.n_seed_entries)
    shown = timeline[first: session.cursor + 1]
    objectives = tuple(float(e.objective) for e in shown if e.phase == "M")
    entry, model, dataset = session.algorithm_entry, session.model, session.dataset
    exported = type(model).__name__
    public = sys.modules.get("clusterviz.model")  # already imported by whoever built the model
    module = "clusterviz.model" if getattr(public, exported, None) is type(model) else type(model).__module__
    start = timeline[first]
    settings = [f"K = {session.n_clusters}",
                "hand-placed initial means" if session.initial_means is not None else f"init {session.init}",
                f"seed {session.seed}"]
    if entry.covariance_types:
        settings.append(f"covariance {session.covariance_type}")
    if entry.uses_beta:
        settings.append(f"β = {session.beta:g}")
    return ExportRun(title=f"{entry.label} on {_one_line(dataset.name)}", dataset=_one_line(dataset.name),
                     columns=tuple(_one_line(c) for c in dataset.columns), X=np.array(session.X, dtype=np.float64),
                     estimator=exported, module=module, params=_constructor_params(model),
                     start=_start_fields(start), steps=len(objectives), symbol=entry.objective_symbol,
                     objective_name=entry.objective_name, objectives=objectives, settings=" · ".join(settings),
                     lengths=None if dataset.lengths is None else tuple(int(n) for n in dataset.lengths))


# ---------------------------------------------------------------- literals
def _float(x: float) -> str:
    x = float(x)
    if math.isfinite(x):
        return repr(x)
    return "float('nan')" if math.isnan(x) else ("float('inf')" if x > 0 else "-float('inf')")


def _nested(a: np.ndarray) -> str:
    if a.ndim == 1:
        return "[" + ", ".join(_float(x) for x in a) + "]"
    return "[" + ", ".join(_nested(row) for row in a) + "]"


def _array(a: np.ndarray, indent: str = "") -> str:
    """``np.array([...])`` holding ``a`` exactly; 2-D data one row per line."""
    if a.ndim == 0:
        return _float(a)
    if a.ndim == 2 and a.shape[0] > 4:
        rows = ",\n".join(f"{indent}    {_nested(row)}" for row in a)
        return f"np.array([\n{rows},\n{indent}])"
    return f"np.array({_nested(a)})"


def _value(value, indent: str = "") -> str:
    if isinstance(value, np.ndarray):
        return _array(value, indent)
    if isinstance(value, float):
        return _float(value)
    return repr(value)


# ------------------------------------------------------------------- cells
def _intro(run: ExportRun, data_file: str | None) -> str:
    n, d = run.X.shape
    where = f"read from `{data_file}` beside this file" if data_file else "written out below"
    lines = [f"# {run.title}: {run.steps} steps, exported from clusterviz",
             "",
             f"Data: {run.dataset}, {n} points × {d} columns ({', '.join(run.columns)}), {where}. "
             f"{run.settings}.",
             "",
             "The start is the app's initial state with every number written out in full precision, "
             "so the steps below are the app's steps. After each step the app held:",
             ""]
    quoted = run.objectives if len(run.objectives) <= _QUOTED_STEPS else run.objectives[:_QUOTED_STEPS]
    lines += [f"    step {i}: {run.symbol} = {value!r}" for i, value in enumerate(quoted, 1)]
    if len(quoted) < len(run.objectives):
        lines.append(f"    … ({len(run.objectives) - len(quoted)} more)")
    if not run.objectives:
        lines.append("    (no step yet: the loop below runs none)")
    return "\n".join(lines)


def _data_code(run: ExportRun, data_file: str | None) -> str:
    n, d = run.X.shape
    head = f"# {run.dataset}: {n} points x {d} columns ({', '.join(run.columns)})\n"
    if data_file is None:
        code = head + f"X = {_array(run.X)}"
    else:
        code = (head + "HERE = Path(__file__).resolve().parent if \"__file__\" in globals() else Path.cwd()\n"
                f"X = np.loadtxt(HERE / {data_file!r}, delimiter=\",\", skiprows=1, ndmin=2)")
    if run.lengths is None:
        return code + "\ndata = X"
    return (code + f"\n# the rows are {len(run.lengths)} sequence(s), one after another, of these lengths\n"
            f"data = prepare(X, lengths={list(run.lengths)!r})")


def _start_code(run: ExportRun) -> str:
    items = "\n".join(f"    {name}={_value(value, '    ')}," for name, value in run.start.items())
    return f"# The app's start, as it held it (model.initialize(X) is not called)\nstart = FitState(\n{items}\n)"


def _steps_code(run: ExportRun) -> str:
    params = ", ".join(f"{name}={_value(value)}" for name, value in run.params.items())
    return (f"model = {run.estimator}({params})\n"
            f"STEPS = {run.steps}\n"
            "state = start\n"
            "objectives = []\n"
            "for i in range(1, STEPS + 1):\n"
            "    state = model.step(data, state)  # one E-step, then one M-step\n"
            "    objective = float(state.objective)\n"
            "    objectives.append(objective)\n"
            f"    print(f\"step {{i}}: {run.symbol} = {{objective!r}}\")")


_SKLEARN_GUARD = (
    "import warnings\n\n"
    "try:\n"
    "    {imports}\n"
    "except ImportError:\n"
    "    {name} = None\n"
    "    print(\"scikit-learn is not installed; `pip install scikit-learn` to compare with it.\")\n\n"
    "if {name} is not None:\n"
    "    with warnings.catch_warnings():\n"
    "        warnings.simplefilter(\"ignore\")  # stopping after STEPS iterations is what we ask for\n")


def _kmeans_twin(run: ExportRun) -> str:
    guard = _SKLEARN_GUARD.format(imports="from sklearn.cluster import KMeans as SklearnKMeans",
                                  name="SklearnKMeans")
    return guard + (
        "        sk = SklearnKMeans(n_clusters=start.means.shape[0], init=start.means, n_init=1,\n"
        "                           max_iter=max(STEPS, 1), tol=0.0, algorithm=\"lloyd\").fit(X)\n"
        "    # scikit-learn reports J with every point assigned to the final centres: one more E-step here\n"
        "    final = model.e_step(X, state)\n"
        "    print(f\"clusterviz:   J = {float(final.objective)!r}\")\n"
        "    print(f\"scikit-learn: J = {float(sk.inertia_)!r}\")\n"
        "    print(\"largest difference between the centres:\", float(np.max(np.abs(sk.cluster_centers_ - final.means))))\n"
        "    print(\"labels agree:\", bool(np.array_equal(sk.labels_, final.labels)))")


def _gmm_twin(run: ExportRun) -> str:
    guard = _SKLEARN_GUARD.format(imports="from sklearn.mixture import GaussianMixture as SklearnGaussianMixture",
                                  name="SklearnGaussianMixture")
    return guard + (
        "        covariance_type = model.covariance_type\n"
        "        covariances = np.asarray(start.covariances)  # always full (K, D, D) matrices here\n"
        "        precisions = {\n"
        "            \"full\": lambda: np.linalg.inv(covariances),\n"
        "            \"tied\": lambda: np.linalg.inv(covariances[0]),\n"
        "            \"diag\": lambda: 1.0 / np.diagonal(covariances, axis1=1, axis2=2),\n"
        "            \"spherical\": lambda: 1.0 / covariances[:, 0, 0],\n"
        "        }[covariance_type]()\n"
        "        sk = SklearnGaussianMixture(n_components=start.means.shape[0], covariance_type=covariance_type,\n"
        "                                    reg_covar=model.reg_covar, tol=0.0, max_iter=max(STEPS, 1),\n"
        "                                    weights_init=start.weights, means_init=start.means,\n"
        "                                    precisions_init=precisions).fit(X)\n"
        "    print(f\"clusterviz:   ℓ = {float(state.objective)!r}\")\n"
        "    print(f\"scikit-learn: ℓ = {float(sk.score(X) * len(X))!r}\")\n"
        "    print(\"largest difference between the means:\", float(np.max(np.abs(sk.means_ - state.means))))\n"
        "    print(\"labels agree:\", bool(np.array_equal(sk.predict(X), model.e_step(X, state).labels)))")


#: The scikit-learn estimator that steps like ours, by our estimator's class name.
_SKLEARN_TWINS = {"KMeans": _kmeans_twin, "GaussianMixture": _gmm_twin}


def _cells(run: ExportRun, data_file: str | None) -> list[tuple[str, str]]:
    """(kind, source) of every cell: "markdown" or "code"."""
    imports = "import numpy as np\n"
    if data_file is not None:
        imports += "from pathlib import Path\n"
    if run.module == "clusterviz.model":
        imports += f"\nfrom clusterviz.model import FitState, {run.estimator}, prepare"
    else:
        imports += f"\nfrom clusterviz.model import FitState, prepare\nfrom {run.module} import {run.estimator}"
    cells = [("markdown", _intro(run, data_file)),
             ("code", imports),
             ("code", _data_code(run, data_file)),
             ("code", _start_code(run)),
             ("markdown", f"## The steps\n\nThe {run.objective_name.lower()} after every full step "
                          "(E-step, then M-step), at full precision."),
             ("code", _steps_code(run))]
    twin = _SKLEARN_TWINS.get(run.estimator)
    if twin is None:
        cells.append(("markdown", f"scikit-learn has no estimator that steps like {run.estimator}; "
                                  "there is nothing to compare with."))
    else:
        cells += [("markdown", "## The same start in scikit-learn\n\nRun only when scikit-learn is installed."),
                  ("code", twin(run))]
    return cells


def script_text(run: ExportRun, data_file: str | None = None) -> str:
    """The export as a Python script with ``# %%`` cells."""
    parts = [f'"""{run.title}: exported from clusterviz (run it with python, or cell by cell)."""']
    for kind, source in _cells(run, data_file):
        if kind == "markdown":
            body = "\n".join(("# " + line).rstrip() for line in source.split("\n"))
            parts.append(f"# %% [markdown]\n{body}")
        else:
            parts.append(f"# %%\n{source}")
    return "\n\n".join(parts) + "\n"


def notebook_text(run: ExportRun, data_file: str | None = None) -> str:
    """The export as an nbformat 4.5 notebook (JSON text)."""
    cells = []
    for i, (kind, source) in enumerate(_cells(run, data_file), 1):
        lines = source.split("\n")
        cell = {"cell_type": kind, "id": f"cell-{i:02d}", "metadata": {},
                "source": [line + "\n" for line in lines[:-1]] + [lines[-1]]}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    notebook = {"cells": cells,
                "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                             "language_info": {"name": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(notebook, ensure_ascii=False, indent=1) + "\n"


def data_csv_text(run: ExportRun) -> str:
    """The data as CSV: a header of column names, then every value's repr."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(run.columns)
    for row in run.X:
        writer.writerow([repr(float(x)) for x in row])
    return out.getvalue()


def write_export(path: str | os.PathLike, run: ExportRun, notebook: bool | None = None) -> list[Path]:
    """Write ``run`` to ``path`` as a notebook (``notebook`` True, or a name
    ending in ``.ipynb``) or a script; data with more than `INLINE_VALUES`
    numbers go to ``<stem>-data.csv`` beside it. Returns the files written.

    Raises
    ------
    DataError
        A file cannot be written; the message names it.
    """
    path = Path(path)
    if notebook is None:
        notebook = path.suffix.lower() == ".ipynb"
    written = []
    data_file = None
    try:
        if run.X.size > INLINE_VALUES:
            data_path = path.with_name(f"{path.stem}-data.csv")
            data_file = data_path.name
            write_bytes_atomic(data_path, data_csv_text(run).encode("utf-8"))
            written.append(data_path)
        text = notebook_text(run, data_file) if notebook else script_text(run, data_file)
        write_bytes_atomic(path, text.encode("utf-8"))
    except OSError as err:
        raise DataError(f"{err.filename or path}: cannot be written: {err.strerror or err}") from None
    written.append(path)
    return written
