"""Helpers the centre-based algorithms share (K-Means, its seeding, soft
K-Means): data checks on prepared data, centre checks and squared
distances by the expansion. A leaf module: it imports no estimator."""
from __future__ import annotations

import numpy as np

from .prepared import Prepared, as_prepared
from .state import ModelError
from .validation import check_data

#: The ways of placing the initial centres by name, in the order the app
#: lists them (the registry and the command line read this tuple).
INITS: tuple[str, ...] = ("random", "k-means++")

# Overflow in extreme data is not warned about: it shows up as a non-finite
# objective, which check_state_finite turns into a ModelError a student reads.
quiet = np.errstate(over="ignore", invalid="ignore")

#: Most multiply-adds of one block's matrix product: OpenBLAS computes a
#: product of at most 65536 * 4 of them on the calling thread; above, it
#: wakes its threads, which then spin for a while and take a core from the
#: GUI (on a busy 2-core machine a step ran several times slower).
SINGLE_THREAD_PRODUCT = 1 << 18


def cluster_name(k: int) -> str:
    """How notes name cluster (component, state) ``k``: C1 ... CK, as the
    canvas labels the means."""
    return f"C{int(k) + 1}"


def block_rows(most: int, per_row: int) -> int:
    """Rows per block: at most ``most``, and few enough that a product of
    ``per_row`` multiply-adds a row stays on the calling thread (at least 256)."""
    return max(256, min(most, SINGLE_THREAD_PRODUCT // max(1, per_row)))


def checked_data(X, n_clusters: int | None) -> Prepared:
    """``X`` as a :class:`Prepared` (wrapped for this call if it is an
    array), checked: 2-D, not empty, finite, at least ``n_clusters`` points.

    The full validation (:func:`check_data`) runs only when the cheap one
    fails: a mean that is not finite means X holds NaN or inf somewhere.
    """
    data = as_prepared(X)
    shape = data.X.shape
    if len(shape) != 2 or shape[0] == 0 or shape[1] == 0 or (n_clusters is not None and shape[0] < n_clusters):
        check_data(data.X, n_clusters)  # raises with the precise message
    if not np.all(np.isfinite(data.mean)):
        check_data(data.X, n_clusters)  # names the offending value
        raise ModelError("The coordinates are too large to add up (their sum overflows); "
                         "rescale the data, for example divide every value by 1000.")
    return data


def check_centres(centres, n_clusters: int, n_features: int, name: str = "init") -> np.ndarray:
    """A float64 copy of ``centres`` of shape (n_clusters, n_features), finite;
    else a ModelError naming ``name``."""
    centres = np.array(centres, dtype=np.float64)  # a copy: never keep the caller's array
    if centres.shape != (n_clusters, n_features):
        raise ModelError(f"{name} has shape {centres.shape} but should be (n_clusters, n_features) = "
                         f"({n_clusters}, {n_features}).")
    if not np.all(np.isfinite(centres)):
        raise ModelError(f"{name} holds a non-finite value (NaN or inf); every centre coordinate must be "
                         "a finite number.")
    return centres


@quiet
def sq_dist_to(xc: np.ndarray, xx: np.ndarray, points_c: np.ndarray) -> np.ndarray:
    """Squared distances (len(points_c), n_samples) of centred points ``xc``
    (squared norms ``xx``) to centred points ``points_c``, as
    ||x||^2 - 2 x.p + ||p||^2, clamped at 0."""
    d = points_c @ xc.T
    d *= -2.0
    d += np.einsum("ij,ij->i", points_c, points_c)[:, None]
    d += xx
    np.maximum(d, 0.0, out=d)
    return d


def squared_norms(data: Prepared) -> np.ndarray:
    """||x - mean||^2 of every point, kept with the prepared data."""
    def build(p: Prepared) -> np.ndarray:
        xc = p.centred()
        xx = np.einsum("ij,ij->i", xc, xc)
        xx.flags.writeable = False
        return xx

    with np.errstate(over="ignore", invalid="ignore"):
        return data.derived("squared_norms", build)
