"""The restarts gallery tells the truth at a glance: seeds 0 ... R-1, the
same answer in the same colours, the bad runs above the fold, and the
exercise's table of seeds."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from clusterviz.data import builtin_dataset
from clusterviz.model import KMeans
from clusterviz.ui.panels.restart_runs import THUMB, match_colours


def _run(qtbot, panel, R):
    panel.restarts_spin.setValue(R)
    with qtbot.waitSignal(panel.job.finished, timeout=60000):
        assert panel.run()
    return panel.runs


def _pixels(button) -> np.ndarray:
    image = button.icon().pixmap(THUMB, THUMB).toImage().convertToFormat(
        button.icon().pixmap(THUMB, THUMB).toImage().Format.Format_RGBA8888)
    return np.array(image.constBits(), dtype=np.uint8).reshape(image.height(), image.width(), 4).copy()


def test_runs_use_seeds_zero_to_r_minus_one_for_each_start(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"))
    runs = _run(qtbot, window.restarts_panel, R=5)
    for method in ("random", "k-means++"):
        assert sorted(run.seed for run in runs if run.init == method) == [0, 1, 2, 3, 4]


def test_the_same_answer_is_drawn_in_the_same_colours(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), init="random")
    panel = window.restarts_panel
    runs = _run(qtbot, panel, R=10)
    best = [i for i, run in enumerate(runs) if abs(run.objective - runs[0].objective) < 1e-6 * runs[0].objective]
    assert len(best) >= 5
    # the runs label the same clusters with different numbers ...
    assert len({tuple(np.asarray(runs[i].labels)[:50]) for i in best}) > 1
    # ... but every picture of that answer shows each point in the same colour
    colours = {tuple(panel.colour_maps[i][np.asarray(runs[i].labels)]) for i in best}
    assert len(colours) == 1
    first = _pixels(panel.thumbnails[best[0]])
    for i in best[1:]:
        other = _pixels(panel.thumbnails[i])
        same = np.all(first == other, axis=2)
        same[THUMB - 16:, THUMB - 16:] = True  # the corner square tells the start method
        assert same.mean() > 0.999


def test_matching_pairs_each_mean_with_its_nearest_counterpart():
    reference = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    means = reference[[2, 0, 1]] + 0.1
    np.testing.assert_array_equal(match_colours(means, reference), [2, 0, 1])


def test_bad_runs_are_summarised_and_shown_on_the_first_row(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"))
    panel = window.restarts_panel
    runs = _run(qtbot, panel, R=10)
    worse = [run for run in runs if run.objective > 1.01 * runs[0].objective]
    assert worse  # random starts 2, 3 and 8 stop in a worse local minimum
    text = panel.outcomes_label.text()
    assert "2 outcomes" in text and "random seeds" in text
    for run in worse:
        assert str(run.seed) in text.split("random seeds")[1]
    # the second picture is a worse outcome: no need to scroll to see one
    assert runs[1].objective > 1.01 * runs[0].objective
    assert panel.thumbnails[1].toolTip().startswith(f"Run {runs[1].index + 1}: random start, seed {runs[1].seed}")
    assert not panel.outcomes_label.isHidden()


def test_the_seeds_table_counts_how_many_reached_the_best(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"))
    panel = window.restarts_panel
    _run(qtbot, panel, R=10)
    X = window.session.X
    # the exercise, with the public model API as the oracle
    finals = {init: [KMeans(n_clusters=3, init=init, n_init=1, random_state=s).fit(X).inertia_ for s in range(10)]
              for init in ("random", "k-means++")}
    best = min(min(v) for v in finals.values())
    expected = {init: f"{sum(abs(j - best) <= 1e-3 * best for j in v)} / 10" for init, v in finals.items()}
    assert panel.table.counts() == expected
    table = panel.table
    assert table.rowCount() == 11 and table.item(3, 0).text() == "3"
    assert table.item(3, 1).text().replace(",", "").startswith(f"{finals['random'][3]:.2f}"[:6])
    assert "✓" in table.item(0, 2).text()


def test_loading_a_thumbnail_sets_its_small_seed(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), show=True)
    window.restarts_dock.show()
    panel = window.restarts_panel
    runs = _run(qtbot, panel, R=6)
    i = len(runs) - 1
    qtbot.mouseClick(panel.thumbnails[i], Qt.MouseButton.LeftButton)
    assert window.session.seed == runs[i].seed < 6
    assert window.controls.seed_spin.value() == runs[i].seed
    assert window.session.init == runs[i].init


def test_before_a_run_the_panel_says_what_will_appear(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), show=True)
    window.restarts_dock.show()
    panel = window.restarts_panel
    assert panel.gallery_hint.isVisible() and "Run the restarts" in panel.gallery_hint.text()
    assert panel.empty_text.isVisible()
    _run(qtbot, panel, R=2)
    assert not panel.gallery_hint.isVisible() and not panel.empty_text.isVisible()


@pytest.mark.parametrize("algorithm", ["gmm"])
def test_histogram_key_covers_no_bar(make_window, qtbot, algorithm):
    window = make_window(builtin_dataset("three_blobs"), algorithm=algorithm, show=True)
    window.restarts_dock.show()
    panel = window.restarts_panel
    _run(qtbot, panel, R=4)
    plot = panel.histogram.getPlotItem()
    assert plot.legend is None  # the key is the title above the plot area
    title = plot.titleLabel.sceneBoundingRect()
    assert title.bottom() <= plot.getViewBox().sceneBoundingRect().top() + 1
    assert "random" in plot.titleLabel.text and "k-means++" in plot.titleLabel.text


def test_hmm_restarts_fit_the_data_as_the_sequences_it_holds(make_window, qtbot):
    from clusterviz.data import Dataset
    from clusterviz.session import Session

    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(size=(20, 2)) + [4.0 * (i % 2), 0.0] for i in range(3)])
    data = Dataset(name="three runs", X=X, columns=("x", "y"), lengths=(20, 25, 15))
    window = make_window(data, algorithm="hmm", n_clusters=2, init="random")
    runs = _run(qtbot, window.restarts_panel, R=2)
    run = next(r for r in runs if r.init == "random" and r.seed == 0)
    # the same start in the window, run to the end, gives the same log-likelihood
    alone = Session(data, algorithm="hmm", n_clusters=2, init="random", seed=0)
    alone.run_to_convergence()
    assert run.objective == pytest.approx(alone.objectives[-1], rel=1e-9)
