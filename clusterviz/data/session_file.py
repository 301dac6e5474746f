"""Session files (``.clusterviz``): the whole session as versioned JSON.

A session file holds everything needed to show a fit again exactly as it was:
the data (points, column names, true classes), the settings, the seed, the
hand-placed initial centroids, the shown columns or projection, and the
position on the timeline. It does *not* hold the timeline's arrays: steps are
pure functions of (data, state), so the timeline is replayed from its first
entry and comes back bit for bit. Floats are written with Python's shortest
round-trip representation, so every number reads back exactly.

Format, version 2
-----------------
A UTF-8 JSON object::

    {
      "clusterviz_session": 2,             # format version (required, int)
      "saved_by": "clusterviz 0.1.0",      # informative only
      "dataset": {
        "name": "iris",
        "columns": ["sepal_length", ...],  # D names
        "X": {"dtype": "<f8", "shape": [N, D], "base64": "..."},
                                           # N rows of D finite numbers
        "labels": {"dtype": "<i8", "shape": [N], "base64": "..."} | null,
                                           # N class codes >= 0
        "class_names": ["setosa", ...] | null,
        "lengths": [272] | null            # optional: sequence lengths (sum N)
      },
      "settings": {
        "algorithm": "kmeans",                 # a name from the algorithm registry
        "n_clusters": 3, "init": "k-means++", "seed": 0,
        "covariance_type": "full",
        "beta": 1.0, "max_iter": 300,
        "show_seeding": false,                 # optional (default false)
        "tol": null, "n_init": 1               # optional: null = the algorithm's tolerance
      },
      "initial_means": [[...], ...] | null,    # K rows of D numbers
      "view": {
        "columns": [0, 1],                      # the shown column pair
        "projection": [[...], [...]] | null,    # or a (2, D) projection ...
        "center": [...] | null                  # ... and the centre it subtracts
      },
      "timeline": {
        "start": null | {                       # the first entry, when it is not
          "means": [[...]], "weights": [...],   # what the settings initialise
          "covariances": [[[...]]] | null,      # (after a data edit the fit
          "startprob": [...] | null,            # optional: a hidden Markov model's
          "transmat": [[...]] | null,           # start and transition probabilities
          "objective": 123.4,                   # restarts from the shown
          "notes": ["..."]                      # parameters)
        },
        "phases": ["init", "E", "M", "M"],      # phase of every entry; k-means++
                                                # picks ("seed") may precede "init"
        "objectives": [ ... ],                  # objective of every entry (a check)
        "cursor": 3                             # index of the shown entry
      }
    }

The points and class codes are array blocks (`clusterviz.data.compact_arrays`):
the raw little-endian bytes in base64 with their element type and shape, a
third of the size of decimal text, written and read without a Python object
per number, and bit-exact. A block's text must be exactly as long as its
shape needs, checked before it is decoded. The reader also takes plain JSON
lists in their place (how version 1 stored them, and what a person writes by
hand).

Version 1 is version 2 with lists for ``dataset.X`` and ``dataset.labels``;
it is still read. `save_session_file` writes version 2 (or 1 when asked).

Which text values the settings may take (algorithm names, inits, covariance
types) is not known here: the session layer passes them in (``choices``),
from the algorithm registry, so this module stays free of the estimators.

Replaying: an "E" entry is a half-step, an "M" entry a step (after an "E" it
completes that iteration). `load_session_file` checks the structure, types
and shapes; `clusterviz.session.Session.from_payload` replays the timeline
and checks that it reproduces the stored objectives.

Sizes are checked against what the app shows before anything is built
for them (`clusterviz.data.limits`): at most `MAX_CLUSTERS` clusters,
`MAX_FEATURES` columns, `MAX_TIMELINE_ENTRIES` timeline entries, class codes
up to `MAX_CLASS_CODE` when no class names are given; only a regular file of
at most `MAX_SESSION_BYTES` is read.

Every problem raises `clusterviz.data.DataError` with a message naming the
file and the field, e.g. ``"lesson.clusterviz: field 'dataset.X' row 3 has 2
numbers; expected 4."``. Files from a newer version are refused with their
version number.
"""
from __future__ import annotations

import json
import math
import os
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np

from .atomic_write import write_bytes_atomic
from .compact_arrays import block_chunks, decode_block, encode_block, is_block
from .dataset import DataError
from .limits import (MAX_CLASS_CODE, MAX_CLUSTERS, MAX_FEATURES, MAX_N_INIT, MAX_SESSION_BYTES, MAX_TIMELINE_ENTRIES,
                     read_regular_file)

__all__ = ["FORMAT_KEY", "FORMAT_VERSION", "FILE_SUFFIX", "SaveCancelled", "save_session_file",
           "load_session_file", "check_payload", "encode_session"]

#: The key whose value is the format version; also marks the file as ours.
FORMAT_KEY = "clusterviz_session"
#: The version this code writes and the newest it reads.
FORMAT_VERSION = 2
#: Suggested file name suffix.
FILE_SUFFIX = ".clusterviz"

_PHASES = ("seed", "init", "E", "M")
#: A lone surrogate: JSON's "\ud800" escape reads as one, and UTF-8 cannot write it.
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Largest whole number a field may hold (seed, K, max_iter, cursor, class
#: codes): what the app's spin boxes (32-bit) can show.
_MAX_INT = 2**31 - 1
#: The fields stored as array blocks from version 2 on: (outer key, key, element type).
_BLOCK_FIELDS = (("dataset", "X", "<f8"), ("dataset", "labels", "<i8"))

Progress = Callable[[int, int], None]


class SaveCancelled(Exception):
    """A save was cancelled (its ``is_cancelled()`` turned True); nothing was written."""


def save_session_file(path: str | os.PathLike[str], payload: dict, choices: Mapping[str, tuple[str, ...]] | None = None,
                      *, version: int = FORMAT_VERSION, progress: Progress | None = None,
                      is_cancelled: Callable[[], bool] | None = None) -> None:
    """Write a session payload (see `Session.to_payload`) as a session file.

    Parameters
    ----------
    path : str or path-like
    payload : dict
        The session; ``dataset.X`` and ``dataset.labels`` may be lists or
        numpy arrays (arrays are written without a Python object per number).
    choices : mapping, optional
        The allowed values of text settings (see `check_payload`).
    version : int
        The format version to write: 2 (array blocks) or 1 (JSON lists, for
        older clusterviz versions).
    progress : callable, optional
        ``progress(done, total)`` in bytes, called as the file is written.
    is_cancelled : callable, optional
        Asked between chunks; True stops the save with `SaveCancelled`, and
        the file is left as it was.

    The payload is checked first, so a file that cannot be read back is
    never written. The text is written to a new temporary in the file's
    folder and renamed over it
    (`clusterviz.data.atomic_write.write_bytes_atomic`), so a failure, a
    cancel or a kill never leaves half a file behind; a symlink's target is
    updated (the link stays a link) and the file keeps its permission bits.

    Raises
    ------
    DataError
        If the payload is malformed (a bug) or the file cannot be written.
    SaveCancelled
        If ``is_cancelled()`` turned True.
    """
    path = Path(path)
    try:
        total, chunks = encode_session(payload, path.name, choices, version=version)
    except UnicodeEncodeError as err:
        raise DataError(f"{path.name}: the session cannot be written as UTF-8 text: {err.reason} "
                        f"at character {err.start}.") from None
    try:
        write_bytes_atomic(path, _watched(chunks, total, progress, is_cancelled))
    except OSError as err:
        raise DataError(f"{path.name}: cannot write the session file: {err.strerror or err}.") from None


def _watched(chunks: Iterator[bytes], total: int, progress: Progress | None,
             is_cancelled: Callable[[], bool] | None) -> Iterator[bytes]:
    done = 0
    for chunk in chunks:
        if is_cancelled is not None and is_cancelled():
            raise SaveCancelled("the save was cancelled")
        yield chunk
        done += len(chunk)
        if progress is not None:
            progress(done, total)


def encode_session(payload: dict, name: str = "session", choices: Mapping[str, tuple[str, ...]] | None = None,
                   *, version: int = FORMAT_VERSION) -> tuple[int, Iterator[bytes]]:
    """The bytes of a session file for ``payload``, checked, as chunks.

    Returns
    -------
    (int, iterator of bytes)
        The file's length and its contents in chunks (the array blocks'
        base64 text is made chunk by chunk as the iterator is consumed).

    Raises
    ------
    DataError
        If the payload is malformed or cannot be written as JSON.
    UnicodeEncodeError
        If a text cannot be written as UTF-8 (a lone surrogate).
    """
    if version not in (1, FORMAT_VERSION):
        raise ValueError(f"cannot write session file version {version!r}; this clusterviz writes 1 or "
                         f"{FORMAT_VERSION}")
    payload = dict(payload)
    payload[FORMAT_KEY] = version
    payload["dataset"] = dict(payload.get("dataset") or {})
    check_payload(payload, name, choices)
    blocks: list[tuple[str, np.ndarray]] = []  # (placeholder text, array)
    for outer, key, dtype in _BLOCK_FIELDS:
        value = payload[outer][key]
        if value is None:
            continue
        if version == 1:
            payload[outer][key] = np.asarray(value).tolist()
            continue
        header, data = encode_block(value, dtype)
        token = f"@block-{secrets.token_hex(16)}@"
        payload[outer][key] = {**header, "base64": token}
        blocks.append((token, data))
    try:
        text = json.dumps(payload, indent=1, allow_nan=False, ensure_ascii=False, default=_json_default) + "\n"
    except (TypeError, ValueError) as err:
        raise DataError(f"{name}: the session cannot be written as JSON: {err}") from None
    pieces: list[bytes | np.ndarray] = []
    rest = text
    for token, data in blocks:
        before, found, rest = rest.partition(token)
        if not found or token in rest:
            raise DataError(f"{name}: the session cannot be written: an array block's marker is ambiguous.")
        pieces += [before.encode("utf-8"), data]
    pieces.append(rest.encode("utf-8"))  # every text is encoded before any file is made
    total = sum(len(p) if isinstance(p, bytes) else 4 * ((p.nbytes + 2) // 3) for p in pieces)

    def chunks() -> Iterator[bytes]:
        for piece in pieces:
            if isinstance(piece, bytes):
                yield piece
            else:
                yield from block_chunks(piece)

    return total, chunks()


def _json_default(value):
    """Small numpy arrays and scalars elsewhere in a payload, as JSON lists and numbers."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def load_session_file(path: str | os.PathLike[str], choices: Mapping[str, tuple[str, ...]] | None = None) -> dict:
    """Read and check a session file (format version 1 or 2).

    ``choices`` are the allowed values of text settings (see `check_payload`).

    Returns
    -------
    dict
        The payload, with the structure, types and shapes checked (see the
        module docstring); pass it to `Session.from_payload`. The array
        blocks of a version 2 file are read-only numpy arrays
        (``dataset.X`` float64 of shape (N, D), ``dataset.labels`` int64);
        a version 1 file gives lists.

    Raises
    ------
    DataError
        If the file is missing, not JSON, truncated, from a newer version,
        or a field is missing or has the wrong type or shape, or an array
        block is corrupt. The message names the file and the field.
    """
    path = Path(path)
    name = path.name
    if not os.path.lexists(path):
        raise DataError(f"{name}: cannot read the session file: no such file ({path}).")
    raw = read_regular_file(path, MAX_SESSION_BYTES, "session file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{name}: not a clusterviz session file (not UTF-8 text at byte {err.start}).") from None
    del raw
    if not text.strip():
        raise DataError(f"{name}: the session file is empty.")
    try:
        payload = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        raise DataError(
            f"{name}: the session file is corrupt or truncated (invalid JSON at line {err.lineno}, "
            f"column {err.colno}: {err.msg})."
        ) from None
    except ValueError as err:
        raise DataError(f"{name}: {err}") from None
    except RecursionError:
        raise DataError(f"{name}: the session file is corrupt (its lists or objects are nested too deeply).") from None
    check_payload(payload, name, choices)
    return payload


def _refuse_constant(token: str):
    raise ValueError(f"the session file holds {token}; every number must be finite.")


# ----------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------
class _Checker:
    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, field: str, problem: str) -> DataError:
        return DataError(f"{self.name}: field {field!r} {problem}")

    def obj(self, parent: dict, key: str, field: str, *, nullable: bool = False) -> dict | None:
        if key not in parent:
            raise self.fail(field, "is missing.")
        value = parent[key]
        if value is None and nullable:
            return None
        if not isinstance(value, dict):
            raise self.fail(field, f"should be an object; got {_kind(value)}.")
        return value

    def get(self, parent: dict, key: str, field: str):
        if key not in parent:
            raise self.fail(field, "is missing.")
        return parent[key]

    def string(self, parent: dict, key: str, field: str, choices: tuple[str, ...] | None = None) -> str:
        value = self.get(parent, key, field)
        if not isinstance(value, str):
            raise self.fail(field, f"should be text; got {_kind(value)}.")
        if choices is not None and value not in choices:
            raise self.fail(field, f"is {value!r}; expected one of {', '.join(map(repr, choices))}.")
        return self.text(value, field)

    def text(self, value: str, field: str) -> str:
        """``value``, which must be valid Unicode text: no lone surrogate (``"\\ud800"``)."""
        match = _SURROGATE.search(value)
        if match is not None:
            raise self.fail(field, f"holds a lone surrogate (\\u{ord(match.group()):04x}) at character "
                                   f"{match.start()}; it is not valid text.")
        return value

    def texts(self, values: list, field: str) -> list:
        for i, value in enumerate(values):
            self.text(value, f"{field}[{i}]")
        return values

    def integer(self, parent: dict, key: str, field: str, minimum: int | None = None) -> int:
        value = self.get(parent, key, field)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field, f"should be a whole number; got {_kind(value)}.")
        if minimum is not None and value < minimum:
            raise self.fail(field, f"is {value}; expected a number >= {minimum}.")
        if value > _MAX_INT:
            raise self.fail(field, f"is {_kind(value)}; expected a number <= {_MAX_INT}.")
        return value

    def number(self, value, field: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
            raise self.fail(field, f"should be a finite number; got {_kind(value)}.")
        return float(value)

    def vector(self, value, field: str, length: int | None = None) -> list:
        if not isinstance(value, list):
            raise self.fail(field, f"should be a list of numbers; got {_kind(value)}.")
        if length is not None and len(value) != length:
            raise self.fail(field, f"has {len(value)} numbers; expected {length}.")
        for i, v in enumerate(value):
            self.number(v, f"{field}[{i}]")
        return value

    def matrix(self, value, field: str, rows: int | None, cols: int | None):
        if isinstance(value, np.ndarray):
            return self.array(value, field, (rows, cols))
        if not isinstance(value, list):
            raise self.fail(field, f"should be a list of rows; got {_kind(value)}.")
        if rows is not None and len(value) != rows:
            raise self.fail(field, f"has {len(value)} rows; expected {rows}.")
        for i, row in enumerate(value):
            if not isinstance(row, list):
                raise self.fail(field, f"row {i} should be a list of numbers; got {_kind(row)}.")
            if cols is not None and len(row) != cols:
                raise self.fail(field, f"row {i} has {len(row)} numbers; expected {cols}.")
            for j, v in enumerate(row):
                self.number(v, f"{field}[{i}][{j}]")
        return value

    def array(self, value: np.ndarray, field: str, shape: tuple[int | None, ...]) -> np.ndarray:
        """A numpy array of real numbers with ``shape`` (None: any size), all finite."""
        if value.dtype.kind not in "fiu" or value.ndim != len(shape):
            raise self.fail(field, f"should be a {len(shape)}-D array of numbers; got {_kind(value)}.")
        for axis, (n, want) in enumerate(zip(value.shape, shape)):
            if want is not None and n != want:
                raise self.fail(field, f"has {n} entries along axis {axis}; expected {want}.")
        if value.dtype.kind == "f":
            bad = ~np.isfinite(value)
            if bad.any():
                where = "".join(f"[{i}]" for i in np.argwhere(bad)[0])
                raise self.fail(f"{field}{where}", f"should be a finite number; got {value[tuple(np.argwhere(bad)[0])]}.")
        return value

    def block(self, parent: dict, key: str, field: str, dtype: str, shape: tuple[int | None, ...],
              version: int):
        """``parent[key]``; an array block (version 2 and later) is decoded and put in its place."""
        value = parent[key]
        if not is_block(value):
            return value
        if version < 2:
            raise self.fail(field, f"is an array block, which needs format version 2; the file says {version}.")
        parent[key] = decode_block(value, field, dtype, len(shape), self.fail, shape)
        return parent[key]


def _finite(value: int | float) -> bool:
    """math.isfinite, False for an int too large for a float (JSON allows 10**400)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        shown = repr(value) if len(repr(value)) <= 30 else f"{repr(value)[:27]}..."
        return f"the number {shown}"
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, np.ndarray):
        return f"an array of {value.dtype} with shape {value.shape}"
    return type(value).__name__


def check_payload(payload, name: str = "session", choices: Mapping[str, tuple[str, ...]] | None = None) -> None:
    """Check a session payload's structure, types and shapes.

    Parameters
    ----------
    payload : object
        What `json.loads` returned, or what `Session.to_payload` built.
        Array blocks (format version 2) are decoded and replaced, in place,
        by the read-only numpy arrays they hold.
    name : str
        The file name used in messages.
    choices : mapping of str to tuple of str, optional
        The values each text setting ("algorithm", "init",
        "covariance_type") may take, e.g.
        `clusterviz.session.payload.SETTING_CHOICES`; without it (or for a
        setting it does not list) any text is accepted.

    Raises
    ------
    DataError
        Naming the file and the first bad field.
    """
    c = _Checker(name)
    if not isinstance(payload, dict) or FORMAT_KEY not in payload:
        raise DataError(
            f"{name}: not a clusterviz session file (no {FORMAT_KEY!r} version key at the top)."
        )
    version = payload[FORMAT_KEY]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise c.fail(FORMAT_KEY, f"should be a format version number >= 1; got {_kind(version)}.")
    if version > FORMAT_VERSION:
        raise DataError(
            f"{name}: the session file has format version {version}, newer than this clusterviz "
            f"understands (version {FORMAT_VERSION}); please update clusterviz."
        )

    data = c.obj(payload, "dataset", "dataset")
    c.string(data, "name", "dataset.name")
    columns = c.get(data, "columns", "dataset.columns")
    if not isinstance(columns, list) or not columns or not all(isinstance(x, str) for x in columns):
        raise c.fail("dataset.columns", f"should be a non-empty list of column names; got {_kind(columns)}.")
    c.texts(columns, "dataset.columns")
    d = len(columns)
    if d > MAX_FEATURES:
        raise c.fail("dataset.columns", f"has {d} columns; clusterviz shows at most {MAX_FEATURES}.")
    c.get(data, "X", "dataset.X")
    X = c.matrix(c.block(data, "X", "dataset.X", "<f8", (None, d), version), "dataset.X", None, d)
    n = len(X)
    c.get(data, "labels", "dataset.labels")
    labels = c.block(data, "labels", "dataset.labels", "<i8", (n,), version)
    class_names = c.get(data, "class_names", "dataset.class_names")
    top_label = None
    if labels is not None:
        # Every code below the largest gets a name: without names given, codes stay small
        # (with names, each code must have one; checked below).
        top_code = _MAX_INT if isinstance(class_names, list) else MAX_CLASS_CODE
        if isinstance(labels, np.ndarray):
            if labels.dtype.kind not in "iu" or labels.shape != (n,):
                raise c.fail("dataset.labels", f"should be {n} class codes; got {_kind(labels)}.")
            bad = np.flatnonzero((labels < 0) | (labels > top_code))
            if bad.size:
                raise c.fail(f"dataset.labels[{bad[0]}]", f"should be a class code 0..{top_code}; "
                                                          f"got the number {labels[bad[0]]}.")
            top_label = int(labels.max()) if n else None
        else:
            if not isinstance(labels, list) or len(labels) != n:
                raise c.fail("dataset.labels", f"should be a list of {n} class codes; got {_kind(labels)}.")
            for i, v in enumerate(labels):
                if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= top_code:
                    raise c.fail(f"dataset.labels[{i}]", f"should be a class code 0..{top_code}; got {_kind(v)}.")
            top_label = max(labels) if labels else None
    if class_names is not None:
        if labels is None:
            raise c.fail("dataset.class_names", "is given without 'dataset.labels'.")
        if not isinstance(class_names, list) or not all(isinstance(x, str) for x in class_names):
            raise c.fail("dataset.class_names", f"should be a list of names; got {_kind(class_names)}.")
        c.texts(class_names, "dataset.class_names")
        if top_label is not None and top_label >= len(class_names):
            raise c.fail("dataset.labels", f"holds class code {top_label} but there are only "
                                           f"{len(class_names)} class names.")

    lengths = data.get("lengths")
    if lengths is not None:
        if (not isinstance(lengths, list) or len(lengths) > max(n, 1)
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in lengths)
                or sum(lengths) != n):
            raise c.fail("dataset.lengths", f"should be a list of positive sequence lengths that add up to the "
                                            f"{n} rows; got {_kind(lengths)}.")

    settings = c.obj(payload, "settings", "settings")
    choices = choices or {}
    c.string(settings, "algorithm", "settings.algorithm", choices.get("algorithm"))
    k = c.integer(settings, "n_clusters", "settings.n_clusters", 1)
    if k > MAX_CLUSTERS:
        raise c.fail("settings.n_clusters", f"is {k}; clusterviz fits at most {MAX_CLUSTERS} clusters.")
    c.string(settings, "init", "settings.init", choices.get("init"))
    c.integer(settings, "seed", "settings.seed", 0)
    c.string(settings, "covariance_type", "settings.covariance_type", choices.get("covariance_type"))
    beta = c.number(c.get(settings, "beta", "settings.beta"), "settings.beta")
    if beta <= 0:
        raise c.fail("settings.beta", f"is {beta!r}; expected a number > 0.")
    c.integer(settings, "max_iter", "settings.max_iter", 1)
    if settings.get("tol") is not None and c.number(settings["tol"], "settings.tol") < 0:
        raise c.fail("settings.tol", f"is {settings['tol']!r}; expected a number >= 0 (or null: the default).")
    if "n_init" in settings:
        n_init = c.integer(settings, "n_init", "settings.n_init", 1)
        if n_init > MAX_N_INIT:
            raise c.fail("settings.n_init", f"is {n_init}; clusterviz tries at most {MAX_N_INIT} starts.")
    if not isinstance(settings.get("show_seeding", False), bool):
        raise c.fail("settings.show_seeding", f"should be true or false; got {_kind(settings['show_seeding'])}.")

    means = c.get(payload, "initial_means", "initial_means")
    if means is not None:
        c.matrix(means, "initial_means", k, d)

    view = c.obj(payload, "view", "view")
    pair = c.get(view, "columns", "view.columns")
    if (not isinstance(pair, list) or len(pair) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < d for v in pair)):
        raise c.fail("view.columns", f"should be two column indices in 0..{d - 1}; got {pair!r}.")
    projection = view.get("projection")
    if projection is not None:
        c.matrix(projection, "view.projection", 2, d)
    center = view.get("center")
    if center is not None:
        c.vector(center, "view.center", d)

    timeline = c.obj(payload, "timeline", "timeline")
    start = c.obj(timeline, "start", "timeline.start", nullable=True)
    if start is not None:
        c.matrix(c.get(start, "means", "timeline.start.means"), "timeline.start.means", k, d)
        c.vector(c.get(start, "weights", "timeline.start.weights"), "timeline.start.weights", k)
        covs = c.get(start, "covariances", "timeline.start.covariances")
        if covs is not None:
            if not isinstance(covs, list) or len(covs) != k:
                raise c.fail("timeline.start.covariances", f"should be a list of {k} matrices; got {_kind(covs)}.")
            for i, cov in enumerate(covs):
                c.matrix(cov, f"timeline.start.covariances[{i}]", d, d)
        for key, shape in (("startprob", (k,)), ("transmat", (k, k))):
            chain = start.get(key)
            if chain is None:
                continue
            field = f"timeline.start.{key}"
            values = c.vector(chain, field, k) if len(shape) == 1 else c.matrix(chain, field, k, k)
            if np.any(np.asarray(values, dtype=np.float64) < 0):
                raise c.fail(field, "holds a negative probability.")
        c.number(c.get(start, "objective", "timeline.start.objective"), "timeline.start.objective")
        notes = start.get("notes", [])
        if not isinstance(notes, list) or not all(isinstance(x, str) for x in notes):
            raise c.fail("timeline.start.notes", f"should be a list of sentences; got {_kind(notes)}.")
        c.texts(notes, "timeline.start.notes")
    phases = c.get(timeline, "phases", "timeline.phases")
    if not isinstance(phases, list) or not all(isinstance(p, str) and p in _PHASES for p in phases):
        raise c.fail("timeline.phases", "should be a list of phases 'seed', 'init', 'E' or 'M'.")
    n_seeds = next((i for i, p in enumerate(phases) if p != "seed"), len(phases))
    fit = phases[n_seeds:]
    if phases and (not fit or fit[0] != "init" or "init" in fit[1:] or "seed" in fit):
        raise c.fail("timeline.phases", "should start with 'init' (after any 'seed' entries) and hold it only once.")
    for i in range(1, len(phases)):
        if phases[i] == "E" and phases[i - 1] == "E":
            raise c.fail("timeline.phases", f"has two 'E' entries in a row at {i - 1} and {i}.")
    if len(phases) > MAX_TIMELINE_ENTRIES:
        raise c.fail("timeline.phases", f"has {len(phases)} entries; clusterviz replays at most "
                                        f"{MAX_TIMELINE_ENTRIES}.")
    objectives = c.get(timeline, "objectives", "timeline.objectives")
    c.vector(objectives, "timeline.objectives", len(phases))
    cursor = c.integer(timeline, "cursor", "timeline.cursor", 0)
    if cursor > max(len(phases) - 1, 0):
        raise c.fail("timeline.cursor", f"is {cursor}, beyond the {len(phases)} timeline entries.")
