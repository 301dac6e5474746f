"""k-means++ seeding shown pick by pick, as timeline entries.

With `Session.set_show_seeding` on and init "k-means++" (and no hand-placed
means), the timeline opens with one "seed" entry per pick before the "init"
entry, whatever the algorithm (EM starts from the means K-Means would use),
so step, step back, seek and the timeline slider walk through the picks like
any other entry.

A seed entry is a `FitState` with

- ``phase = "seed"``, ``iteration = 0``;
- ``means``: the centres picked so far, shape (number + 1, n_features) --
  fewer rows than K until the last pick, whose means are the "init" entry's;
- ``weights``: equal, one per centre picked;
- ``objective``: the potential after the pick (total D^2, the distortion of
  every point to its nearest centre so far);
- ``seeding``: the :class:`~clusterviz.model.seeding.SeedingPick`
  (the D^2 probabilities the pick was drawn with, the candidates, the one
  chosen), for the canvas to draw;
- no covariances, labels or responsibilities.

`Session.objectives` holds their potentials, `Session.n_seed_entries` how
many there are (the index of the "init" entry), and `Session.fit_entries`
marks the entries of the fit proper, so the objective plot can leave the
picks out or draw them apart.
"""
from __future__ import annotations

import numpy as np

from clusterviz.model import FitState
from clusterviz.model.seeding import kmeans_plusplus_picks

__all__ = ["seed_entries"]


def seed_entries(X: np.ndarray, n_clusters: int, seed: int) -> list[FitState]:
    """One "seed" entry per k-means++ pick on ``X`` with ``seed``.

    The picks consume the random generator exactly as the estimators'
    ``init="k-means++"`` does, so the last entry's means are the initial
    means of the fit that follows.

    Raises
    ------
    ModelError
        If the picks cannot be made (e.g. fewer points than clusters).
    """
    entries = []
    for pick in kmeans_plusplus_picks(X, n_clusters, seed):
        k = pick.centers.shape[0]
        weights = np.full(k, 1.0 / k)
        weights.flags.writeable = False
        entries.append(FitState(iteration=0, phase="seed", means=pick.centers, weights=weights,
                                objective=float(pick.potential), seeding=pick))
    return entries
