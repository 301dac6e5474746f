"""Steppable clustering algorithms (numpy and scipy only; no Qt)."""
from .gmm import GaussianMixture
from .hmm import GaussianHMM
from .kmeans import KMeans
from .prepared import Prepared, prepare
from .soft_kmeans import SoftKMeans
from .state import FitState, ModelError

__all__ = ["FitState", "GaussianHMM", "GaussianMixture", "KMeans", "ModelError", "Prepared", "SoftKMeans", "prepare"]
