"""Session files (``.clusterviz``): the whole session as versioned JSON.

A session file holds everything needed to show a fit again exactly as it was:
the data (points, column names, true classes), the settings, the seed, the
hand-placed initial centroids, the shown columns or projection, and the
position on the timeline. It does *not* hold the timeline's arrays: steps are
pure functions of (data, state), so the timeline is replayed from its first
entry and comes back bit for bit. Floats are written with Python's shortest
round-trip representation, so every number reads back exactly.

Format, version 1
-----------------
A UTF-8 JSON object::

    {
      "clusterviz_session": 1,             # format version (required, int)
      "saved_by": "clusterviz 0.1.0",      # informative only
      "dataset": {
        "name": "iris",
        "columns": ["sepal_length", ...],  # D names
        "X": [[5.1, 3.5, ...], ...],       # N rows of D finite numbers
        "labels": [0, 0, 1, ...] | null,   # N class codes >= 0
        "class_names": ["setosa", ...] | null
      },
      "settings": {
        "algorithm": "kmeans",                 # a name from the algorithm registry
        "n_clusters": 3, "init": "k-means++", "seed": 0,
        "covariance_type": "full",
        "beta": 1.0, "max_iter": 300,
        "show_seeding": false                  # optional (default false)
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
          "objective": 123.4,                   # restarts from the shown
          "notes": ["..."]                      # parameters)
        },
        "phases": ["init", "E", "M", "M"],      # phase of every entry; k-means++
                                                # picks ("seed") may precede "init"
        "objectives": [ ... ],                  # objective of every entry (a check)
        "cursor": 3                             # index of the shown entry
      }
    }

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
from collections.abc import Mapping
from pathlib import Path

from .atomic_write import write_bytes_atomic
from .dataset import DataError
from .limits import (MAX_CLASS_CODE, MAX_CLUSTERS, MAX_FEATURES, MAX_SESSION_BYTES, MAX_TIMELINE_ENTRIES,
                     read_regular_file)

__all__ = ["FORMAT_KEY", "FORMAT_VERSION", "FILE_SUFFIX", "save_session_file", "load_session_file",
           "check_payload"]

#: The key whose value is the format version; also marks the file as ours.
FORMAT_KEY = "clusterviz_session"
#: The version this code writes and the newest it reads.
FORMAT_VERSION = 1
#: Suggested file name suffix.
FILE_SUFFIX = ".clusterviz"

_PHASES = ("seed", "init", "E", "M")
#: A lone surrogate: JSON's "\ud800" escape reads as one, and UTF-8 cannot write it.
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Largest whole number a field may hold (seed, K, max_iter, cursor, class
#: codes): what the app's spin boxes (32-bit) can show.
_MAX_INT = 2**31 - 1


def save_session_file(path: str | os.PathLike[str], payload: dict, choices: Mapping[str, tuple[str, ...]] | None = None
                      ) -> None:
    """Write a session payload (see `Session.to_payload`) as JSON.

    ``choices`` are the allowed values of text settings (see `check_payload`).

    The payload is checked first, so a file that cannot be read back is
    never written. The whole text is encoded, then written to a new
    temporary in the file's folder and renamed over it
    (`clusterviz.data.atomic_write.write_bytes_atomic`), so a failure or a
    kill never leaves half a file behind; a symlink's target is updated
    (the link stays a link) and the file keeps its permission bits.

    Raises
    ------
    DataError
        If the payload is malformed (a bug) or the file cannot be written.
    """
    path = Path(path)
    payload = dict(payload)
    payload.setdefault(FORMAT_KEY, FORMAT_VERSION)
    check_payload(payload, path.name, choices)
    try:
        text = json.dumps(payload, indent=1, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as err:
        raise DataError(f"{path.name}: the session cannot be written as JSON: {err}") from None
    try:
        data = (text + "\n").encode("utf-8")  # all of it, before any file is made
    except UnicodeEncodeError as err:
        raise DataError(f"{path.name}: the session cannot be written as UTF-8 text: {err.reason} "
                        f"at character {err.start}.") from None
    try:
        write_bytes_atomic(path, data)
    except OSError as err:
        raise DataError(f"{path.name}: cannot write the session file: {err.strerror or err}.") from None


def load_session_file(path: str | os.PathLike[str], choices: Mapping[str, tuple[str, ...]] | None = None) -> dict:
    """Read and check a session file.

    ``choices`` are the allowed values of text settings (see `check_payload`).

    Returns
    -------
    dict
        The payload, with the structure, types and shapes checked (see the
        module docstring); pass it to `Session.from_payload`.

    Raises
    ------
    DataError
        If the file is missing, not JSON, truncated, from a newer version,
        or a field is missing or has the wrong type or shape. The message
        names the file and the field.
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

    def matrix(self, value, field: str, rows: int | None, cols: int | None) -> list:
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
    return type(value).__name__


def check_payload(payload, name: str = "session", choices: Mapping[str, tuple[str, ...]] | None = None) -> None:
    """Check a session payload's structure, types and shapes.

    Parameters
    ----------
    payload : object
        What `json.loads` returned, or what `Session.to_payload` built.
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
    X = c.matrix(c.get(data, "X", "dataset.X"), "dataset.X", None, d)
    n = len(X)
    labels = c.get(data, "labels", "dataset.labels")
    class_names = c.get(data, "class_names", "dataset.class_names")
    if labels is not None:
        # Every code below the largest gets a name: without names given, codes stay small
        # (with names, each code must have one; checked below).
        top_code = _MAX_INT if isinstance(class_names, list) else MAX_CLASS_CODE
        if not isinstance(labels, list) or len(labels) != n:
            raise c.fail("dataset.labels", f"should be a list of {n} class codes; got {_kind(labels)}.")
        for i, v in enumerate(labels):
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= top_code:
                raise c.fail(f"dataset.labels[{i}]", f"should be a class code 0..{top_code}; got {_kind(v)}.")
    if class_names is not None:
        if labels is None:
            raise c.fail("dataset.class_names", "is given without 'dataset.labels'.")
        if not isinstance(class_names, list) or not all(isinstance(x, str) for x in class_names):
            raise c.fail("dataset.class_names", f"should be a list of names; got {_kind(class_names)}.")
        c.texts(class_names, "dataset.class_names")
        if labels and max(labels) >= len(class_names):
            raise c.fail("dataset.labels", f"holds class code {max(labels)} but there are only "
                                           f"{len(class_names)} class names.")

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
