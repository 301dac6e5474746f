"""Steppable clustering algorithms (numpy and scipy only; no Qt)."""
from .state import FitState, ModelError

__all__ = ["FitState", "ModelError"]
