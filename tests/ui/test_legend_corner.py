"""The canvas legend takes the corner that hides the fewest centroids and
points, and does not hop about for a point or two."""
import numpy as np

from clusterviz.ui.canvas.legend import CORNERS, quietest_corner

BOXES = [(80, 0, 100, 20), (0, 0, 20, 20), (80, 80, 100, 100), (0, 80, 20, 100)]  # as CORNERS: TR, TL, BR, BL


def test_a_centroid_under_the_top_right_corner_sends_the_legend_elsewhere():
    points = np.empty((0, 2))
    assert quietest_corner(BOXES, points, np.array([[90.0, 10.0]])) == 1
    assert quietest_corner(BOXES, points, np.array([[90.0, 10.0], [10.0, 10.0]])) == 2


def test_points_decide_between_free_corners_with_some_slack():
    crowded = np.tile([90.0, 10.0], (50, 1))
    assert quietest_corner(BOXES, crowded, np.empty((0, 2))) == 1
    few = np.tile([90.0, 10.0], (3, 1))
    assert quietest_corner(BOXES, few, np.empty((0, 2))) == 0  # three points: not worth a jump
    assert quietest_corner(BOXES, np.tile([10.0, 10.0], (2, 1)), np.empty((0, 2)), current=1) == 1


def test_the_canvas_legend_moves_off_a_centroid_in_its_corner(make_window, qtbot):
    window = make_window(show=True)
    window.resize(1280, 720)
    canvas = window.canvas
    legend = canvas.legend
    qtbot.waitUntil(lambda: legend.isVisible())
    (x0, x1), (y0, y1) = canvas.view_box.viewRange()
    corner_point = [[x1 - 0.02 * (x1 - x0), y1 - 0.02 * (y1 - y0)]]  # just inside the top-right corner
    legend.avoid(centroids=np.array(corner_point))
    moved = legend.corner
    assert moved != CORNERS[0]
    legend.avoid(centroids=np.empty((0, 2)))
    assert legend.corner == moved  # the corner it went to is as good as any now: it stays
    rect = legend.mapRectToParent(legend.boundingRect())
    assert canvas.view_box.boundingRect().contains(rect)
