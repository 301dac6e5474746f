"""The shape of the house, read from the source with ``ast`` (no Qt, nothing run).

- No module of clusterviz over 700 lines, no class over 500.
- ``ui/`` is grouped in at least three subpackages.
- No ``ui`` module imports an estimator module (or an estimator class):
  the UI reaches the numerics through the session and the registry.
- At most 5 comparisons with algorithm names outside the registry and the
  command-line module: what differs between algorithms is in their
  registry entries.
- No module-level data cache, checksum or fork handler in ``model/``.

Every check lists the offenders in its failure message.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import types
from pathlib import Path

import clusterviz
from clusterviz.model.base import SteppableModel
from clusterviz.model.registry import algorithm_names

PACKAGE = Path(clusterviz.__file__).resolve().parent
MAX_MODULE_LINES = 700
MAX_CLASS_LINES = 500
MIN_UI_SUBPACKAGES = 3
MAX_NAME_COMPARISONS = 5
#: Modules that may compare algorithm names: the registry itself and the command line.
NAME_COMPARISONS_ALLOWED = ("model/registry.py", "app.py", "cli.py", "__main__.py")
#: Modules of clusterviz.model that hold an estimator's numerics.
ESTIMATOR_MODULES = frozenset(f"clusterviz.model.{name}" for name in
                              ("kmeans", "gmm", "soft_kmeans", "seeding", "gaussian", "kmeans_grid"))
#: Calls that compute a checksum or install a fork handler.
FORBIDDEN_CALLS = frozenset({"register_at_fork", "crc32", "adler32", "md5", "sha1", "sha256", "blake2b",
                             "xxh64", "xxh3_64", "hash"})
#: Decorators that keep results at module level.
CACHE_DECORATORS = frozenset({"lru_cache", "cache"})
#: Methods that put data into (or take it out of) a container.
MUTATING_METHODS = frozenset({"setdefault", "update", "pop", "popitem", "clear", "move_to_end", "__setitem__"})


def modules(under: str = "") -> list[Path]:
    return sorted((PACKAGE / under).rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def dotted_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def test_the_files_are_read():
    """The checks below see the package (a wrong path would make them pass on nothing)."""
    names = {relative(p) for p in modules()}
    assert {"model/registry.py", "ui/main_window.py", "session/__init__.py", "app.py"} <= names


# --------------------------------------------------------------------- sizes
def test_no_module_over_700_lines_and_no_class_over_500():
    too_long = []
    for path in modules():
        n_lines = len(path.read_text(encoding="utf-8").splitlines())
        if n_lines > MAX_MODULE_LINES:
            too_long.append(f"{relative(path)}: {n_lines} lines")
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.ClassDef):
                size = node.end_lineno - node.lineno + 1
                if size > MAX_CLASS_LINES:
                    too_long.append(f"{relative(path)}:{node.lineno} class {node.name}: {size} lines")
    assert not too_long, (f"modules over {MAX_MODULE_LINES} lines or classes over {MAX_CLASS_LINES}:\n"
                          + "\n".join(too_long))


def test_ui_is_grouped_in_subpackages():
    subpackages = sorted(p.parent.name for p in (PACKAGE / "ui").glob("*/__init__.py"))
    assert len(subpackages) >= MIN_UI_SUBPACKAGES, f"ui/ has only these subpackages: {subpackages}"
    for name in subpackages:
        assert list((PACKAGE / "ui" / name).glob("[!_]*.py")), f"ui/{name}/ holds no module"


# ------------------------------------------------------------------- imports
def imported_modules(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, module, name) of every import in ``path``, relative imports
    resolved; name is None for ``import module``."""
    package = dotted_name(path) if path.name == "__init__.py" else dotted_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found += [(node.lineno, base, alias.name) for alias in node.names]
    return found


def estimator_import(module: str, name: str | None) -> bool:
    """Whether importing ``name`` from ``module`` (or ``module`` itself)
    reaches an estimator: one of ESTIMATOR_MODULES, or an estimator class."""
    if module in ESTIMATOR_MODULES or (name is not None and f"{module}.{name}" in ESTIMATOR_MODULES):
        return True
    if name is None or not (module == "clusterviz.model" or module.startswith("clusterviz.model.")):
        return False
    try:
        value = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return False
    if isinstance(value, types.ModuleType):
        return value.__name__ in ESTIMATOR_MODULES
    defined_in = getattr(value, "__module__", "")
    return (inspect.isclass(value) and issubclass(value, SteppableModel) and value is not SteppableModel) \
        or defined_in in ESTIMATOR_MODULES


def test_estimator_imports_are_recognised():
    assert estimator_import("clusterviz.model.kmeans", "KMeans")
    assert estimator_import("clusterviz.model", "GaussianMixture")
    assert estimator_import("clusterviz.model", "soft_kmeans")
    assert estimator_import("clusterviz.model.seeding", None)
    assert not estimator_import("clusterviz.model", "FitState")
    assert not estimator_import("clusterviz.model.registry", "ALGORITHMS")
    assert not estimator_import("clusterviz.model.fields", "evaluate_layers")


def test_the_ui_imports_no_estimator_module():
    offenders = [f"{relative(path)}:{line} imports {module}{'' if name is None else '.' + name}"
                 for path in modules("ui") for line, module, name in imported_modules(path)
                 if estimator_import(module, name)]
    assert not offenders, ("the UI reaches estimators through the session and the registry, but:\n"
                           + "\n".join(offenders))


# --------------------------------------------------------- algorithm names
def _names_in(node: ast.AST, names: frozenset[str]) -> list[str]:
    """Algorithm names that ``node`` is: a string constant, or a literal
    tuple, list or set holding some."""
    if isinstance(node, ast.Constant) and node.value in names:
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in names]
    return []


def name_comparisons(tree: ast.AST, names: frozenset[str]) -> list[tuple[int, str]]:
    """(line, text) of every comparison with an algorithm name: ``==``/``!=``
    against one, ``in``/``not in`` a literal tuple/list/set holding one, and
    ``case "name":`` patterns."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            left = node.left
            for op, right in zip(node.ops, node.comparators):
                if isinstance(op, (ast.Eq, ast.NotEq)):
                    hits = _names_in(left, names) if isinstance(left, ast.Constant) else []
                    hits += _names_in(right, names) if isinstance(right, ast.Constant) else []
                elif isinstance(op, (ast.In, ast.NotIn)):
                    hits = [] if isinstance(right, ast.Constant) else _names_in(right, names)
                else:
                    hits = []
                if hits:
                    found.append((node.lineno, ast.unparse(node)))
                left = right
        elif isinstance(node, ast.MatchValue) and _names_in(node.value, names):
            found.append((node.value.lineno, f"case {ast.unparse(node.value)}"))
    return found


def test_name_comparisons_are_recognised():
    names = frozenset({"kmeans", "gmm"})
    code = ('a == "kmeans"\n"gmm" != b\nc in ("gmm", "x")\nd not in {"kmeans"}\ne == "other"\n'
            'f in "kmeans-like"\ng in names\nh < "gmm"\nmatch i:\n    case "gmm":\n        pass\n')
    assert [line for line, _ in name_comparisons(ast.parse(code), names)] == [1, 2, 3, 4, 10]


def test_algorithm_names_are_compared_in_at_most_five_places():
    names = frozenset(algorithm_names())
    assert {"kmeans", "gmm", "soft-kmeans"} <= names
    offenders = [f"{relative(path)}:{line}: {text}"
                 for path in modules() if relative(path) not in NAME_COMPARISONS_ALLOWED
                 for line, text in name_comparisons(parse(path), names)]
    assert len(offenders) <= MAX_NAME_COMPARISONS, (
        f"{len(offenders)} comparisons with algorithm names outside the registry and the command line "
        f"(at most {MAX_NAME_COMPARISONS}); read the registry entry instead:\n" + "\n".join(offenders))


# ------------------------------------------------------- no hidden state in model/
def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _module_containers(tree: ast.Module) -> set[str]:
    """Names bound at module level to a dict, OrderedDict, set, list or weak
    dictionary (a literal or a constructor call)."""
    containers = {"dict", "OrderedDict", "defaultdict", "set", "list", "WeakValueDictionary",
                  "WeakKeyDictionary"}
    names = set()
    for node in tree.body:
        targets, value = [], None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        is_container = isinstance(value, (ast.Dict, ast.Set, ast.List, ast.DictComp, ast.SetComp, ast.ListComp)) \
            or (isinstance(value, ast.Call) and _call_name(value) in containers)
        if is_container:
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def hidden_state(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, what) of every module-level cache, checksum or fork handler:
    calls in FORBIDDEN_CALLS, cache decorators, ``global`` statements, and
    module-level containers that a function writes to."""
    found = []
    containers = _module_containers(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) in FORBIDDEN_CALLS:
            found.append((node.lineno, f"calls {_call_name(node)}()"))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules_named = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
            if any(m and m.split(".")[0] in ("hashlib", "zlib", "xxhash") for m in modules_named):
                found.append((node.lineno, f"imports {', '.join(m for m in modules_named if m)}"))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                if _decorator_name(decorator) in CACHE_DECORATORS:
                    found.append((node.lineno, f"@{_decorator_name(decorator)} on {node.name}"))
            for inner in ast.walk(node):
                if isinstance(inner, ast.Global):
                    found.append((inner.lineno, f"global {', '.join(inner.names)} in {node.name}"))
                elif isinstance(inner, (ast.Assign, ast.AugAssign, ast.Delete)):
                    targets = inner.targets if isinstance(inner, (ast.Assign, ast.Delete)) else [inner.target]
                    for t in targets:
                        if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) \
                                and t.value.id in containers:
                            found.append((inner.lineno, f"{node.name} writes to module-level {t.value.id}"))
                elif isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) \
                        and inner.func.attr in MUTATING_METHODS and isinstance(inner.func.value, ast.Name) \
                        and inner.func.value.id in containers:
                    found.append((inner.lineno, f"{node.name} calls {inner.func.value.id}.{inner.func.attr}()"))
    return found


def test_hidden_state_is_recognised():
    code = ("import os, zlib\nfrom functools import lru_cache\n_GRIDS = {}\nTABLE = {'a': 1}\n_last = None\n"
            "def f(X):\n    _GRIDS[1] = X\n    _GRIDS.setdefault(2, X)\n    return TABLE['a']\n"
            "def g():\n    global _last\n    os.register_at_fork(after_in_child=g)\n    return zlib.crc32(b'')\n"
            "@lru_cache(maxsize=2)\ndef h(n):\n    local = {}\n    local[n] = n\n    return local\n")
    lines = sorted(line for line, _ in hidden_state(ast.parse(code)))
    assert lines == [1, 7, 8, 11, 12, 13, 15]


def test_model_keeps_no_module_level_cache_checksum_or_fork_handler():
    offenders = [f"{relative(path)}:{line}: {what}"
                 for path in modules("model") for line, what in hidden_state(parse(path))]
    assert not offenders, ("model/ keeps data only in objects its callers own (Prepared, the estimator), "
                           "but:\n" + "\n".join(offenders))

