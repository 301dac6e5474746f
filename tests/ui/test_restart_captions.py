"""The restart thumbnails' captions: the objective and the start method,
each whole under its picture."""
from __future__ import annotations

from clusterviz.data import builtin_dataset


def test_captions_name_the_start_method_whole(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), show=True)
    panel = window.restarts_panel
    panel.restarts_spin.setValue(3)
    with qtbot.waitSignal(panel.job.finished, timeout=60000):
        assert panel.run()
    qtbot.waitUntil(lambda: len(panel.thumbnails) == 6)
    methods = set()
    for button, run in zip(panel.thumbnails, panel.runs):
        lines = button.text().split("\n")
        assert lines[-1] == run.init  # "random" and "k-means++", not "rand" and "++"
        methods.add(lines[-1])
        metrics = button.fontMetrics()
        width = max(button.width(), button.sizeHint().width())
        for line in lines:
            assert metrics.horizontalAdvance(line) <= width - 4, line
    assert methods == {"random", "k-means++"}
