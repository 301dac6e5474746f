"""Data sets for clusterviz: built-ins and CSV loading (numpy and csv only, never Qt)."""
from .csv_loader import load_csv
from .dataset import DataError, Dataset
from .datasets import BUILTIN_DATASETS, DATASET_DESCRIPTIONS, builtin_dataset

__all__ = [
    "BUILTIN_DATASETS",
    "DATASET_DESCRIPTIONS",
    "DataError",
    "Dataset",
    "builtin_dataset",
    "load_csv",
]
