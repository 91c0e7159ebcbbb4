"""Layers of your own, registered for ``load_model`` (issue 23, item 6).

A saved model with a user layer could not be rebuilt in a fresh process even after
importing the layer's module; now ``@tinynn.register_layer`` records the layer's options
and ``load_model`` rebuilds it as ``cls(**options)``, with its parameters and state, in
any process that imported the module that registers it. A file is never a reason to
import a module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinynn as nn
from tinynn.saving.registry import layer_options, registered_class, registered_name

#: A module of the user's: two layers registered, one with options read from its
#: ``__init__`` parameters and a generator in its state, one with ``config()``.
MODULE = '''
from typing import Any

import numpy as np

import tinynn as nn


@nn.register_layer
class Scale:
    """y = s * x (one learned scale per unit, starting at init), with noise in training."""

    def __init__(self, units: int, init: float = 1.0, noise: float = 0.0, *, seed: int = 0):
        self.units, self.init, self.noise, self.seed = units, init, noise, seed
        self.rng = np.random.default_rng(seed)
        self.params = {"s": np.full(units, float(init))}
        self.grads = {}

    def forward(self, x, train_flg=True):
        self.x = x
        jitter = self.noise * self.rng.standard_normal(x.shape) if train_flg else 0.0
        return x * self.params["s"] + jitter

    def backward(self, dout):
        self.grads["s"] = np.sum(dout * self.x, axis=0)
        return dout * self.params["s"]

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state) -> None:
        self.rng.bit_generator.state = dict(state["rng"])


@nn.register_layer(name="mine.Shift")
class Shift:
    """y = x + c, c a fixed vector given as a list (its options come from config())."""

    def __init__(self, **options: Any) -> None:
        self.c = list(options["c"])
        self.params, self.grads = {}, {}

    def config(self) -> dict[str, Any]:
        return {"c": self.c}

    def forward(self, x):
        return x + np.asarray(self.c)

    def backward(self, dout):
        return dout
'''

SAVE = """
import json, sys
import numpy as np
import tinynn as nn
import userlayers

rng = np.random.default_rng(0)
scale = userlayers.Scale(3, init=2.0, noise=0.1, seed=5)
shift = userlayers.Shift(c=[1.0, -1.0, 0.5])
first, last = nn.Affine.random(4, 3, rng=rng), nn.Affine.random(3, 2, rng=rng)
net = nn.Sequential([first, scale, shift, last])
net.params["s1"][:] = [0.5, 1.5, -2.0]
with net.training():  # moves the generator: its state is saved
    net.loss(np.ones((2, 4)), np.array([0, 1]))
x = np.random.default_rng(1).standard_normal((5, 4))
nn.save_model(net, sys.argv[1])
with net.training():
    noisy = net.forward(x)
json.dump({"x": x.tolist(), "predict": net.predict(x).tolist(), "noisy": noisy.tolist()},
          open(sys.argv[2], "w"))
"""

LOAD = """
import json, sys
import numpy as np
import tinynn as nn
{imports}

net = nn.load_model(sys.argv[1])
want = json.load(open(sys.argv[2]))
x = np.array(want["x"])
assert [type(layer).__name__ for layer in net.layers] == ["Affine", "Scale", "Shift", "Affine"]
scale = net.layers[1]
assert (scale.units, scale.init, scale.noise, scale.seed) == (3, 2.0, 0.1, 5)
assert net.layers[2].c == [1.0, -1.0, 0.5]
np.testing.assert_array_equal(net.params["s1"], [0.5, 1.5, -2.0])
np.testing.assert_array_equal(net.predict(x), want["predict"])
with net.training():  # the generator's state came back: the same noise
    np.testing.assert_array_equal(net.forward(x), want["noisy"])
print("rebuilt", sorted(sys.modules).count("userlayers"))
"""


def _python(code: str, *args: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(cwd), str(root)])}
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_a_registered_layer_is_rebuilt_in_a_fresh_process(tmp_path: Path) -> None:
    (tmp_path / "userlayers.py").write_text(MODULE)
    model, expected = tmp_path / "net.npz", tmp_path / "expected.json"
    saved = _python(SAVE, model, expected, cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    loaded = _python(LOAD.format(imports="import userlayers"), model, expected, cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout == "rebuilt 1\n"


def test_without_importing_the_module_the_file_says_what_to_do_and_imports_nothing(
    tmp_path: Path,
) -> None:
    (tmp_path / "userlayers.py").write_text(MODULE)
    model, expected = tmp_path / "net.npz", tmp_path / "expected.json"
    assert _python(SAVE, model, expected, cwd=tmp_path).returncode == 0
    code = textwrap.dedent("""
        import sys
        import tinynn as nn
        try:
            nn.load_model(sys.argv[1])
        except ValueError as exc:
            print(exc)
        print("userlayers" in sys.modules)
    """)
    out = _python(code, model, cwd=tmp_path).stdout
    assert "layers[1] is the layer 'userlayers.Scale', registered with tinynn.register_layer" in out
    assert "import the module that defines and registers it" in out
    assert out.endswith("False\n")  # the file named the module: it was not imported


class Doubler:
    """y = 2x: a layer without options."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self.grads: dict[str, Any] = {}

    def forward(self, x: Any) -> Any:
        return 2 * x

    def backward(self, dout: Any) -> Any:
        return 2 * dout


def test_registration_is_explicit_and_checked() -> None:
    assert registered_name(Doubler) is None
    assert nn.register_layer(Doubler) is Doubler
    assert registered_name(Doubler) == f"{__name__}.Doubler"
    assert registered_class(f"{__name__}.Doubler") is Doubler
    assert layer_options(Doubler()) == {}

    class Other(Doubler):
        pass

    with pytest.raises(ValueError, match=r"'tests.test_layer_registration.Doubler' is registered"):
        nn.register_layer(name=f"{__name__}.Doubler")(Other)
    with pytest.raises(TypeError, match="Affine is a built-in layer"):
        nn.register_layer(nn.Affine)
    with pytest.raises(TypeError, match="not a layer: it has no forward or backward"):
        nn.register_layer(dict)
    with pytest.raises(TypeError, match="takes a layer class"):
        nn.register_layer(Doubler())  # type: ignore[call-overload]

    class Starred(Doubler):
        def __init__(self, *sizes: int) -> None:
            super().__init__()

    with pytest.raises(TypeError, match=r"\*args or \*\*kwargs.*define Starred.config\(\)"):
        nn.register_layer(Starred)

    class PositionalOnly(Doubler):
        def __init__(self, n: int, /) -> None:
            super().__init__()

    with pytest.raises(TypeError, match="positional-only parameters"):
        nn.register_layer(PositionalOnly)


def test_options_that_a_file_cannot_record_are_refused_at_saving_naming_them(
    tmp_path: Path,
) -> None:
    @nn.register_layer
    class Holds(Doubler):
        def __init__(self, weights: Any, size: int = 2) -> None:
            super().__init__()
            self.weights = weights

    with pytest.raises(TypeError, match=r"has no attribute 'size': keep it as self.size"):
        nn.save_model(nn.Sequential([nn.Affine.random(2, 2, rng=0), Holds([1])]), tmp_path / "a")
    layer = Holds(np.ones(2))
    layer.size = np.int64(3)  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match=r"\['weights'\] is a ndarray, not plain JSON.*config\(\)"):
        nn.save_model(nn.Sequential([nn.Affine.random(2, 2, rng=0), layer]), tmp_path / "b")
    layer.weights = (1, 2)
    assert layer_options(layer) == {"weights": [1, 2], "size": 3}  # as a file gives them back
    assert json.dumps(layer_options(layer)) == '{"weights": [1, 2], "size": 3}'
    assert not list(tmp_path.iterdir())  # nothing written


def test_a_registered_layer_round_trips_in_process_and_a_bad_option_is_named(
    tmp_path: Path,
) -> None:
    @nn.register_layer
    class Power(Doubler):
        def __init__(self, p: int = 2) -> None:
            super().__init__()
            if p < 1:
                raise ValueError(f"p must be >= 1, got {p}")
            self.p = p

        def forward(self, x: Any) -> Any:
            self.x = x
            return x**self.p

        def backward(self, dout: Any) -> Any:
            return dout * self.p * self.x ** (self.p - 1)

    net = nn.Sequential([nn.Affine.random(3, 2, rng=0), Power(3)])
    path = nn.save_model(net, tmp_path / "p.npz")
    again = nn.load_model(path)
    x = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_array_equal(again.predict(x), net.predict(x))
    assert again.layers[1].p == 3  # type: ignore[attr-defined]
    differs = r"layers\[1\] \(Power\): p is 3 in the file, 2 in the model"
    with pytest.raises(ValueError, match=differs):
        nn.load_model(path, model=nn.Sequential([nn.Affine.random(3, 2, rng=0), Power(2)]))
    net.layers[1].p = 0  # type: ignore[attr-defined]
    bad = nn.save_model(net, tmp_path / "bad.npz")
    with pytest.raises(ValueError, match=r"bad\.npz: layers\[1\] could not be rebuilt as .*Power"):
        nn.load_model(bad)


def test_a_float32_model_with_a_registered_layer_comes_back_float32(tmp_path: Path) -> None:
    """A registered layer whose ``__init__`` takes ``dtype`` is given the model's: the
    option is not recorded (the model's dtype is), and load_model passes it back."""

    @nn.register_layer
    class Gain:
        def __init__(self, units: int, *, dtype: Any = np.float64) -> None:
            self.units = units
            self.params = {"g": np.ones(units, dtype=dtype)}
            self.grads: dict[str, Any] = {}

        def forward(self, x: Any) -> Any:
            self.x = x
            return x * self.params["g"]

        def backward(self, dout: Any) -> Any:
            self.grads["g"] = (dout * self.x).sum(axis=0)
            return dout * self.params["g"]

    f32 = np.float32
    net = nn.Sequential([nn.Affine.random(3, 2, rng=0, dtype=f32), Gain(2, dtype=f32)])
    net.layers[1].params["g"][:] = [2.0, -0.5]
    assert layer_options(net.layers[1]) == {"units": 2}
    again = nn.load_model(nn.save_model(net, tmp_path / "g.npz"))
    assert again.layers[1].params["g"].dtype == np.float32
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_array_equal(again.predict(x), net.predict(x))
    wide = nn.load_model(nn.save_model(nn.Sequential([nn.Affine.random(3, 2, rng=0), Gain(2)]),
                                       tmp_path / "g64.npz"))  # fmt: skip
    assert wide.layers[1].params["g"].dtype == np.float64


def test_a_registered_layer_that_cannot_take_the_model_s_dtype_is_named_with_the_file(
    tmp_path: Path,
) -> None:
    @nn.register_layer
    class Bias64:
        def __init__(self, units: int) -> None:
            self.units = units
            self.params = {"c": np.zeros(units)}  # always float64
            self.grads: dict[str, Any] = {}

        def forward(self, x: Any) -> Any:
            return x + self.params["c"]

        def backward(self, dout: Any) -> Any:
            self.grads["c"] = dout.sum(axis=0)
            return dout

    layer = Bias64(2)
    layer.params["c"] = layer.params["c"].astype(np.float32)  # a float32 model made by hand
    net = nn.Sequential([nn.Affine.random(3, 2, rng=0, dtype=np.float32), layer])
    path = nn.save_model(net, tmp_path / "b.npz")
    expected = (r"b\.npz: layers\[1\] \(Bias64\) was rebuilt with parameters of dtype float64, "
                r"but the model is float32: give Bias64.__init__ a dtype parameter")  # fmt: skip
    with pytest.raises(ValueError, match=expected):
        nn.load_model(path)
    again = nn.load_model(path, model=net)  # the way that always works
    assert again.layers[1].params["c"].dtype == np.float32
