"""Guided lessons: chapters read from versioned JSON files (no Qt).

The app ships its chapters in the repository's top-level ``resources/lessons/``
folder (inside the wheel as ``clusterviz.resources/lessons``); a teacher can
write their own in the same format and open their folder. Chapters are shown
in the order of their file names (``01-...json``, ``02-...json``).

Format, version 1
-----------------
A UTF-8 JSON object::

    {
      "clusterviz_lesson": 1,                 # format version (required, int)
      "title": "K-Means on three blobs",
      "setup": {                              # what opening the chapter sets
        "dataset": "three_blobs",             # a built-in data set
        "algorithm": "kmeans",                # a name from the algorithm registry
        "k": 3, "seed": 42, "init": "random",
        "covariance": "full",                 # optional
        "beta": 1.0,                          # optional
        "steps": 0,                           # optional: steps run on opening
        "show_seeding": false                 # optional: k-means++ picks one by one
      },
      "layers": {"regions": false, "density": false, "ambiguity": false, "trails": true},
      "view": {"colours": "opacity", "half_steps": false},
      "text": ["2 to 5 sentences, plain text", "..."],
      "formula": "J = &Sigma;<sub>n</sub> ...",  # rich text: only <sub> <sup> <i> <b> <br>
      "try_it": {
        "task": "What to do (plain text).",
        "hint": "Shown while the goal is not met (optional).",
        "goal": {"kind": "different_local_minimum", "reference": 322.0}
      }
    }

Every key of ``layers`` and ``view`` is optional (missing: off, "opacity").
The goal kinds and their fields are in :mod:`clusterviz.data.lesson_goals`.

A bad file is refused with a `LessonError` naming the file, the line and the
field. A chapter whose algorithm the app does not know (yet) is skipped with
a note instead, so lessons written for a newer app still open the others.
Which algorithms, inits and covariance types exist is passed in by the caller
(from the algorithm registry), so this module stays free of the estimators.
"""
from __future__ import annotations

import json
import numbers
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .dataset import DataError
from .datasets import BUILTIN_DATASETS, _resources
from .lesson_goals import check_goal_spec
from .limits import MAX_CLUSTERS

__all__ = ["COLOUR_MODES", "FORMAT_KEY", "FORMAT_VERSION", "FORMULA_TAGS", "LAYERS", "LESSON_DIR", "Chapter",
           "LessonChoices", "LessonError", "LessonSet", "key_line", "load_lesson_file", "load_lessons",
           "parse_lesson"]

#: The key holding the format version, and the version this app reads.
FORMAT_KEY = "clusterviz_lesson"
FORMAT_VERSION = 1
#: The shipped chapters (an importlib.resources traversable).
LESSON_DIR = _resources() / "lessons"
#: Largest lesson file read (a chapter is a few kB).
MAX_LESSON_BYTES = 256_000

#: Tags the formula may use (no attributes): sub/superscripts, italics, bold, line breaks.
FORMULA_TAGS = frozenset({"sub", "sup", "i", "b", "br"})
COLOUR_MODES = ("hard", "opacity", "blend")
LAYERS = ("regions", "density", "ambiguity", "trails")

_TOP_KEYS = (FORMAT_KEY, "title", "setup", "layers", "view", "text", "formula", "try_it")
_SETUP_KEYS = ("dataset", "algorithm", "k", "seed", "init", "covariance", "beta", "steps", "show_seeding")
_VIEW_KEYS = ("colours", "half_steps")
_TRY_KEYS = ("task", "hint", "goal")
MAX_STEPS = 1000


class LessonError(DataError):
    """A lesson file cannot be used; the message names the file, line and field."""


@dataclass(frozen=True)
class LessonChoices:
    """The names a lesson may use, from the algorithm registry (passed in by the caller)."""

    algorithms: tuple[str, ...]
    inits: tuple[str, ...]
    covariance_types: tuple[str, ...]
    datasets: tuple[str, ...] = BUILTIN_DATASETS


@dataclass(frozen=True)
class Chapter:
    """One chapter, checked.

    Attributes
    ----------
    name : str
        The file's stem ("01-kmeans-three-blobs").
    title : str
    dataset, algorithm, init, covariance : str
    k, seed, steps : int
    beta : float or None
        None: the algorithm's default.
    show_seeding : bool
    layers : dict of str -> bool
        Every name of `LAYERS`.
    colours : str
        One of `COLOUR_MODES`.
    half_steps : bool
    sentences : tuple of str
        Plain text, 2 to 5 sentences.
    formula : str
        Rich text using only `FORMULA_TAGS` and entities.
    task, hint : str
        Plain text.
    goal : dict
        Checked by `lesson_goals.check_goal_spec`.
    """

    name: str
    title: str
    dataset: str
    algorithm: str
    k: int
    seed: int
    init: str
    covariance: str | None
    beta: float | None
    steps: int
    show_seeding: bool
    layers: dict = field(hash=False)
    colours: str
    half_steps: bool
    sentences: tuple[str, ...]
    formula: str
    task: str
    hint: str
    goal: dict = field(hash=False)

    def session_options(self) -> dict:
        """The keyword arguments of ``clusterviz.session.Session`` (after the
        data set) that open this chapter; unset optional settings are left out."""
        options = {"algorithm": self.algorithm, "n_clusters": self.k, "init": self.init, "seed": self.seed,
                   "show_seeding": self.show_seeding}
        if self.covariance is not None:
            options["covariance_type"] = self.covariance
        if self.beta is not None:
            options["beta"] = self.beta
        return options


@dataclass
class LessonSet:
    """What `load_lessons` found: the chapters in order, and notes about the
    files it skipped (an unknown algorithm) or refused (a bad file)."""

    chapters: list[Chapter]
    notes: list[str]


# ---------------------------------------------------------------- errors
def _key_lines(text: str) -> dict[tuple, int]:
    """Every key of the JSON ``text`` by its path (keys and list indices) ->
    its line (1-based); a list item's path gets the line where it starts."""
    lines: dict[tuple, int] = {}
    stack: list[list] = []  # per open container: [kind "{" or "[", path, next index or last key]
    line, i, n = 1, 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            token = text[i + 1:j]
            k = j + 1
            while k < n and text[k] in " \t\r\n":
                k += 1
            if stack and stack[-1][0] == "{" and k < n and text[k] == ":":
                try:
                    key = json.loads(f'"{token}"')
                except json.JSONDecodeError:
                    key = token
                lines.setdefault(stack[-1][1] + (key,), line)
                stack[-1][2] = key
            elif stack and stack[-1][0] == "[":
                lines.setdefault(stack[-1][1] + (stack[-1][2],), line)
            line += token.count("\n")
            i = j
        elif c in "{[":
            path = stack[-1][1] + (stack[-1][2],) if stack else ()
            if stack and stack[-1][0] == "[":
                lines.setdefault(path, line)
            stack.append([c, path, 0 if c == "[" else None])
        elif c in "}]":
            if stack:
                stack.pop()
        elif c == "," and stack and stack[-1][0] == "[":
            stack[-1][2] += 1
        elif stack and stack[-1][0] == "[" and not c.isspace():
            lines.setdefault(stack[-1][1] + (stack[-1][2],), line)
        i += 1
    return lines


def key_line(text: str, path: tuple) -> int | None:
    """The line (1-based) of the field ``path`` (keys and list indices) in the
    JSON ``text``, or of its nearest enclosing field that the text holds
    (a missing field: the object that lacks it); None when not even the
    first key is there."""
    lines = _key_lines(text)
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _field_name(path: tuple) -> str:
    name = ""
    for key in path:
        name += f"[{key}]" if isinstance(key, int) else (f".{key}" if name else key)
    return name


class _Checker:
    """Reads one parsed lesson; every refusal names file, line and field."""

    def __init__(self, name: str, text: str) -> None:
        self.name, self.text = name, text

    def fail(self, path: tuple, problem: str):
        line = key_line(self.text, path) if path else None
        where = f"{self.name}, line {line}" if line is not None else self.name
        what = f"field {_field_name(path)!r} " if path else ""
        raise LessonError(f"{where}: {what}{problem}")

    def get(self, obj: dict, path: tuple, key: str, kind, default=...):
        full = path + (key,)
        if key not in obj:
            if default is ...:
                self.fail(path, f"lacks the field {key!r}")
            return default
        value = obj[key]
        if kind is int and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
            self.fail(full, f"should be a whole number; got {value!r}")
        if kind is float and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
            self.fail(full, f"should be a number; got {value!r}")
        if kind in (str, bool, dict, list) and not isinstance(value, kind):
            names = {str: "text", bool: "true or false", dict: "an object {...}", list: "a list [...]"}
            self.fail(full, f"should be {names[kind]}; got {value!r}")
        if kind is str and not value.strip():
            self.fail(full, "is empty")
        return value

    def only(self, obj: dict, path: tuple, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in obj:
            if key not in allowed:
                self.fail(path + (key,), f"is not known; known fields: {', '.join(allowed)}")

    def choice(self, obj: dict, path: tuple, key: str, allowed: tuple[str, ...], default=...) -> str:
        value = self.get(obj, path, key, str, default)
        if value is not default and value not in allowed:
            self.fail(path + (key,), f"is {value!r}; choose one of {', '.join(allowed)}")
        return value

    def whole(self, obj: dict, path: tuple, key: str, low: int, high: int, default=...) -> int:
        value = self.get(obj, path, key, int, default)
        if value is not default and not low <= value <= high:
            self.fail(path + (key,), f"should be between {low} and {high}; got {value}")
        return value


def _check_formula(check: _Checker, formula: str) -> str:
    for match in re.finditer(r"<\s*(/?)\s*([^>]*)>", formula):
        tag = match.group(2).strip().rstrip("/").strip().lower()
        if tag not in FORMULA_TAGS:
            check.fail(("formula",), f"uses the markup <{match.group(2)}>; only "
                                     f"{', '.join('<' + t + '>' for t in sorted(FORMULA_TAGS))} are allowed")
    if re.search(r"<(?![^>]*>)", formula):
        check.fail(("formula",), "has a '<' that opens no tag; write &lt;")
    return formula


def parse_lesson(text: str, name: str, choices: LessonChoices) -> Chapter:
    """The chapter in the JSON ``text`` of the file ``name``.

    Raises
    ------
    LessonError
        The text is no valid lesson; the message names ``name``, the line and
        the field. A `LessonError` whose ``unknown_algorithm`` attribute is set
        names an algorithm not in ``choices`` (the caller may skip the chapter).
    """
    stem = Path(name).stem
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise LessonError(f"{name}, line {err.lineno}, column {err.colno}: not valid JSON: {err.msg}") from None
    check = _Checker(name, text)
    if not isinstance(data, dict):
        check.fail((), "should hold one JSON object {...}")
    version = data.get(FORMAT_KEY)
    if isinstance(version, bool) or not isinstance(version, int):
        check.fail((FORMAT_KEY,) if FORMAT_KEY in data else (),
                   f"should be the lesson format version, a whole number (this app reads {FORMAT_VERSION})"
                   if FORMAT_KEY in data else f"is no lesson: it lacks the field {FORMAT_KEY!r}")
    if version > FORMAT_VERSION or version < 1:
        check.fail((FORMAT_KEY,), f"is {version}; this app reads lesson format {FORMAT_VERSION}")
    check.only(data, (), _TOP_KEYS)
    title = check.get(data, (), "title", str)

    setup = check.get(data, (), "setup", dict)
    sp = ("setup",)
    check.only(setup, sp, _SETUP_KEYS)
    algorithm = check.get(setup, sp, "algorithm", str)
    if algorithm not in choices.algorithms:
        error = LessonError(f"{name}: the algorithm {algorithm!r} is not in this app "
                            f"(known: {', '.join(choices.algorithms)}); chapter skipped")
        error.unknown_algorithm = algorithm
        raise error
    dataset = check.choice(setup, sp, "dataset", tuple(choices.datasets))
    k = check.whole(setup, sp, "k", 1, MAX_CLUSTERS)
    seed = check.whole(setup, sp, "seed", 0, 2**31 - 1)
    init = check.choice(setup, sp, "init", tuple(choices.inits))
    covariance = check.choice(setup, sp, "covariance", tuple(choices.covariance_types), None)
    beta = check.get(setup, sp, "beta", float, None)
    if beta is not None and not 0 < beta < float("inf"):
        check.fail(sp + ("beta",), f"should be a positive number; got {beta!r}")
    steps = check.whole(setup, sp, "steps", 0, MAX_STEPS, 0)
    show_seeding = check.get(setup, sp, "show_seeding", bool, False)

    layers_obj = check.get(data, (), "layers", dict, {})
    check.only(layers_obj, ("layers",), LAYERS)
    layers = {layer: check.get(layers_obj, ("layers",), layer, bool, False) for layer in LAYERS}
    view = check.get(data, (), "view", dict, {})
    check.only(view, ("view",), _VIEW_KEYS)
    colours = check.choice(view, ("view",), "colours", COLOUR_MODES, "opacity")
    half_steps = check.get(view, ("view",), "half_steps", bool, False)

    sentences = check.get(data, (), "text", list)
    if not 2 <= len(sentences) <= 5:
        check.fail(("text",), f"should hold 2 to 5 sentences; it holds {len(sentences)}")
    for i, sentence in enumerate(sentences):
        if not isinstance(sentence, str) or not sentence.strip():
            check.fail(("text", i), f"should be a sentence of text; item {i} is {sentence!r}")
    formula = _check_formula(check, check.get(data, (), "formula", str))

    try_it = check.get(data, (), "try_it", dict)
    tp = ("try_it",)
    check.only(try_it, tp, _TRY_KEYS)
    task = check.get(try_it, tp, "task", str)
    hint = check.get(try_it, tp, "hint", str, "")
    goal = check.get(try_it, tp, "goal", dict)
    problem = check_goal_spec(goal, choices.algorithms, choices.covariance_types)
    if problem is not None:
        path, text_ = problem
        check.fail(tp + ("goal",) + path, text_)
    return Chapter(name=stem, title=title, dataset=dataset, algorithm=algorithm, k=k, seed=seed, init=init,
                   covariance=covariance, beta=None if beta is None else float(beta), steps=steps,
                   show_seeding=show_seeding, layers=layers, colours=colours, half_steps=half_steps,
                   sentences=tuple(s.strip() for s in sentences), formula=formula, task=task, hint=hint,
                   goal=goal)


def load_lesson_file(path, choices: LessonChoices) -> Chapter:
    """The chapter in the lesson file ``path`` (a path or an importlib.resources traversable).

    Raises
    ------
    LessonError
        The file cannot be read or is no valid lesson (see `parse_lesson`).
    """
    name = getattr(path, "name", None) or os.path.basename(os.fspath(path))
    try:
        if isinstance(path, (str, os.PathLike)):
            from .limits import read_regular_file

            raw = read_regular_file(path, MAX_LESSON_BYTES, "lesson file")
        else:
            raw = path.read_bytes()
            if len(raw) > MAX_LESSON_BYTES:
                raise LessonError(f"{name}: {len(raw)} bytes; a lesson file may hold {MAX_LESSON_BYTES}")
    except DataError as err:
        raise LessonError(str(err)) from None
    except OSError as err:
        raise LessonError(f"{name}: cannot be read: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise LessonError(f"{name}, line {line}: not UTF-8 text (byte {raw[err.start]:#04x})") from None
    return parse_lesson(text, name, choices)


def load_lessons(choices: LessonChoices, folder=None) -> LessonSet:
    """Every ``*.json`` lesson in ``folder`` (default: the shipped chapters),
    in the order of their file names.

    A chapter whose algorithm is not in ``choices`` is skipped and a bad file
    refused; each gets one line in `LessonSet.notes` and the others load.
    """
    source = LESSON_DIR if folder is None else Path(folder)
    try:
        files = sorted((f for f in source.iterdir() if f.name.endswith(".json") and f.is_file()),
                       key=lambda f: f.name)
    except OSError as err:
        return LessonSet([], [f"{source}: cannot be read: {err.strerror or err}"])
    chapters, notes = [], []
    for file in files:
        try:
            chapters.append(load_lesson_file(file if folder is None else Path(file), choices))
        except LessonError as err:
            notes.append(str(err))
    return LessonSet(chapters, notes)

