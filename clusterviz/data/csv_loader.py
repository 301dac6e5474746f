"""Load a CSV table into a `Dataset`, with errors that point at the cell.

What `load_csv` accepts
-----------------------
- Encoding: UTF-8, with or without a byte-order mark. Anything else is a
  `DataError` naming the file and the line of the first bad byte; we do not
  guess Latin-1/cp1252, because a wrong guess silently garbles class names.
  (Spreadsheets offer "CSV UTF-8" when saving.) UTF-16 files and files with
  NUL bytes are refused with their own message.
- Delimiter: ``,``, ``;`` or tab, detected from the first lines: the one
  that splits them into the same number (>= 2) of fields, most fields
  winning. Quoted fields (``"a,b"``), CRLF/LF/CR line ends and blank lines
  are fine. Decimal commas (``1,5``) are not supported.
- Header: optional. The first row is a header when one of its cells in a
  numeric column is not a number; otherwise the columns are named
  ``x1, x2, ...`` after their position in the file.
- Missing values: an empty cell or ``NA``, ``N/A``, ``NaN``, ``null`` (any
  case) drops the whole row; `Dataset.dropped_rows` counts them and a
  warning names the first line.
- Text columns (most non-missing cells not numbers): the first becomes the
  true classes (`labels` coded in order of first appearance, `class_names`);
  later ones are ignored with a warning. Entirely empty columns (e.g. from a
  trailing delimiter) are ignored with a warning.
- A numeric column with a cell that is not a number, or a value that is not
  finite (``inf``, ``1e400``), is an error naming file, line, column and
  value. So are ragged rows, an empty file, a header without data, and
  fewer than two numeric columns.
- Width: a first line of more than `MAX_COLUMNS` fields is refused
  before the rest of the file is parsed.

How it reads
------------
A plain table -- an optional header, then rows of decimal numbers only, with
no quotes, blank lines, missing values or text -- is parsed in bulk
(`_load_plain`): its bytes are checked a chunk at a time, then ``np.loadtxt``'s
C reader parses the same chunks, which convert numbers exactly as ``float``
does. Anything else, or anything the bulk path finds wrong, goes the careful
way (`_load_careful`): every cell looked at, so that missing values, text
columns and quotes are handled and every error names its line, column and
value. Both paths read the same numbers bit for bit.

A read can be cancelled: ``is_cancelled()`` is asked between chunks of the
file and of its lines, and True stops the read with `ReadCancelled`.

Line numbers are 1-based as in a text editor; a row with a quoted field that
spans lines is reported at the line where it starts.
"""
from __future__ import annotations

import csv
import io
import itertools
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .dataset import DataError, Dataset
from .limits import MAX_CSV_BYTES, MAX_CSV_COLUMNS, ReadCancelled, read_regular_file

__all__ = ["load_csv", "MISSING_VALUES", "DELIMITERS", "MAX_COLUMNS", "ReadCancelled"]

#: Most fields the first line of a CSV file may have (`limits.MAX_CSV_COLUMNS`).
MAX_COLUMNS = MAX_CSV_COLUMNS

#: Cell texts (compared case-insensitively, after stripping blanks) that mean
#: "no value"; a row with one of them in a used column is dropped.
MISSING_VALUES = frozenset({"", "na", "n/a", "nan", "null"})

#: Delimiters `load_csv` recognises, in order of preference on a tie.
DELIMITERS = (",", "\t", ";")

_SNIFF_ROWS = 50
#: Rows split between two looks at the cancel flag.
_CHUNK_ROWS = 20_000


def load_csv(path: str | os.PathLike[str], *, is_cancelled: Callable[[], bool] | None = None) -> Dataset:
    """Read a CSV file of numbers (and optionally one class column).

    Parameters
    ----------
    path : str or path-like
        The file. See the module docstring for the accepted format.
    is_cancelled : callable, optional
        Asked between chunks of the read and of the parse; when it returns
        True the read stops with `ReadCancelled`.

    Returns
    -------
    Dataset
        ``name`` is the file name without its extension, ``X`` the numeric
        columns in file order, ``columns`` their names; ``labels`` and
        ``class_names`` come from the first text column (None without one);
        ``dropped_rows`` and ``warnings`` report what was skipped.

    Raises
    ------
    DataError
        If the file is missing or unreadable, not UTF-8, empty, ragged, has
        fewer than two numeric columns, or a numeric column holds a cell that
        is not a finite number. The message names the file, line, column and
        value, e.g. ``"data.csv, line 14, column 2 ('waiting'): 'abc' is not
        a number."``. A first line wider than `MAX_COLUMNS` fields is
        refused before the rest of the file is parsed.
    ReadCancelled
        If ``is_cancelled()`` turned True.
    """
    return _load(path, is_cancelled)


def _load(path, is_cancelled: Callable[[], bool] | None = None, bulk: bool = True) -> Dataset:
    """`load_csv`; ``bulk=False`` takes the careful path even for a plain file (for tests)."""
    path = Path(path)
    fname = path.name

    def check_cancelled() -> None:
        if is_cancelled is not None and is_cancelled():
            raise ReadCancelled(f"reading {fname} was cancelled")

    data = _read_utf8(path, is_cancelled)
    check_cancelled()
    head = _head(data)
    _check_width(head, fname)
    delimiter = _detect_delimiter(head)
    if bulk:
        plain = _load_plain(data, delimiter, check_cancelled)
        if plain is not None:
            del data  # the file's bytes need not outlive the parse (Dataset copies X)
            X, names, notes = plain
            return Dataset(name=path.stem, X=X, columns=names, labels=None, class_names=None,
                           dropped_rows=0, warnings=notes)
    return _load_careful(data.decode("utf-8"), delimiter, path, check_cancelled)


def _load_careful(text: str, delimiter: str, path: Path, check_cancelled: Callable[[], None]) -> Dataset:
    """The careful path: every cell looked at on its own, so that anything
    unusual (missing values, text columns, quotes, stray text, ragged rows,
    values that are not finite) is handled or explained with its line,
    column and value."""
    fname = path.name
    # Split with the csv module (C speed), remembering where each row starts.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        if '"' not in text:
            # No quotes, so no field spans lines: row i is line i + 1.
            all_rows = []
            while chunk := list(itertools.islice(reader, _CHUNK_ROWS)):
                check_cancelled()
                all_rows += chunk
            lines = [i + 1 for i, row in enumerate(all_rows) if _has_content(row)]
            rows = [all_rows[i - 1] for i in lines]
        else:
            start = 1
            for i, row in enumerate(reader):
                if i % _CHUNK_ROWS == 0:
                    check_cancelled()
                if _has_content(row):  # skip blank lines
                    rows.append(row)
                    lines.append(start)
                start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"{fname}, line {reader.line_num}: cannot split the line ({exc}).") from None
    if not rows:
        raise DataError(f"{fname} is empty; it needs a row of numbers per point.")

    n_fields = len(rows[0])
    for row, line in zip(rows, lines):
        if len(row) != n_fields:
            raise DataError(
                f"{fname}, line {line}: {len(row)} fields, but line {lines[0]} has "
                f"{n_fields} (delimiter {_delimiter_name(delimiter)})."
            )

    check_cancelled()
    columns = list(zip(*rows))
    scans = []
    for col in columns:
        check_cancelled()
        scans.append(_scan_column(col))
    values = [v for v, _, _ in scans]
    missing = [m for _, m, _ in scans]
    numeric = [n for _, _, n in scans]

    if len(rows) == 1:
        # A lone row is data if it holds at least two numbers, else a header.
        has_header = sum(numeric[j][0] for j in range(n_fields)) < 2
        kinds = [
            "empty" if missing[j][0] else "number" if numeric[j][0] else "text"
            for j in range(n_fields)
        ]
    else:
        # Classify columns on the rows after the first (which may be a header);
        # the first row is a header if it has text in a numeric column.
        kinds = [_column_kind(numeric[j][1:], missing[j][1:]) for j in range(n_fields)]
        has_header = any(
            kinds[j] == "number" and not numeric[j][0] and not missing[j][0]
            for j in range(n_fields)
        )

    first = 1 if has_header else 0
    if first == len(rows):
        raise DataError(f"{fname} has a header line but no data rows.")
    if has_header:
        names = [c or f"x{j + 1}" for j, c in enumerate(cell.strip() for cell in rows[0])]
    else:
        names = [f"x{j + 1}" for j in range(n_fields)]
    body_lines = np.asarray(lines[first:])
    warnings: list[str] = []

    num_cols = [j for j in range(n_fields) if kinds[j] == "number"]
    text_cols = [j for j in range(n_fields) if kinds[j] == "text"]
    warnings += _at_most([f"Column {j + 1} ({_quote(names[j])}) is empty and was ignored."
                          for j in range(n_fields) if kinds[j] == "empty"])
    if not num_cols:
        raise DataError(
            f"{fname} has no numeric column; clusterviz needs at least two columns of numbers."
        )
    if len(num_cols) == 1:
        j = num_cols[0]
        raise DataError(
            f"{fname} has only one numeric column ({_quote(names[j])}); "
            "clusterviz needs at least two."
        )
    label_col = text_cols[0] if text_cols else None
    warnings += _at_most([f"Column {j + 1} ({_quote(names[j])}) is not numeric and was ignored."
                          for j in text_cols[1:]])

    # A stray text cell in a numeric column is an error, reported in file order.
    bad = [
        (int(np.argmax(~numeric[j][first:] & ~missing[j][first:])), j)
        for j in num_cols
        if (~numeric[j][first:] & ~missing[j][first:]).any()
    ]
    if bad:
        i, j = min(bad)
        raise DataError(
            f"{fname}, line {body_lines[i]}, column {j + 1} ({_quote(names[j])}): "
            f"{_quote(columns[j][first + i].strip())} is not a number."
        )

    used = num_cols + ([label_col] if label_col is not None else [])
    drop = np.zeros(len(rows) - first, dtype=bool)
    for j in used:
        drop |= missing[j][first:]
    keep = ~drop

    X = np.empty((int(keep.sum()), len(num_cols)), dtype=np.float64)
    for k, j in enumerate(num_cols):
        column = values[j][first:][keep]
        finite = np.isfinite(column)
        if not finite.all():
            i = int(np.flatnonzero(keep)[np.argmin(finite)])
            raise DataError(
                f"{fname}, line {body_lines[i]}, column {j + 1} ({_quote(names[j])}): "
                f"{_quote(columns[j][first + i].strip())} is not a finite number."
            )
        X[:, k] = column

    n_dropped = int(drop.sum())
    if n_dropped:
        first_line = body_lines[int(np.argmax(drop))]
        rows_word = "row" if n_dropped == 1 else "rows"
        warnings.append(
            f"Dropped {n_dropped} {rows_word} with missing values (first at line {first_line})."
        )
    if X.shape[0] == 0:
        raise DataError(f"{fname}: every data row has a missing value; nothing is left to load.")
    warnings += _at_most([f"Column {_quote(names[j])} is constant." for k, j in enumerate(num_cols)
                          if X.shape[0] > 1 and np.all(X[:, k] == X[0, k])])

    labels = class_names = None
    if label_col is not None:
        codes: dict[str, int] = {}
        cells = [c.strip() for c, k in zip(columns[label_col][first:], keep) if k]
        labels = np.fromiter(
            (codes.setdefault(c, len(codes)) for c in cells), dtype=np.int64, count=len(cells)
        )
        class_names = tuple(codes)

    return Dataset(
        name=path.stem,
        X=X,
        columns=tuple(names[j] for j in num_cols),
        labels=labels,
        class_names=class_names,
        dropped_rows=n_dropped,
        warnings=tuple(warnings),
    )


def _load_plain(data: bytes, delimiter: str,
                check_cancelled: Callable[[], None]) -> tuple[np.ndarray, tuple, tuple] | None:
    """The bulk path for a plain table of finite numbers: (X, column names,
    warnings), or None when the file is anything else (the careful path
    then reads it and explains).

    Plain: an optional header line, then rows of the same number of fields,
    each a decimal number (bytes ``0-9 + - . e E``, blanks around it), with
    no quotes, blank lines, missing values, text, or values that are not
    finite; LF or CRLF line ends. The bytes are checked a chunk of
    `_PLAIN_CHUNK_BYTES` at a time, then ``np.loadtxt``'s own C reader
    parses them (`_numpy_reader`), fed the same chunks by a reader that
    looks at the cancel flag between them; it converts numbers as Python's
    ``float`` does, bit for bit.
    """
    if _numpy_reader is None:
        return None
    pos = 0
    while True:  # skip blank lines before the first row
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end
        cr = data.find(b"\r", pos, end)
        end = end if cr < 0 else cr
        if data[pos:end].strip() or end == len(data):
            break
        pos = end + 1
    try:
        first = next(csv.reader([data[pos:end].decode("utf-8")], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return None
    n_fields = len(first)
    if n_fields < 2 or not _has_content(first):
        return None
    numeric = [not np.isnan(_parse_cell(c)) for c in first]
    missing = [not n and c.strip().lower().lstrip("+-") in MISSING_VALUES for c, n in zip(first, numeric)]
    if all(numeric):
        names = [f"x{j + 1}" for j in range(n_fields)]
        body = pos
    elif any(not n and not m for n, m in zip(numeric, missing)):
        names = [c.strip() or f"x{j + 1}" for j, c in enumerate(first)]
        body = end + (2 if data[end:end + 2] == b"\r\n" else 1)
    else:  # a first row of numbers with a missing value
        return None
    stop = len(data)
    while stop > body and data[stop - 1:stop] in (b"\n", b"\r"):
        stop -= 1
    if stop <= body:
        return None
    chunks, n_rows = [], 1
    allowed = _PLAIN_BYTES + delimiter.encode()
    while body < stop:
        check_cancelled()
        end = data.find(b"\n", body + _PLAIN_CHUNK_BYTES, stop) if body + _PLAIN_CHUNK_BYTES < stop else -1
        end = stop if end < 0 else end + 1
        chunk = data[body:end]
        if chunk.translate(None, allowed) or (b"\r" in chunk and chunk.count(b"\r") != chunk.count(b"\r\n")):
            return None  # something else than numbers, blanks, delimiters and line ends
        n_rows += chunk.count(b"\n")
        chunks.append((body, end))
        body = end
    reader = _ChunkReader(data, chunks, check_cancelled)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            X = _numpy_reader(reader, delimiter=delimiter, comment=None, quote=None, imaginary_unit="j",
                              usecols=None, skiplines=0, max_rows=-1, converters=None,
                              dtype=np.dtype(np.float64), encoding=None, filelike=True, byte_converters=False)
        except (ValueError, TypeError, Warning):  # a field that is not a number, a ragged row, ...
            return None
    # Fewer rows than lines: blank lines, which the careful path counts.
    if X.shape != (n_rows, n_fields) or not np.isfinite(X).all():
        return None
    # constant columns: only those whose first rows agree are compared in full
    maybe = np.flatnonzero((X[:64] == X[0]).all(axis=0)) if n_rows > 1 else []
    notes = _at_most([f"Column {_quote(names[j])} is constant." for j in maybe if np.all(X[:, j] == X[0, j])])
    return X, tuple(names), tuple(notes)


try:  # the C reader behind np.loadtxt (numpy >= 1.23), fed chunks of text by _ChunkReader
    from numpy._core._multiarray_umath import _load_from_filelike as _numpy_reader
except ImportError:  # pragma: no cover - numpy < 2
    try:
        from numpy.core._multiarray_umath import _load_from_filelike as _numpy_reader
    except ImportError:
        _numpy_reader = None

#: Bytes a plain body may hold besides its delimiter: those of decimal
#: numbers, blanks and line ends.
_PLAIN_BYTES = b"0123456789+-.eE \t\r\n"
#: Bytes of a plain body checked, and parsed, between two looks at the
#: cancel flag (about 15 000 rows of two numbers: a few milliseconds, so
#: the GIL is never held long).
_PLAIN_CHUNK_BYTES = 1 << 18


class _ChunkReader:
    """A text file of ``data[start:end]`` for each (start, end) of ``chunks``
    (ASCII, whole lines), for ``np.loadtxt``'s reader, which takes whatever
    a read returns: each read gives the next chunk, whatever size was asked
    for (one call a chunk, not one per 16 KiB). The cancel flag is looked at
    before each chunk after the first."""

    def __init__(self, data: bytes, chunks: list[tuple[int, int]], check_cancelled: Callable[[], None]):
        self._data = data
        self._chunks = iter(chunks)
        self._check_cancelled = check_cancelled
        self._started = False

    def read(self, size: int = -1) -> str:
        span = next(self._chunks, None)
        if span is None:
            return ""
        if self._started:
            self._check_cancelled()
        self._started = True
        return self._data[span[0]:span[1]].decode("ascii")


def _quote(text: str, limit: int = 40) -> str:
    """repr of a cell or column name for a message, shortened if long (a
    100 000-character cell must not become a 100 000-character message)."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _at_most(sentences: list[str], limit: int = 5) -> list[str]:
    """The first sentences of a per-column kind, then one for the rest (a
    file with 10**5 empty columns gets 5 warnings, not 10**5)."""
    if len(sentences) <= limit:
        return sentences
    rest = len(sentences) - (limit - 1)
    return sentences[: limit - 1] + [f"... and {rest} more columns like that."]


def _has_content(row: list[str]) -> bool:
    """False for a blank line (no fields, or one field of blanks)."""
    return any(row) and (len(row) > 1 or bool(row[0].strip()))


def _column_kind(numeric: np.ndarray, missing: np.ndarray) -> str:
    """"empty" (no values), "number" (most values numbers) or "text"."""
    present = ~missing
    if not present.any():
        return "empty"
    return "number" if 2 * numeric[present].sum() >= present.sum() else "text"


def _check_width(text: str, fname: str) -> None:
    """Refuse a first line (the first that is not blank) of more than
    `MAX_COLUMNS` fields, before anything else is split."""
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if line.strip():
            break
    else:
        return
    width = 1 + max(line.count(d) for d in DELIMITERS)
    if width <= MAX_COLUMNS:
        return  # a quoted delimiter only makes the count larger than the fields
    try:  # the exact count, with quoted fields
        width = len(next(csv.reader([line], delimiter=max(DELIMITERS, key=line.count))))
    except csv.Error:  # an unbalanced quote: keep the count of delimiters
        pass
    if width > MAX_COLUMNS:
        raise DataError(f"{fname}, line {number}: {width} columns; clusterviz reads at most "
                        f"{MAX_COLUMNS} columns.")


def _read_utf8(path: Path, is_cancelled: Callable[[], bool] | None = None) -> bytes:
    """The file's bytes, checked to be UTF-8 text (a leading BOM is dropped);
    only a regular file of at most `MAX_CSV_BYTES` is read (see `read_regular_file`)."""
    data = read_regular_file(path, MAX_CSV_BYTES, "CSV file", is_cancelled)
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise DataError(
            f"{path.name} is UTF-32 text; save it as UTF-8 (\"CSV UTF-8\") and load it again."
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(
            f"{path.name} is UTF-16 text; save it as UTF-8 (\"CSV UTF-8\") and load it again."
        )
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise DataError(
            f"{path.name}, line {line}: contains a NUL byte, so it is not a CSV text file."
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.isascii():  # ASCII is UTF-8; anything else is decoded once to check it
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise DataError(
                f"{path.name}, line {line}: byte 0x{data[exc.start]:02x} is not UTF-8 text; "
                "save the file as UTF-8 (\"CSV UTF-8\") and load it again."
            ) from None
    return data


def _head(data: bytes) -> str:
    """The first whole lines of the file, decoded: more than `_SNIFF_ROWS`
    that are not blank, or the whole file."""
    size = 1 << 16
    while size < len(data):
        cut = max(data.rfind(b"\n", 0, size), data.rfind(b"\r", 0, size)) + 1
        if cut > 0:
            text = data[:cut].decode("utf-8")
            if sum(1 for line in io.StringIO(text, newline="") if line.strip()) > _SNIFF_ROWS:
                return text
        size *= 4
    return data.decode("utf-8")


def _detect_delimiter(text: str) -> str:
    """The delimiter among `DELIMITERS` that splits the first rows evenly."""
    sample_lines = []
    for line in io.StringIO(text, newline=""):
        if line.strip():
            sample_lines.append(line)
        if len(sample_lines) >= _SNIFF_ROWS:
            break
    best, best_score = DELIMITERS[0], (-1, -1)
    for rank, d in enumerate(DELIMITERS):
        try:
            counts = [len(r) for r in csv.reader(sample_lines, delimiter=d) if r]
        except csv.Error:
            continue
        if not counts:
            continue
        consistent = len(set(counts)) == 1 and counts[0] >= 2
        # Consistent splits first, then more fields on the first row.
        score = (int(consistent), counts[0])
        if score > best_score:
            best, best_score = d, score
    return best


def _delimiter_name(d: str) -> str:
    return {",": "','", ";": "';'", "\t": "tab"}[d]


def _scan_column(cells: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse one column's cells (the first may be a header).

    Returns
    -------
    values : ndarray of shape (n_cells,)
        The number in each cell (NaN where missing or not a number; inf kept).
    missing : ndarray of bool, shape (n_cells,)
        Cells that are blank or spell a missing value (`MISSING_VALUES`).
    numeric : ndarray of bool, shape (n_cells,)
        Cells that hold a number (finite or not).
    """
    values = np.empty(len(cells))
    values[:1] = [_parse_cell(c) for c in cells[:1]]
    try:
        # Fast path: every cell below the first is a number or "nan"; Python's
        # float() is quicker than numpy's string casting and accepts the same.
        values[1:] = [float(c) for c in cells[1:]]
    except ValueError:
        values[1:] = [_parse_cell(c) for c in cells[1:]]
    not_number = np.isnan(values)
    missing = np.zeros(len(cells), dtype=bool)
    for i in np.flatnonzero(not_number) if not_number.any() else ():
        missing[i] = cells[i].strip().lower().lstrip("+-") in MISSING_VALUES
    return values, missing, ~not_number


def _parse_cell(cell: str) -> float:
    """The number in a cell, or NaN if it holds none."""
    try:
        return float(cell)
    except ValueError:
        return np.nan
