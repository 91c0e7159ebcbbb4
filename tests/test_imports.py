"""Layers and models know nothing of the estimators: the import graph says so.

An AST walk of ``tinynn``'s own imports (every ``import`` and ``from ... import``, also
under ``TYPE_CHECKING``), transitively from each module of ``tinynn.layers`` and
``tinynn.models``: none reaches ``tinynn.estimators``. Importing a submodule runs its
package's ``__init__`` too, so those count; the root ``tinynn/__init__.py``, which
re-exports everything, does not.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import tinynn
from tinynn import TwoLayerNet

ROOT = Path(tinynn.__file__).resolve().parent


def module_file(name: str) -> Path | None:
    """The source of module ``tinynn.a.b`` (a module or a package), or None if not tinynn's."""
    parts = name.split(".")
    if parts[0] != "tinynn":
        return None
    base = ROOT.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imports_of(name: str) -> set[str]:
    """The tinynn modules that module ``name`` imports directly (with their packages)."""
    path = module_file(name)
    assert path is not None, name
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # ``from .pkg import name``: name may be a submodule
            targets = [mod] + [f"{mod}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if module_file(target) is None:
                continue
            parts = target.split(".")
            # a submodule runs its packages' __init__ (all but the root's)
            found.update(".".join(parts[:i]) for i in range(2, len(parts) + 1))
    return found


def reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(imports_of(name) - seen)
    return seen


def modules_of(package: str) -> list[str]:
    folder = ROOT / package.split(".", 1)[1]
    return [package] + [f"{package}.{p.stem}" for p in sorted(folder.glob("*.py"))
                        if p.name != "__init__.py"]  # fmt: skip


@pytest.mark.parametrize("module", modules_of("tinynn.layers") + modules_of("tinynn.models"))
def test_layers_and_models_import_nothing_from_the_estimators(module: str) -> None:
    reached = reachable(module)
    assert module in reached  # (test_the_walk_sees_an_estimator_import: the walk follows)
    estimators = sorted(m for m in reached if m.split(".")[:2] == ["tinynn", "estimators"])
    assert not estimators, f"{module} imports {estimators}"


def test_the_walk_sees_an_estimator_import() -> None:
    """The check above can fail: the walk follows relative imports into the estimators."""
    reached = reachable("tinynn.callbacks.agreement")
    assert "tinynn.estimators" in reached and "tinynn.estimators.numerical.estimator" in reached


def test_two_layer_net_numerical_gradient_is_the_books_with_calculus(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "tinynn.calculus" in imports_of("tinynn.models.two_layer_net")
    from tinynn.estimators import NumericalDiff

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("TwoLayerNet.numerical_gradient used an estimator")

    monkeypatch.setattr(NumericalDiff, "gradient", refuse)
    import tinynn.models.two_layer_net as module

    calls = 0
    real = module.numerical_gradient

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "numerical_gradient", counting)
    net = TwoLayerNet(3, 2, 2, rng=0)
    grads = net.numerical_gradient([[0.1, 0.2, 0.3]], [1])
    assert calls == 4 and sorted(grads) == ["W1", "W2", "b1", "b2"]


# -- the house: floors, circles, underscore names, the map ------------------------------
ARCHITECTURE = ROOT.parent / "ARCHITECTURE.md"
FLOOR_ROW = re.compile(r"^\| (\d+) \| `tinynn/([\w/]*?)(?:\.py|/)` \|", re.MULTILINE)


def all_modules() -> list[str]:
    names = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def direct_imports(name: str) -> list[tuple[str, list[str], int]]:
    """``(target module, imported names, line)`` for every import of a tinynn module in ``name``
    (under ``TYPE_CHECKING`` too); a name that is a submodule is its own target."""
    path = module_file(name)
    assert path is not None, name
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names if module_file(a.name)]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if module_file(mod) is None:
                continue
            plain = []
            for alias in node.names:
                if module_file(f"{mod}.{alias.name}") is not None:
                    found.append((f"{mod}.{alias.name}", [], node.lineno))
                else:
                    plain.append(alias.name)
            if plain:
                found.append((mod, plain, node.lineno))
    return found


def floors() -> dict[str, int]:
    """The floor of every package and loose module, read from ARCHITECTURE.md's table."""
    table = {
        ".".join(["tinynn", *path.split("/")]).replace(".__init__", ""): int(floor)
        for floor, path in FLOOR_ROW.findall(ARCHITECTURE.read_text(encoding="utf-8"))
    }
    assert len(table) > 10, "ARCHITECTURE.md's floor table was not found"
    return table


def floor_unit(module: str, table: dict[str, int]) -> str | None:
    """The package or loose module of ``module`` that has a floor (None: ``__main__``)."""
    parts = module.split(".")
    for i in range(len(parts), 1, -1):
        if ".".join(parts[:i]) in table:
            return ".".join(parts[:i])
    return "tinynn" if module == "tinynn" and module in table else None


def test_every_package_and_loose_module_has_a_floor_in_the_map() -> None:
    table = floors()
    missing = [m for m in all_modules() if m != "tinynn.__main__" and floor_unit(m, table) is None]
    assert not missing, f"ARCHITECTURE.md's floor table lacks {missing}"
    stale = [unit for unit in table if module_file(unit) is None]
    assert not stale, f"ARCHITECTURE.md names {stale}, which do not exist"


def test_no_import_runs_up_a_floor() -> None:
    table = floors()
    upward = []
    for module in all_modules():
        unit = floor_unit(module, table)
        if unit is None:  # __main__ runs the command line
            continue
        for target, _, line in direct_imports(module):
            to = floor_unit(target, table)
            assert to is not None
            if to != unit and table[to] > table[unit]:
                upward.append(f"{module}:{line} (floor {table[unit]}) imports {target} "
                              f"(floor {table[to]})")  # fmt: skip
    assert not upward, "imports that run up a floor:\n" + "\n".join(upward)


def test_the_floor_check_can_fail() -> None:
    table = floors()
    assert table[floor_unit("tinynn.layers.affine", table) or ""] < table["tinynn.models"]
    assert floor_unit("tinynn.estimators.numerical.rules", table) == "tinynn.estimators"


def import_graph() -> dict[str, set[str]]:
    return {m: {t for t, _, _ in direct_imports(m) if t != m} for m in all_modules()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circles() -> None:
    assert circles(import_graph()) == []


def test_the_circle_check_sees_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_another_modules_underscore_names() -> None:
    private = []
    for module in all_modules():
        for target, names, line in direct_imports(module):
            hidden = [p for p in target.split(".") if p.startswith("_")]
            hidden += [n for n in names if n.startswith("_") and not n.startswith("__")]
            if hidden:
                private.append(f"{module}:{line} imports {target} {names}")
    assert not private, "\n".join(private)


def test_at_most_12_modules_loose_at_the_root() -> None:
    loose = sorted(p.name for p in ROOT.glob("*.py") if p.name not in ("__init__.py",
                                                                       "__main__.py"))  # fmt: skip
    assert len(loose) <= 12, loose


def test_architecture_md_names_every_subpackage() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    packages = sorted(
        p.parent.relative_to(ROOT.parent).as_posix() + "/"
        for p in ROOT.rglob("__init__.py")
        if p.parent != ROOT
    )
    assert len(packages) >= 12
    missing = [p for p in packages if f"`{p}" not in text]
    assert not missing, f"ARCHITECTURE.md does not name {missing}"
