"""Steppable clustering algorithms (numpy and scipy only; no Qt).

The estimators are imported when first asked for (``from clusterviz.model
import KMeans`` works as ever): the app's start-up reads the registry and
builds only the estimator it shows.
"""
from importlib import import_module

from .prepared import Prepared, prepare
from .state import FitState, ModelError

#: Public names defined in a submodule, imported on first use.
_LAZY = {"GaussianHMM": ".hmm", "GaussianMixture": ".gmm", "KMeans": ".kmeans", "SoftKMeans": ".soft_kmeans"}

__all__ = ["FitState", "GaussianHMM", "GaussianMixture", "KMeans", "ModelError", "Prepared", "SoftKMeans", "prepare"]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
