"""load_csv: formats it accepts, and errors that point at the cell."""
import csv

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from clusterviz.data import DataError, load_csv
from clusterviz.data.datasets import RESOURCE_DIR

EXPECTED = np.array([[1.5, -2.0], [3.25, 4e-3], [-5.0, 6.0e5]])


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def message(path):
    with pytest.raises(DataError) as info:
        load_csv(path)
    return str(info.value)


# --- the shipped files ---------------------------------------------------------

def test_shipped_iris():
    ds = load_csv(RESOURCE_DIR / "iris.csv")
    assert ds.name == "iris"
    assert ds.columns == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert ds.X.shape == (150, 4)
    assert ds.class_names == ("setosa", "versicolor", "virginica")
    np.testing.assert_array_equal(ds.labels, np.repeat([0, 1, 2], 50))
    np.testing.assert_array_equal(ds.X[-1], [5.9, 3.0, 5.1, 1.8])
    assert ds.warnings == () and ds.dropped_rows == 0


def test_shipped_old_faithful():
    ds = load_csv(RESOURCE_DIR / "old_faithful.csv")
    assert ds.name == "old_faithful"
    assert ds.columns == ("eruptions", "waiting")
    assert ds.X.shape == (272, 2)
    assert ds.labels is None and ds.class_names is None
    np.testing.assert_array_equal(ds.X[:2], [[3.6, 79.0], [1.8, 54.0]])


# --- formats that all mean the same numbers -------------------------------------

VARIANTS = {
    "comma": "a,b\n1.5,-2\n3.25,4e-3\n-5,6.0e5\n",
    "semicolon": "a;b\n1.5;-2\n3.25;4e-3\n-5;6.0e5\n",
    "tab": "a\tb\n1.5\t-2\n3.25\t4e-3\n-5\t6.0e5\n",
    "crlf": "a,b\r\n1.5,-2\r\n3.25,4e-3\r\n-5,6.0e5\r\n",
    "cr": "a,b\r1.5,-2\r3.25,4e-3\r-5,6.0e5\r",
    "bom": "\ufeffa,b\n1.5,-2\n3.25,4e-3\n-5,6.0e5\n",
    "bom-crlf-semicolon": "\ufeffa;b\r\n1.5;-2\r\n3.25;4e-3\r\n-5;6.0e5\r\n",
    "quoted": '"a","b"\n"1.5","-2"\n3.25,"4e-3"\n"-5",6.0e5\n',
    "quoted-header-with-delimiter": '"a","b"\n1.5,-2\n3.25,4e-3\n-5,6.0e5',
    "spaces": " a , b \n 1.5 , -2\n3.25 ,4e-3 \n-5,  6.0e5\n",
    "blank-lines": "\na,b\n\n1.5,-2\n   \n3.25,4e-3\n-5,6.0e5\n\n\n",
    "no-final-newline": "a,b\n1.5,-2\n3.25,4e-3\n-5,6.0e5",
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_variants_parse_to_the_same_numbers(tmp_path, variant):
    ds = load_csv(write(tmp_path, VARIANTS[variant]))
    np.testing.assert_array_equal(ds.X, EXPECTED)
    assert ds.columns == ("a", "b")
    assert ds.name == "data" and ds.dropped_rows == 0 and ds.warnings == ()


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_headerless_files_are_named_x1_x2(tmp_path, sep):
    text = "\n".join(sep.join(map(str, row)) for row in EXPECTED.tolist())
    ds = load_csv(write(tmp_path, text))
    np.testing.assert_array_equal(ds.X, EXPECTED)
    assert ds.columns == ("x1", "x2")


def test_quoted_field_with_delimiter_and_newline_in_a_label(tmp_path):
    text = 'x,y,kind\n1,2,"a, b"\n3,4,"multi\nline"\n5,6,"a, b"\n'
    ds = load_csv(write(tmp_path, text))
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4], [5, 6]])
    assert ds.class_names == ("a, b", "multi\nline")
    np.testing.assert_array_equal(ds.labels, [0, 1, 0])


def test_line_numbers_count_lines_not_rows(tmp_path):
    text = 'x,y,kind\n1,2,"multi\nline"\n\n3,oops,b\n'
    assert message(write(tmp_path, text)) == (
        "data.csv, line 5, column 2 ('y'): 'oops' is not a number."
    )


def test_semicolon_file_with_commas_in_quoted_labels(tmp_path):
    text = 'x;y;name\n1;2;"a,b,c"\n3;4;"d,e,f"\n'
    ds = load_csv(write(tmp_path, text))
    assert ds.columns == ("x", "y")
    assert ds.class_names == ("a,b,c", "d,e,f")


def test_more_than_two_numeric_columns_are_kept(tmp_path):
    ds = load_csv(write(tmp_path, "a,b,c\n1,2,3\n4,5,6\n"))
    assert ds.X.shape == (2, 3) and ds.columns == ("a", "b", "c")


def test_single_data_row_without_header(tmp_path):
    ds = load_csv(write(tmp_path, "1,2\n"))
    np.testing.assert_array_equal(ds.X, [[1, 2]])
    assert ds.columns == ("x1", "x2")


def test_blank_header_cells_get_position_names(tmp_path):
    ds = load_csv(write(tmp_path, "a,,kind\n1,2,u\n3,4,v\n"))
    assert ds.columns == ("a", "x2")


# --- labels, missing values, warnings -------------------------------------------

def test_text_column_becomes_labels_in_order_of_appearance(tmp_path):
    text = "species,x,y,colour\nb,1,2,red\na,3,4,red\nb,5,6,blue\n"
    ds = load_csv(write(tmp_path, text))
    assert ds.columns == ("x", "y")
    assert ds.class_names == ("b", "a")
    np.testing.assert_array_equal(ds.labels, [0, 1, 0])
    assert ds.warnings == ("Column 4 ('colour') is not numeric and was ignored.",)


def test_headerless_text_column(tmp_path):
    ds = load_csv(write(tmp_path, "1,2,cat\n3,4,dog\n"))
    assert ds.columns == ("x1", "x2")
    assert ds.class_names == ("cat", "dog")


@pytest.mark.parametrize("na", ["", "NA", "NaN", "nan", " na ", "N/A", "null"])
def test_missing_values_drop_the_row(tmp_path, na):
    text = f"a,b\n1,2\n3,{na}\n5,6\n{na},8\n9,10\n"
    ds = load_csv(write(tmp_path, text))
    np.testing.assert_array_equal(ds.X, [[1, 2], [5, 6], [9, 10]])
    assert ds.dropped_rows == 2
    assert ds.warnings == ("Dropped 2 rows with missing values (first at line 3).",)


def test_missing_label_drops_the_row(tmp_path):
    ds = load_csv(write(tmp_path, "a,b,k\n1,2,u\n3,4,\n5,6,v\n"))
    np.testing.assert_array_equal(ds.X, [[1, 2], [5, 6]])
    assert ds.class_names == ("u", "v")
    assert ds.warnings == ("Dropped 1 row with missing values (first at line 3).",)


def test_missing_header_row_dropped_when_headerless(tmp_path):
    ds = load_csv(write(tmp_path, "1,NA\n1,2\n3,4\n"))
    assert ds.columns == ("x1", "x2")
    assert ds.dropped_rows == 1
    assert ds.warnings == ("Dropped 1 row with missing values (first at line 1).",)


def test_empty_trailing_column_is_ignored(tmp_path):
    ds = load_csv(write(tmp_path, "a,b,\n1,2,\n3,4,\n"))
    assert ds.columns == ("a", "b")
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4]])
    assert ds.warnings == ("Column 3 ('x3') is empty and was ignored.",)


def test_constant_column_is_reported(tmp_path):
    ds = load_csv(write(tmp_path, "x,y\n1,5\n2,5\n3,5\n"))
    assert ds.warnings == ("Column 'y' is constant.",)


# --- errors ------------------------------------------------------------------

def test_stray_text_in_numeric_column(tmp_path):
    rows = "".join(f"{i}.5,{60 + i}\n" for i in range(12))
    path = write(tmp_path, f"eruptions,waiting\n{rows}3.1,abc\n4.0,70\n")
    assert message(path) == "data.csv, line 14, column 2 ('waiting'): 'abc' is not a number."


def test_stray_text_headerless_names_the_position(tmp_path):
    path = write(tmp_path, "1,2\n3,4\n5,six\n7,8\n")
    assert message(path) == "data.csv, line 3, column 2 ('x2'): 'six' is not a number."


def test_first_stray_cell_in_file_order_is_reported(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3,x\ny,4\n5,6\n7,8\n")
    assert message(path) == "data.csv, line 3, column 2 ('b'): 'x' is not a number."


def test_decimal_comma_is_not_a_number(tmp_path):
    path = write(tmp_path, "a;b\n1,5;2\n3;4\n5;6\n")
    assert message(path) == "data.csv, line 2, column 1 ('a'): '1,5' is not a number."


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "-1e999", "Infinity"])
def test_infinite_value(tmp_path, value):
    path = write(tmp_path, f"a,b\n1,2\n3,4\n{value},6\n")
    assert message(path) == (
        f"data.csv, line 4, column 1 ('a'): '{value}' is not a finite number."
    )


def test_ragged_row(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3,4,5\n")
    assert message(path) == "data.csv, line 3: 3 fields, but line 1 has 2 (delimiter ',')."


def test_short_row(tmp_path):
    path = write(tmp_path, "a;b;c\n1;2;3\n4;5;6\n7;8\n")
    assert message(path) == "data.csv, line 4: 2 fields, but line 1 has 3 (delimiter ';')."


@pytest.mark.parametrize("text", ["", "\n\n", "  \r\n"])
def test_empty_file(tmp_path, text):
    assert message(write(tmp_path, text)) == (
        "data.csv is empty; it needs a row of numbers per point."
    )


def test_header_only(tmp_path):
    assert message(write(tmp_path, "a,b\n")) == "data.csv has a header line but no data rows."


def test_no_numeric_column(tmp_path):
    assert message(write(tmp_path, "name,colour\nann,red\nbob,blue\n")) == (
        "data.csv has no numeric column; clusterviz needs at least two columns of numbers."
    )


def test_single_numeric_column(tmp_path):
    assert message(write(tmp_path, "x,kind\n1,a\n2,b\n")) == (
        "data.csv has only one numeric column ('x'); clusterviz needs at least two."
    )


def test_single_column_file(tmp_path):
    assert message(write(tmp_path, "x\n1\n2\n3\n")) == (
        "data.csv has only one numeric column ('x'); clusterviz needs at least two."
    )


def test_every_row_missing(tmp_path):
    assert message(write(tmp_path, "a,b\n1,NA\nNA,2\n")) == (
        "data.csv: every data row has a missing value; nothing is left to load."
    )


def test_not_utf8(tmp_path):
    path = write(tmp_path, "a,b,kind\n1,2,caf\xe9\n".encode("latin-1"))
    assert message(path) == (
        "data.csv, line 2: byte 0xe9 is not UTF-8 text; "
        'save the file as UTF-8 ("CSV UTF-8") and load it again.'
    )


def test_utf16(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3,4\n", encoding="utf-16")
    assert "data.csv is UTF-16 text" in message(path)


def test_nul_byte(tmp_path):
    path = write(tmp_path, b"a,b\n1,2\n3,\x004\n")
    assert message(path) == "data.csv, line 3: contains a NUL byte, so it is not a CSV text file."


def test_utf8_names_are_kept(tmp_path):
    ds = load_csv(write(tmp_path, "längd,höjd,art\n1,2,café\n3,4,thé\n"))
    assert ds.columns == ("längd", "höjd") and ds.class_names == ("café", "thé")


def test_missing_file(tmp_path):
    msg = message(tmp_path / "nope.csv")
    assert msg.startswith("nope.csv: no such file (") and str(tmp_path) in msg


def test_folder(tmp_path):
    (tmp_path / "dir.csv").mkdir()
    assert message(tmp_path / "dir.csv").startswith("dir.csv is a folder")


def test_accepts_str_paths(tmp_path):
    ds = load_csv(str(write(tmp_path, VARIANTS["comma"])))
    np.testing.assert_array_equal(ds.X, EXPECTED)


# --- round trips -------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
matrices = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 20), st.integers(2, 5)),
    elements=finite,
)


@settings(max_examples=60, deadline=None)
@given(X=matrices, delimiter=st.sampled_from([",", ";", "\t"]), header=st.booleans())
def test_savetxt_round_trip(tmp_path_factory, X, delimiter, header):
    path = tmp_path_factory.mktemp("rt") / "rt.csv"
    names = [f"c{j}" for j in range(X.shape[1])]
    np.savetxt(
        path, X, delimiter=delimiter, fmt="%.17g",
        header=delimiter.join(names) if header else "", comments="",
    )
    ds = load_csv(path)
    np.testing.assert_array_equal(ds.X, X)
    assert ds.columns == tuple(names if header else [f"x{j + 1}" for j in range(X.shape[1])])


@settings(max_examples=60, deadline=None)
@given(X=matrices, crlf=st.booleans(), labels=st.lists(st.sampled_from(["a", "b c", 'q"t']), min_size=20, max_size=20))
def test_csv_writer_round_trip(tmp_path_factory, X, crlf, labels):
    path = tmp_path_factory.mktemp("rt") / "rt.csv"
    n = X.shape[0]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\r\n" if crlf else "\n", quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow([f"c{j}" for j in range(X.shape[1])] + ["label"])
        for row, label in zip(X.tolist(), labels[:n]):
            writer.writerow(row + [label])
    ds = load_csv(path)
    np.testing.assert_array_equal(ds.X, X)
    names = list(dict.fromkeys(labels[:n]))
    assert ds.class_names == tuple(names)
    np.testing.assert_array_equal(ds.labels, [names.index(v) for v in labels[:n]])


# --- absurd widths and cancelled reads ------------------------------------------

def test_a_first_line_of_a_million_columns_is_refused_before_the_rest_is_parsed(tmp_path, monkeypatch):
    from clusterviz.data import csv_loader
    from clusterviz.data.csv_loader import MAX_COLUMNS as MAX_CSV_COLUMNS

    def never(*_args):
        raise AssertionError("the file was split although its first line is too wide")

    monkeypatch.setattr(csv_loader, "_detect_delimiter", never)
    wide = ",".join("1.5" for _ in range(10**6))  # 4 MB: one line of 10**6 numbers
    path = write(tmp_path, "\n\n" + wide + "\n" + wide + "\n", name="wide.csv")
    assert message(path) == (f"wide.csv, line 3: 1000000 columns; clusterviz reads at most "
                             f"{MAX_CSV_COLUMNS} columns.")
    path = write(tmp_path, ";".join("c" for _ in range(MAX_CSV_COLUMNS + 1)) + "\n1;2\n", name="semi.csv")
    assert message(path) == (f"semi.csv, line 1: {MAX_CSV_COLUMNS + 1} columns; clusterviz reads at "
                             f"most {MAX_CSV_COLUMNS} columns.")


def test_delimiters_inside_quotes_do_not_count_as_columns(tmp_path):
    from clusterviz.data.csv_loader import MAX_COLUMNS as MAX_CSV_COLUMNS

    name = "," * (MAX_CSV_COLUMNS // 2 + 10)  # two such names hold more commas than the limit
    ds = load_csv(write(tmp_path, f'"{name}","{name}",c\n1,2,x\n3,4,y\n'))
    assert ds.columns == (name, name) and ds.X.shape == (2, 2) and ds.class_names == ("x", "y")


def counting_flag(cancel_at):
    """An is_cancelled() that turns True on its ``cancel_at``-th call; ``calls`` counts them."""
    calls = [0]

    def is_cancelled():
        calls[0] += 1
        return calls[0] >= cancel_at

    return is_cancelled, calls


@pytest.mark.parametrize("quoted", [False, True])
def test_a_read_stops_at_the_first_look_at_the_cancel_flag_after_it_turns(tmp_path, quoted):
    from clusterviz.data.csv_loader import ReadCancelled

    rows = 100_000
    cell = '"{}"' if quoted else "{}"
    text = "a,b\n" + "".join(f"{cell.format(i)},{i % 7}\n" for i in range(rows))
    path = write(tmp_path, text)
    is_cancelled, calls = counting_flag(10**9)
    full = load_csv(path, is_cancelled=is_cancelled)  # never cancelled: the same data as without a flag
    np.testing.assert_array_equal(full.X, load_csv(path).X)
    looks = calls[0]
    assert looks >= 4  # the file, its lines in chunks, and the columns are each looked between
    for cancel_at in (1, 2, looks // 2, looks):
        is_cancelled, calls = counting_flag(cancel_at)
        with pytest.raises(ReadCancelled, match="reading data.csv was cancelled"):
            load_csv(path, is_cancelled=is_cancelled)
        assert calls[0] == cancel_at  # it stopped at once: no look after the one that said stop


# --- the bulk path and the careful path agree -----------------------------------

def outcome(path, bulk):
    """What reading ``path`` gives on one path: the data set's fields (the
    numbers as their bit patterns, so -0.0 and 0.0 differ) or the error message."""
    from clusterviz.data.csv_loader import _load

    try:
        ds = _load(path, bulk=bulk)
    except DataError as err:
        return ("error", str(err))
    return (ds.X.shape, ds.X.view(np.int64).tolist(), ds.columns, ds.class_names,
            None if ds.labels is None else ds.labels.tolist(), ds.dropped_rows, ds.warnings)


NUMBER_CELLS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(-1e6, 1e6).map(lambda v: f"{v:.6f}"),
    st.floats(-1e30, 1e30).map(lambda v: f"{v:e}"),
    st.integers(-10**20, 10**20).map(str),
    st.sampled_from(["-0", "+0", "+1.5", ".5", "5.", "1E+05", "5e-324", "4.9e-324", "1e-400",
                     "1.7976931348623157e308", " 2 ", "\t3", "9" * 30, "0." + "0" * 30 + "1"]),
)
ODD_CELLS = st.sampled_from(["", " ", "NA", "nan", "-nan", "inf", "1e400", "1_000", "0x1F", "abc", '"7"',
                             '"1,5"', "1 2", "e5", "1e", "--1", "\u00a0", "é"])


@st.composite
def csv_texts(draw):
    """CSV text that is mostly plain, with now and then what makes it not:
    quoting, blank lines, missing values, exotic numbers, text, ragged rows."""
    sep = draw(st.sampled_from([",", ";", "\t"]))
    n_cols = draw(st.integers(2, 4))
    odd = draw(st.one_of(st.just(0.0), st.floats(0, 0.2)))
    cell = st.one_of(NUMBER_CELLS, ODD_CELLS) if odd else NUMBER_CELLS
    rows = draw(st.lists(st.lists(cell, min_size=n_cols, max_size=n_cols), min_size=1, max_size=12))
    rows = [[c if draw(st.floats(0, 1)) >= odd else draw(ODD_CELLS) for c in r] for r in rows]
    if draw(st.booleans()):
        names = draw(st.lists(st.sampled_from(["x", "y", '"q"', "z w", "", "1", "NA", "ä"]),
                              min_size=n_cols, max_size=n_cols))
        rows.insert(0, names)
    if draw(st.integers(0, 9)) == 0:  # a ragged row
        rows[draw(st.integers(0, len(rows) - 1))].append("1")
    lines = [sep.join(r) for r in rows]
    if draw(st.integers(0, 5)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", " ", sep])))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    tail = draw(st.sampled_from(["", end, end * 2]))
    return draw(st.sampled_from(["", "\ufeff"])) + end.join(lines) + tail


@settings(max_examples=400, deadline=None)
@given(text=csv_texts())
def test_the_bulk_path_reads_exactly_what_the_careful_path_reads(tmp_path_factory, text):
    path = tmp_path_factory.getbasetemp() / "bulk.csv"
    path.write_bytes(text.encode("utf-8"))
    assert outcome(path, bulk=True) == outcome(path, bulk=False)


def test_a_plain_file_never_takes_the_careful_path(tmp_path, monkeypatch):
    from clusterviz.data import csv_loader

    def careful(*_args):
        raise AssertionError("a plain table was read cell by cell")

    monkeypatch.setattr(csv_loader, "_load_careful", careful)
    X = np.random.default_rng(3).normal(size=(50_000, 3)) * [1, 1e-5, 1e8]
    for sep, end in ((",", "\n"), (";", "\r\n"), ("\t", "\n")):
        path = write(tmp_path, "a" + sep + "b" + sep + "c" + end
                     + "".join(sep.join(repr(v) for v in row) + end for row in X.tolist()))
        ds = load_csv(path)
        assert ds.columns == ("a", "b", "c") and ds.warnings == () and ds.dropped_rows == 0
        np.testing.assert_array_equal(ds.X, X)
