"""Layers and models know nothing of the estimators: the import graph says so.

An AST walk of ``tinynn``'s own imports (every ``import`` and ``from ... import``, also
under ``TYPE_CHECKING``), transitively from each module of ``tinynn.layers`` and
``tinynn.models``: none reaches ``tinynn.estimators``. Importing a submodule runs its
package's ``__init__`` too, so those count; the root ``tinynn/__init__.py``, which
re-exports everything, does not.
"""

from __future__ import annotations

import ast
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
    assert module in reached and len(reached) > 1
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
