"""A folder of awkward and malformed CSV files (tests/data/csv_cases/): each
either loads to the expected table or raises DataError naming the file and,
where there is one, the line and column of the problem."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clusterviz.data import DataError, load_csv

CASES = Path(__file__).parent / "csv_cases"
THREE_ROWS = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])

LOADS = {
    "ok_comma.csv": THREE_ROWS,
    "ok_semicolon.csv": THREE_ROWS,
    "ok_tab.csv": THREE_ROWS,
    "ok_bom_crlf.csv": THREE_ROWS,
    "ok_quoted.csv": THREE_ROWS,
    "ok_no_header.csv": THREE_ROWS,
    "ok_class_column.csv": THREE_ROWS,
    "ok_blank_lines.csv": THREE_ROWS,
    "ok_missing_cells.csv": np.array([[1.0, 2.0], [7.0, 8.0], [9.0, 10.0]]),
    "ok_constant_column.csv": np.array([[1.0, 2.0, 7.0], [3.0, 4.0, 7.0], [5.0, 6.0, 7.0]]),
    "ok_number_formats.csv": np.array([[1000.0, -0.025], [3.0, 4.0], [0.5, 6.0]]),
    "ok_four_columns.csv": np.arange(1.0, 13.0).reshape(3, 4),
}

FAILS = {  # file -> the words the message must hold
    "bad_empty.csv": ["is empty"],
    "bad_header_only.csv": ["no data rows"],
    "bad_ragged.csv": ["line 3", "1 fields", "line 1 has 2"],
    "bad_text_cell.csv": ["line 3", "column 2 ('y')", "'abc' is not a number"],
    "bad_overflow.csv": ["line 3", "column 2 ('y')", "'1e400' is not a finite number"],
    "bad_inf.csv": ["line 3", "column 2 ('y')", "'inf'"],
    "bad_one_column.csv": ["only one numeric column ('x')"],
    "bad_no_numbers.csv": ["no numeric column"],
    "bad_latin1.csv": ["line 3", "0xe9", "UTF-8"],
    "bad_utf16.csv": ["UTF-16", "UTF-8"],
    "bad_all_missing.csv": ["no numeric column"],
    "bad_nul_byte.csv": ["line 3", "NUL"],
}


def test_every_file_in_the_folder_has_an_expected_outcome():
    files = {p.name for p in CASES.glob("*.csv")}
    assert files == set(LOADS) | set(FAILS) and len(files) >= 20


@pytest.mark.parametrize("name", sorted(LOADS))
def test_awkward_files_load(name):
    dataset = load_csv(CASES / name)
    np.testing.assert_array_equal(dataset.X, LOADS[name])


def test_what_loading_noticed_is_reported():
    assert load_csv(CASES / "ok_class_column.csv").class_names == ("a", "b")
    assert load_csv(CASES / "ok_no_header.csv").columns == ("x1", "x2")
    assert "Dropped 2 rows" in load_csv(CASES / "ok_missing_cells.csv").warnings[0]
    assert "Column 'c' is constant." in load_csv(CASES / "ok_constant_column.csv").warnings


@pytest.mark.parametrize("name", sorted(FAILS))
def test_malformed_files_raise_data_error_naming_file_line_and_column(name):
    with pytest.raises(DataError) as error:
        load_csv(CASES / name)
    message = str(error.value)
    assert name in message
    for words in FAILS[name]:
        assert words in message
