"""Export as notebook / script: the files rerun the session's steps with
clusterviz.model and print the objectives it holds, the notebook is valid
nbformat 4, large data go to a CSV beside the export, and scikit-learn from
the same start agrees."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from clusterviz.data import Dataset, builtin_dataset
from clusterviz.data.notebook_export import INLINE_VALUES, export_run, notebook_text, script_text, write_export
from clusterviz.session import Session

REPO = Path(__file__).resolve().parents[2]
STEP_LINE = re.compile(r"^step (\d+): (J|ℓ) = (\S+)$", re.M)


def stepped(dataset, steps: int, **options) -> Session:
    """A session stepped as the window's --steps loop steps it."""
    session = Session(dataset, **options)
    for _ in range(steps):
        if not session.can_step:
            break
        session.step()
    return session


def held_objectives(session: Session) -> list[float]:
    """The objective the session holds after each full step."""
    return [float(o) for o, p in zip(session.objectives, session.phases) if p == "M"]


def run_python(args, cwd: Path) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
               PYTHONIOENCODING="utf-8")
    result = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True,
                            encoding="utf-8", timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def printed_steps(output: str) -> list[float]:
    found = STEP_LINE.findall(output)
    assert [int(i) for i, _symbol, _value in found] == list(range(1, len(found) + 1))
    return [float(value) for _i, _symbol, value in found]


def notebook_code(path: Path) -> str:
    """The notebook's code cells, one after another (nbclient is not a test dependency)."""
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    return "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")


def run_notebook(path: Path) -> str:
    script = path.with_name(path.stem + "-cells.py")
    script.write_text(notebook_code(path), encoding="utf-8")
    return run_python([script.name], path.parent)


def sklearn_pair(output: str, symbol: str) -> tuple[float, float]:
    ours = re.search(rf"^clusterviz: +{symbol} = (\S+)$", output, re.M)
    theirs = re.search(rf"^scikit-learn: +{symbol} = (\S+)$", output, re.M)
    assert ours and theirs, output
    return float(ours.group(1)), float(theirs.group(1))


@pytest.mark.parametrize("dataset, steps, options, symbol", [
    ("three_blobs", 8, dict(algorithm="kmeans", n_clusters=3, init="random", seed=7), "J"),
    ("old_faithful", 8, dict(algorithm="gmm", n_clusters=2, init="random", seed=0), "ℓ"),
    ("three_blobs", 8, dict(algorithm="gmm", n_clusters=3, init="k-means++", seed=1, covariance_type="diag"), "ℓ"),
    # as far as Step goes: past the tolerance where the session lets EM go on
    ("anisotropic", 40, dict(algorithm="gmm", n_clusters=3, init="k-means++", seed=3), "ℓ"),
])
def test_script_and_notebook_print_the_objectives_the_session_holds(tmp_path, dataset, steps, options, symbol):
    session = stepped(builtin_dataset(dataset), steps, **options)
    expected = held_objectives(session)
    assert len(expected) >= 3
    run = export_run(session)
    write_export(tmp_path / "run.py", run)
    write_export(tmp_path / "run.ipynb", run)
    assert not list(tmp_path.glob("*.csv"))  # small data are written inline

    script_output = run_python(["run.py"], tmp_path)
    np.testing.assert_allclose(printed_steps(script_output), expected, rtol=0, atol=1e-8)
    assert f"step 1: {symbol} = {expected[0]!r}" in script_output  # full precision, repr
    ours, theirs = sklearn_pair(script_output, symbol)
    assert ours == pytest.approx(theirs, rel=1e-9)
    assert "labels agree: True" in script_output

    notebook_output = run_notebook(tmp_path / "run.ipynb")
    np.testing.assert_allclose(printed_steps(notebook_output), expected, rtol=0, atol=1e-8)
    assert (tmp_path / "run.py").read_text(encoding="utf-8").count("# %%") >= 6


def test_an_hmm_on_several_sequences_is_exported_with_their_lengths(tmp_path):
    from clusterviz.data import Dataset

    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(size=(20, 2)) + [4.0 * (i % 2), 0.0] for i in range(3)])
    data = Dataset(name="three runs", X=X, columns=("x", "y"), lengths=(20, 25, 15))
    session = stepped(data, 4, algorithm="hmm", n_clusters=2, seed=2)
    expected = held_objectives(session)
    one_sequence = stepped(Dataset(name="one run", X=X, columns=("x", "y")), 4, algorithm="hmm", n_clusters=2,
                           seed=2)
    assert not np.allclose(held_objectives(one_sequence), expected)  # the lengths matter here
    write_export(tmp_path / "run.py", export_run(session))
    output = run_python(["run.py"], tmp_path)
    np.testing.assert_allclose(printed_steps(output), expected, rtol=0, atol=1e-8)


def test_the_script_has_cells_and_the_start_in_full_precision():
    session = stepped(builtin_dataset("three_blobs"), 2, algorithm="kmeans", init="random", seed=42)
    run = export_run(session)
    text = script_text(run)
    assert text.count("\n# %%\n") >= 4 and "# %% [markdown]\n# # K-Means on three_blobs: 2 steps" in text
    start = session.timeline[0]
    for value in start.means.ravel():
        assert repr(float(value)) in text
    assert repr(float(start.objective)) in text
    compile(text, "run.py", "exec")
    assert run.steps == 2 and run.params == {"n_clusters": 3, "init": "random", "random_state": 42}


def test_the_notebook_is_valid_nbformat_4(tmp_path):
    session = stepped(builtin_dataset("iris"), 3, algorithm="gmm", seed=3)
    text = notebook_text(export_run(session))
    data = json.loads(text)
    assert (data["nbformat"], data["nbformat_minor"]) == (4, 5)
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds[0] == "markdown" and kinds.count("code") == 5
    assert len({cell.id for cell in notebook.cells}) == len(kinds)


def test_large_data_go_to_a_csv_beside_the_export_and_read_back_exactly(tmp_path):
    rng = np.random.default_rng(5)
    n = INLINE_VALUES // 2 + 500
    X = np.vstack([rng.normal(c, 0.7, size=(n // 2, 2)) for c in (0.0, 4.0)]) / 3.0
    dataset = Dataset("big, sample", X, ("left, x", "y"), None, None)
    session = stepped(dataset, 3, algorithm="kmeans", n_clusters=2, init="k-means++", seed=0)
    written = write_export(tmp_path / "big.py", export_run(session))
    assert [p.name for p in written] == ["big-data.csv", "big.py"]
    assert len((tmp_path / "big.py").read_text(encoding="utf-8")) < 20_000
    back = np.loadtxt(tmp_path / "big-data.csv", delimiter=",", skiprows=1, ndmin=2)
    assert np.array_equal(back, X)
    output = run_python(["big.py"], tmp_path)
    np.testing.assert_allclose(printed_steps(output), held_objectives(session), rtol=0, atol=1e-8)

    assert [p.name for p in write_export(tmp_path / "big.ipynb", export_run(session))] == ["big-data.csv",
                                                                                           "big.ipynb"]
    np.testing.assert_allclose(printed_steps(run_notebook(tmp_path / "big.ipynb")), held_objectives(session),
                               rtol=0, atol=1e-8)


def test_an_algorithm_without_a_scikit_learn_twin_says_so(tmp_path):
    session = stepped(builtin_dataset("three_blobs"), 4, algorithm="soft-kmeans", beta=0.5, seed=2)
    run = export_run(session)
    assert run.params["beta"] == 0.5
    write_export(tmp_path / "soft.py", run)
    output = run_python(["soft.py"], tmp_path)
    np.testing.assert_allclose(printed_steps(output), held_objectives(session), rtol=0, atol=1e-8)
    assert "scikit-learn has no estimator that steps like SoftKMeans" in script_text(run)


def test_after_a_half_step_only_full_steps_are_exported():
    session = Session(builtin_dataset("three_blobs"), init="random", seed=6)
    session.step()
    session.half_step()
    assert session.entry.phase == "E"
    assert export_run(session).steps == 1


def test_nothing_to_export_without_a_fit(tmp_path):
    from clusterviz.data import DataError

    session = Session(builtin_dataset("empty"), n_clusters=3)
    with pytest.raises(DataError, match="no fit to export"):
        export_run(session)


def test_a_folder_that_cannot_be_written_is_named(tmp_path):
    from clusterviz.data import DataError

    run = export_run(Session(builtin_dataset("three_blobs")))
    with pytest.raises(DataError, match="cannot be written"):
        write_export(tmp_path / "missing" / "run.py", run)


# ------------------------------------------------------------- literals
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

from clusterviz.data.notebook_export import _array  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 7), st.integers(1, 3)),
              elements=st.floats(allow_nan=True, allow_infinity=True, width=64)))
def test_written_arrays_read_back_bit_for_bit(a):
    back = eval(_array(a), {"np": np})  # the export's own literal, as the script runs it
    assert back.shape == a.shape and back.dtype == np.float64
    assert np.array_equal(back.view(np.uint64), a.view(np.uint64)) or np.array_equal(back, a, equal_nan=True)
