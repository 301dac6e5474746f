"""Data sets for clusterviz: built-ins and CSV loading (numpy and csv only, never Qt)."""
from .csv_loader import load_csv
from .dataset import DataError, Dataset
from .datasets import BUILTIN_DATASETS, DATASET_DESCRIPTIONS, builtin_dataset
from .export import write_points_csv
from .sequences import order_rows
from .session_file import load_session_file, save_session_file
from .transform import pca_projection, project_gaussian, project_gaussians, project_points, standardise

__all__ = [
    "BUILTIN_DATASETS",
    "DATASET_DESCRIPTIONS",
    "DataError",
    "Dataset",
    "builtin_dataset",
    "load_csv",
    "load_session_file",
    "order_rows",
    "pca_projection",
    "project_gaussian",
    "project_gaussians",
    "project_points",
    "save_session_file",
    "standardise",
    "write_points_csv",
]
