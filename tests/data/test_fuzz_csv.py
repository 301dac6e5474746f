"""Fuzzing `load_csv`: every mutated file either loads -- finite
numbers, at least two columns -- or raises `DataError`, never anything else
(pytest turns warnings into errors, so a numpy RuntimeWarning fails too);
and opening it into a Session the way the app does never changes the open
session when it fails.

The mutations start from the shipped data sets (resources/datasets/*.csv):
truncation at random offsets, byte flips, random bytes, insertions of
delimiters, quotes, NUL and line ends, extreme numbers (1e308, 1e400, -0,
denormals, 400 nines), cells that are not numbers, wrong encodings (UTF-16,
UTF-32, Latin-1, cp1252), and hand-made shapes (the widest first line
read, `MAX_COLUMNS` fields, and 10**5, which is refused;
very long lines, blank lines, only delimiters). Every loop is seeded and
hypothesis runs derandomized, so the run is the same on every machine.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterviz.data import DataError, Dataset, builtin_dataset, load_csv
from clusterviz.data.csv_loader import MAX_COLUMNS
from clusterviz.model import ModelError
from clusterviz.session import Session

ROOT = Path(__file__).resolve().parents[2]
SEED_FILES = sorted((ROOT / "resources" / "datasets").glob("*.csv"))
SEED_IDS = [p.stem for p in SEED_FILES]

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=150,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

EXTREME_CELLS = [
    "1e308", "-1e308", "1.7976931348623157e308", "1e400", "-1e400", "1e-400", "-0", "-0.0", "+0",
    "5e-324", "4.9e-324", "2.2250738585072014e-308", "inf", "-inf", "Infinity", "nan", "NaN", "NA",
    "null", "N/A", "", " ", "9" * 400, "0." + "0" * 400 + "1", "1e999999999", "0x1F", "1_000", "١٢٣",
    ".", "-", "+", "e5", "1e", "1.2.3", "--1", "1,5", '"1,5"', '"', '""', "\u00a0", "\u2028", "\ufeff",
    "\x0b", "\x0c", "\t", "😀", "NaN" * 100, "1" * 200000,
]
INSERTS = [b",", b";", b"\t", b'"', b"\n", b"\r", b"\r\n", b"\x00", b"\xff", b"\xef\xbb\xbf", b"\xc3",
           b"1e400", b"-0", b"5e-324", b"nan", b"inf", b",,,,", b'"a\nb"', b"\xe2\x80\xa8"]


def check_load(path: Path) -> Dataset | None:
    """The fuzz invariant for one file. Returns the data set, or None after
    a DataError; any other exception fails the test."""
    try:
        ds = load_csv(path)
    except DataError as err:
        text = str(err)
        assert text and len(text) < 2000, text  # a message for a dialog, not a dump of the file
        return None
    assert isinstance(ds, Dataset)
    assert ds.X.dtype == np.float64 and ds.X.ndim == 2
    assert ds.X.shape[0] >= 1 and ds.X.shape[1] >= 2 and len(ds.columns) == ds.X.shape[1]
    assert np.all(np.isfinite(ds.X))
    if ds.labels is not None:
        assert ds.labels.shape == (ds.X.shape[0],) and ds.labels.min() >= 0
        assert ds.class_names is not None and ds.labels.max() < len(ds.class_names)
    assert all(isinstance(w, str) and len(w) < 2000 for w in ds.warnings) and len(ds.warnings) < 50
    return ds


def fingerprint(session: Session) -> str:
    return json.dumps(session.to_payload(), sort_keys=True)


def assert_session_sane(s: Session) -> None:
    state = s.state
    if state is None:
        assert isinstance(s.problem, str) and s.problem
        return
    for value in (state.means, state.weights, state.covariances, state.responsibilities):
        if value is not None:
            assert np.all(np.isfinite(value))
    assert np.isfinite(state.objective)


def open_csv_into(session: Session, path: Path) -> bool:
    """What the app does on File > Open CSV (without the column dialog):
    read the file, then load the data set into the open session. A failure
    must leave the session exactly as it was."""
    before = fingerprint(session)
    try:
        session.load_dataset(load_csv(path))
    except (DataError, ModelError) as err:
        assert str(err)
        assert fingerprint(session) == before
        return False
    assert_session_sane(session)
    return True


# ----------------------------------------------------------------------
# Mutations (each: rng, bytes -> bytes)
# ----------------------------------------------------------------------
def truncate(rng, data):
    return data[: int(rng.integers(0, len(data) + 1))]


def flip_bits(rng, data):
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 9))):
        i = int(rng.integers(0, len(b)))
        b[i] ^= 1 << int(rng.integers(0, 8))
    return bytes(b)


def random_bytes(rng, data):
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 9))):
        b[int(rng.integers(0, len(b)))] = int(rng.integers(0, 256))
    return bytes(b)


def insert_token(rng, data):
    i = int(rng.integers(0, len(data) + 1))
    return data[:i] + INSERTS[int(rng.integers(0, len(INSERTS)))] + data[i:]


def delete_span(rng, data):
    i = int(rng.integers(0, len(data)))
    return data[:i] + data[i + int(rng.integers(1, 200)):]


def shuffle_lines(rng, data):
    lines = data.split(b"\n")
    i, j = (int(v) for v in rng.integers(0, len(lines), size=2))
    how = int(rng.integers(0, 3))
    if how == 0:
        lines[i], lines[j] = lines[j], lines[i]
    elif how == 1:
        lines.insert(i, lines[j])
    else:
        del lines[i]
    return b"\n".join(lines)


def extreme_cell(rng, data):
    lines = data.decode("utf-8", errors="surrogateescape").split("\n")
    i = int(rng.integers(0, len(lines)))
    cells = lines[i].split(",")
    j = int(rng.integers(0, len(cells)))
    cells[j] = EXTREME_CELLS[int(rng.integers(0, len(EXTREME_CELLS)))]
    lines[i] = ",".join(cells)
    return "\n".join(lines).encode("utf-8", errors="surrogateescape")


def ragged_row(rng, data):
    lines = data.split(b"\n")
    i = int(rng.integers(0, len(lines)))
    lines[i] = lines[i] + b",7" if rng.random() < 0.5 else lines[i].rsplit(b",", 1)[0]
    return b"\n".join(lines)


def wrong_encoding(rng, data):
    text = data.decode("utf-8", errors="replace")
    if rng.random() < 0.5:
        text = text.replace(",", ",é", 1)  # a non-ASCII character in the header
    encoding = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252", "utf-8-sig"][
        int(rng.integers(0, 7))]
    return text.encode(encoding, errors="replace")


def line_ends(rng, data):
    return data.replace(b"\n", [b"\r\n", b"\r", b"\n\n", b"\n \n"][int(rng.integers(0, 4))])


MUTATIONS = [truncate, flip_bits, random_bytes, insert_token, delete_span, shuffle_lines, extreme_cell,
             ragged_row, wrong_encoding, line_ends]


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz_csv")


@pytest.mark.parametrize("seed_file", SEED_FILES, ids=SEED_IDS)
@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.__name__ for m in MUTATIONS])
def test_mutated_shipped_file_loads_or_raises_data_error(seed_file, mutation, fuzz_dir):
    original = seed_file.read_bytes()
    assert check_load(seed_file) is not None  # the seed itself is valid
    rng = np.random.default_rng([SEED_IDS.index(seed_file.stem), MUTATIONS.index(mutation)])
    path = fuzz_dir / f"{seed_file.stem}-{mutation.__name__}.csv"
    loaded = 0
    for _ in range(25):
        data = original
        for _ in range(int(rng.integers(1, 4))):  # one to three mutations of this kind
            data = mutation(rng, data) if data else data
        path.write_bytes(data)
        loaded += check_load(path) is not None
    if mutation in (line_ends, shuffle_lines):
        assert loaded > 0  # the loader is not simply refusing everything


@pytest.mark.parametrize("seed_file", SEED_FILES, ids=SEED_IDS)
def test_mixed_mutations_never_change_the_open_session_when_they_fail(seed_file, fuzz_dir):
    rng = np.random.default_rng(SEED_IDS.index(seed_file.stem) + 100)
    original = seed_file.read_bytes()
    sessions = [Session(builtin_dataset("three_blobs"), algorithm=a, n_clusters=3, seed=1)
                for a in ("kmeans", "gmm", "soft-kmeans")]
    for s in sessions:
        s.step()
        s.half_step()
    path = fuzz_dir / f"{seed_file.stem}-mixed.csv"
    outcomes = set()
    for n in range(60):
        data = original
        for _ in range(int(rng.integers(1, 4))):
            data = MUTATIONS[int(rng.integers(0, len(MUTATIONS)))](rng, data) if data else data
        path.write_bytes(data)
        outcomes.add(open_csv_into(sessions[n % 3], path))
    assert outcomes == {True, False}


# ----------------------------------------------------------------------
# Hand-made shapes
# ----------------------------------------------------------------------
WIDE = MAX_COLUMNS  # the widest first line read
TOO_WIDE = 100_000

SHAPES = {
    "widest-columns-one-row": ",".join(str(i % 97) for i in range(WIDE)).encode() + b"\n",
    "widest-columns-with-header": (",".join(f"c{i}" for i in range(WIDE)) + "\n"
                                   + ",".join(str(i % 89) for i in range(WIDE)) + "\n").encode(),
    "widest-empty-columns": (b"a,b" + b"," * (WIDE - 2) + b"\n1,2" + b"," * (WIDE - 2) + b"\n3,4"
                             + b"," * (WIDE - 2) + b"\n"),
    "1e5-columns-one-row": ",".join(str(i % 97) for i in range(TOO_WIDE)).encode() + b"\n",
    "1e5-empty-columns": (b"a,b" + b"," * TOO_WIDE + b"\n1,2" + b"," * TOO_WIDE + b"\n3,4"
                          + b"," * TOO_WIDE + b"\n"),
    "very-long-line": b"x,y\n1," + b"9" * 1_000_000 + b"\n2,3\n",
    "very-long-number": b"x,y\n1," + b"1" * 100_000 + b".5\n2,3\n",
    "very-long-quoted-field": b'x,y\n"' + b"a" * 300_000 + b'",1\n',
    "very-long-header": b"x" * 100_000 + b",y\n1,2\n3,4\n",
    "empty": b"",
    "blank-lines": b"\n\n\r\n \n\t\n",
    "only-commas": b",,,\n,,,\n,,,\n",
    "only-semicolons": b";;;\n;;;\n",
    "only-tabs": b"\t\t\n\t\t\n",
    "only-quotes": b'""\n""\n',
    "unbalanced-quote": b'a,b\n"1,2\n3,4\n',
    "one-cell": b"1\n",
    "one-column": b"1\n2\n3\n",
    "header-only": b"a,b\n",
    "bom-only": b"\xef\xbb\xbf",
    "nul-only": b"\x00",
    "utf16-bom-only": b"\xff\xfe",
    "utf32-file": "a,b\n1,2\n3,4\n".encode("utf-32"),
    "latin1-header": "länge,breite\n1,2\n3,4\n".encode("latin-1"),
    "cp1252-euro": "€,b\n1,2\n3,4\n".encode("cp1252"),
    "huge-numbers": b"x,y\n1e308,-1e308\n1.7976931348623157e308,0\n",
    "overflowing-number": b"x,y\n1e400,1\n2,3\n",
    "negative-zero-and-denormals": b"x,y\n-0,-0.0\n5e-324,2.2250738585072014e-308\n1e-400,0\n",
    "all-missing": b"x,y\nNA,1\n2,nan\n,\n",
    "2000-constant-columns": (",".join("7" for _ in range(2000)) + "\n").encode() * 3,
    "many-text-columns": b"a,b" + b",t" * 1000 + b"\n1,2" + b",u" * 1000 + b"\n3,4" + b",v" * 1000 + b"\n",
    "mixed-delimiters": b"a,b;c\n1,2;3\n4;5,6\n",
    "crlf-and-cr": b"a,b\r\n1,2\r3,4\n5,6\r\n",
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_hand_made_shapes_load_or_raise_data_error(name, fuzz_dir):
    path = fuzz_dir / f"{name}.csv"
    path.write_bytes(SHAPES[name])
    ds = check_load(path)
    if name.startswith("widest-columns"):
        assert ds is not None and ds.X.shape == (1, WIDE)
    if name.startswith("1e5-"):
        assert ds is None
    if name == "2000-constant-columns":
        assert ds is not None and len(ds.warnings) == 5
    if name == "widest-empty-columns":  # five warnings, not one per column
        assert len(ds.warnings) == 5 and ds.warnings[-1] == f"... and {WIDE - 2 - 4} more columns like that."
    if name in ("huge-numbers", "negative-zero-and-denormals", "crlf-and-cr"):
        assert ds is not None
    if name in ("overflowing-number", "utf32-file", "latin1-header", "empty", "only-commas", "nul-only"):
        assert ds is None


def test_messages_quote_long_cells_briefly(fuzz_dir):
    path = fuzz_dir / "long.csv"
    path.write_bytes(SHAPES["very-long-number"])
    with pytest.raises(DataError, match=r"line 2, column 2 \('y'\): '1{30,}…' is not a finite number") as err:
        load_csv(path)
    assert len(str(err.value)) < 200
    path.write_bytes(SHAPES["utf32-file"])
    with pytest.raises(DataError, match="is UTF-32 text"):
        load_csv(path)


def test_a_file_wider_than_the_limit_is_refused_naming_file_line_and_limit(fuzz_dir):
    path = fuzz_dir / "wide.csv"
    path.write_bytes(b"\n" + SHAPES["1e5-columns-one-row"])
    with pytest.raises(DataError) as err:
        load_csv(path)
    assert str(err.value) == (f"wide.csv, line 2: {TOO_WIDE} columns; clusterviz reads at most "
                              f"{MAX_COLUMNS} columns.")


def test_the_widest_file_in_the_session(fuzz_dir):
    """One row of `MAX_COLUMNS` numbers: K-Means fits it with K = 1 and
    steps; every algorithm leaves a sane session, and K = 3 asks for points."""
    path = fuzz_dir / "wide.csv"
    path.write_bytes(SHAPES["widest-columns-one-row"])
    wide = load_csv(path)
    for algorithm in ("kmeans", "gmm", "soft-kmeans"):
        s = Session(builtin_dataset("three_blobs"), algorithm=algorithm, n_clusters=1)
        s.load_dataset(wide)
        assert s.n_features == WIDE
        if algorithm == "kmeans":
            assert s.state is not None
            s.step()
        assert_session_sane(s)
        s.set_n_clusters(3)
        assert s.state is None and s.problem .startswith("Add at least 3 points to fit K = 3 clusters (")


# ----------------------------------------------------------------------
# Hypothesis: random bytes and random CSV-like text (derandomized)
# ----------------------------------------------------------------------
CSV_ALPHABET = st.sampled_from(list("0123456789.,;\t\n\r\"-+eE ") + ["nan", "inf", "1e308", "1e400", "-0",
                                                                    "5e-324", "NA", "é", "\x00", "x"])


@FUZZ
@given(prefix=st.integers(0, 3000), blob=st.binary(max_size=64), suffix=st.integers(0, 3000))
def test_random_bytes_spliced_into_a_shipped_file(prefix, blob, suffix, tmp_path_factory):
    data = SEED_FILES[prefix % len(SEED_FILES)].read_bytes()
    i = prefix % (len(data) + 1)
    j = min(len(data), i + suffix % 50)
    path = tmp_path_factory.getbasetemp() / "hypothesis-splice.csv"
    path.write_bytes(data[:i] + blob + data[j:])
    check_load(path)


@FUZZ
@given(tokens=st.lists(CSV_ALPHABET, max_size=300))
def test_random_csv_like_text(tokens, tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "hypothesis-text.csv"
    path.write_bytes("".join(tokens).encode("utf-8"))
    check_load(path)


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes(data, tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "hypothesis-bytes.csv"
    path.write_bytes(data)
    check_load(path)
