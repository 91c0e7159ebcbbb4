"""save_model / load_model: round trips, rebuilding, user layers, and every kind of bad file."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinynn import (
    Affine,
    Relu,
    Sequential,
    Sigmoid,
    SimpleNet,
    SoftmaxWithLoss,
    TwoLayerNet,
    load_model,
    save_model,
)
from tinynn.saving.archive import FORMAT_VERSION, META_KEY
from tinynn.typing import FloatArray, Params


def _x(n: int, d: int, seed: int = 3) -> FloatArray:
    return np.random.default_rng(seed).normal(size=(n, d))


def _models() -> list[Sequential]:
    rng = np.random.default_rng(7)
    return [
        TwoLayerNet(6, 5, 3, weight_init_std=0.5, rng=1),
        SimpleNet(rng=2, delta=0.0),
        Sequential(
            [
                Affine.random(6, 4, rng=rng, weight_init_std=1.0),
                Relu(),
                Affine.random(4, 4, rng=rng, weight_init_std=1.0, bias=False),
                Sigmoid(),
                Affine.random(4, 3, rng=rng, weight_init_std=1.0),
            ],
            SoftmaxWithLoss(delta=1e-3),
        ),
    ]


@pytest.mark.parametrize("index", range(3))
def test_rebuilt_model_predicts_bit_for_bit(tmp_path: Path, index: int) -> None:
    model = _models()[index]
    x = _x(9, model.params["W1" if "W1" in model.params else "W"].shape[0])
    t = np.arange(9) % 3
    path = save_model(model, tmp_path / "m.npz")
    assert path == tmp_path / "m.npz"
    again = load_model(path)
    assert type(again) is type(model)
    assert repr(again) == repr(model)
    assert again.params.keys() == model.params.keys()
    for name in model.params:
        assert again.params[name] is not model.params[name]
        np.testing.assert_array_equal(again.params[name], model.params[name])
    assert np.array_equal(again.predict(x), model.predict(x))
    assert again.loss(x, t) == model.loss(x, t)
    assert again.loss_layer.delta == model.loss_layer.delta  # type: ignore[attr-defined]
    for name, g in model.gradient(x, t).items():
        np.testing.assert_array_equal(again.gradient(x, t)[name], g)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]  # no temporary left


def test_file_is_plain_npz_without_object_arrays(tmp_path: Path) -> None:
    path = save_model(TwoLayerNet(4, 3, 2, rng=0), tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as z:
        names = [META_KEY, "params/W1", "params/b1", "params/W2", "params/b2"]
        assert sorted(z.files) == sorted(names)
        meta = json.loads(z[META_KEY].tobytes())
        assert z[META_KEY].dtype == np.uint8
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["kind"] == "model"
    assert meta["model"]["class"] == "TwoLayerNet"


class Square:
    """A user's layer: y = x * x elementwise, with a scale parameter."""

    def __init__(self, n: int) -> None:
        self._params: Params = {"s": np.ones(n)}
        self._grads: Params = {}
        self._x: FloatArray | None = None

    @property
    def params(self) -> Params:
        return self._params

    @property
    def grads(self) -> Params:
        return self._grads

    def forward(self, x: FloatArray) -> FloatArray:
        self._x = x
        return self._params["s"] * x * x

    def backward(self, dout: FloatArray) -> FloatArray:
        assert self._x is not None
        self._grads["s"] = np.sum(dout * self._x * self._x, axis=0)
        return 2 * self._params["s"] * self._x * dout


def _user_model(seed: int) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential([Affine.random(4, 3, rng=rng, weight_init_std=1.0), Square(3)])


def test_user_layers_load_into_a_model_built_by_the_user(tmp_path: Path) -> None:
    model = _user_model(0)
    model.params["s1"] = np.array([0.5, 2.0, -1.0])
    path = save_model(model, tmp_path / "u.npz")
    unregistered = r"layers\[1\] is 'Square', a layer of your own.*register_layer.*model=net"
    with pytest.raises(ValueError, match=unregistered):
        load_model(path)
    target = _user_model(1)
    arrays_before = {k: v for k, v in target.params.items()}
    assert load_model(path, model=target) is target
    x = _x(5, 4)
    assert np.array_equal(target.predict(x), model.predict(x))
    for name, a in arrays_before.items():
        assert target.params[name] is a  # loaded in place: layers still share the arrays


def test_load_into_model_checks_names_and_shapes_and_changes_nothing(tmp_path: Path) -> None:
    path = save_model(TwoLayerNet(4, 3, 2, rng=0), tmp_path / "m.npz")
    wrong_shape = TwoLayerNet(4, 3, 5, rng=1)
    before = {k: v.copy() for k, v in wrong_shape.params.items()}
    message = r"layers\[2\] \(Affine\): W has shape \(3, 2\) in the file, \(3, 5\) in the model"
    with pytest.raises(ValueError, match=message):
        load_model(path, model=wrong_shape)
    for k, v in before.items():
        np.testing.assert_array_equal(wrong_shape.params[k], v)
    layers = r"the file has 3 layers \(Affine, Sigmoid, Affine\), the model 1"
    with pytest.raises(ValueError, match=layers):
        load_model(path, model=Sequential([Affine(np.ones((4, 3)), np.zeros(3))]))
    with pytest.raises(TypeError, match="Model methods"):
        load_model(path, model="net")  # type: ignore[call-overload]


def test_random_bytes_file(tmp_path: Path) -> None:
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(ValueError, match="is not a tinynn model or checkpoint file"):
        load_model(path)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_file_cut_short(tmp_path: Path, keep: float) -> None:
    full = save_model(TwoLayerNet(20, 10, 3, rng=0), tmp_path / "m.npz").read_bytes()
    path = tmp_path / "cut.npz"
    path.write_bytes(full[: int(len(full) * keep)])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        load_model(path)


def test_corrupted_byte_in_the_middle_is_detected(tmp_path: Path) -> None:
    path = save_model(TwoLayerNet(20, 10, 3, rng=0), tmp_path / "m.npz")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt or truncated"):
        load_model(path)


def _write_npz(path: Path, **arrays: Any) -> Path:
    np.savez(path, **arrays)
    return path


def test_other_files_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.npz")
    other = _write_npz(tmp_path / "other.npz", W1=np.ones(3))
    with pytest.raises(ValueError, match=r"has no 'tinynn\.json' entry"):
        load_model(other)
    npy = tmp_path / "single.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(ValueError, match="single array"):
        load_model(npy)
    pickled = tmp_path / "obj.npz"
    meta = _meta(kind="model", format_version=1)
    np.savez(pickled, x=np.array([{"a": 1}], dtype=object), **{META_KEY: meta})
    with pytest.raises(ValueError, match="entry 'x' holds Python objects") as caught:
        load_model(pickled)
    assert "allow_pickle" not in str(caught.value)  # no invitation to load unsafely


@pytest.mark.parametrize(
    ("content", "looks"),
    [
        (b"x,y,label\n0.1,0.2,3\n", " (it looks like a text file)"),
        # a text whose first 512 bytes end inside a two-byte character
        (("x" + "\u00e9" * 300).encode(), " (it looks like a text file)"),
        (b"", " (it is empty)"),
        (np.random.default_rng(0).bytes(5000), ""),
    ],
)
def test_a_file_that_is_not_a_zip_archive_is_named_as_such(
    tmp_path: Path, content: bytes, looks: str
) -> None:
    """Before, NumPy's answer was a hint to load pickled data with allow_pickle=True."""
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError) as caught:
        load_model(path)
    assert str(caught.value) == (
        f"{path} is not a tinynn model or checkpoint file: it does not start with a zip "
        f"header, as every .npz file does{looks}"
    )
    assert "pickle" not in str(caught.value)


def _forged(path: Path, shape: tuple[int, ...], *, deflate: bool = False) -> Path:
    """A model file whose W1 header declares ``shape`` (float64) over 16 bytes of data."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    meta = io.BytesIO()
    np.lib.format.write_array(meta, _meta(kind="model", format_version=FORMAT_VERSION))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{META_KEY}.npy", meta.getvalue())
        archive.writestr("params/W1.npy", header.getvalue() + bytes(16),
                         compress_type=zipfile.ZIP_DEFLATED if deflate else None)  # fmt: skip
    return path


@pytest.mark.parametrize("deflate", [False, True])
def test_an_absurd_declared_size_is_refused_without_allocating(
    tmp_path: Path, deflate: bool
) -> None:
    """80 GB declared (before: a bare MemoryError after trying to allocate it)."""
    path = _forged(tmp_path / "big.npz", (100_000, 100_000), deflate=deflate)
    with pytest.raises(ValueError) as caught:
        load_model(path)
    assert str(caught.value).startswith(
        f"{path} is not a tinynn model or checkpoint file: its entry 'params/W1' declares a "
        "float64 array of shape (100000, 100000) (80,000,000,000 bytes), but the file holds "
        "16 bytes for it"
    )
    tracemalloc.start()  # "without allocating": measured, not only said
    try:
        with pytest.raises(ValueError):
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, f"{peak} bytes traced while refusing the file"
    # the same file with a header that fits its data loads as far as the model check
    with pytest.raises(ValueError, match="has no model record"):
        load_model(_forged(tmp_path / "fits.npz", (2,)))


def test_a_member_claiming_more_than_the_file_holds_is_refused(tmp_path: Path) -> None:
    """A zip directory entry that claims an uncompressed size no stored (or deflated) data of
    this file could produce: refused before it is read."""
    path = save_model(TwoLayerNet(4, 3, 2, rng=0), tmp_path / "m.npz")
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("params/W1.npy")
    # patch the uncompressed size in W1's central directory record (at offset 24)
    start = data.index(b"PK\x01\x02")
    while data[start + 46 : start + 46 + len(info.filename)] != info.filename.encode():
        start = data.index(b"PK\x01\x02", start + 4)
    forged = data[: start + 24] + (2**31).to_bytes(4, "little") + data[start + 28 :]
    path.write_bytes(forged)
    with pytest.raises(ValueError, match=r"entry 'params/W1' claims 2,147,483,648 bytes"):
        load_model(path)


def _meta(**meta: Any) -> Any:
    return np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


def test_newer_format_version_and_bad_metadata(tmp_path: Path) -> None:
    newer = _write_npz(tmp_path / "n.npz", **{META_KEY: _meta(kind="model", format_version=99)})
    with pytest.raises(ValueError, match=r"format version 99 by a newer tinynn.*upgrade"):
        load_model(newer)
    garbage = _write_npz(tmp_path / "g.npz", **{META_KEY: np.frombuffer(b"{not json", np.uint8)})
    with pytest.raises(ValueError, match="corrupt tinynn metadata"):
        load_model(garbage)
    text = _write_npz(tmp_path / "t.npz", **{META_KEY: np.array(["{}"])})
    with pytest.raises(ValueError, match="corrupt tinynn metadata"):
        load_model(text)
    other_kind = _write_npz(tmp_path / "k.npz", **{META_KEY: _meta(kind="x", format_version=1)})
    with pytest.raises(ValueError, match="tinynn 'x' file, expected a model or checkpoint"):
        load_model(other_kind)


def test_non_finite_or_integer_parameters_in_file_are_refused(tmp_path: Path) -> None:
    path = save_model(SimpleNet(rng=0), tmp_path / "m.npz")
    with np.load(path) as z:
        entries = {k: z[k] for k in z.files}
    bad = entries | {"params/W": np.full((2, 3), np.nan)}
    with pytest.raises(ValueError, match=r"W contains 6 non-finite"):
        load_model(_write_npz(tmp_path / "nan.npz", **bad))
    ints = entries | {"params/W": np.ones((2, 3), dtype=np.int64)}
    with pytest.raises(ValueError, match="expected a float array"):
        load_model(_write_npz(tmp_path / "int.npz", **ints))


def test_save_is_atomic_and_keeps_old_file_on_interrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = save_model(SimpleNet(rng=0), tmp_path / "m.npz")
    old = path.read_bytes()

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_model(SimpleNet(rng=1), path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]
    assert zipfile.is_zipfile(path)


def test_save_model_rejects_non_models(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="lacks the Model methods"):
        save_model({"W": np.ones(2)}, tmp_path / "m.npz")  # type: ignore[arg-type]


def test_state_that_is_not_plain_data_is_refused() -> None:
    from tinynn.saving.archive import flatten_state, unflatten_state

    arrays: dict[str, Any] = {}
    tree = flatten_state({"a": {"b": np.ones(2), "n": np.int64(3)}, "s": "x"}, "st", arrays)
    assert sorted(arrays) == ["st/a/b"] and tree["a"]["n"] == 3
    back = unflatten_state(tree, arrays)
    assert back["s"] == "x" and back["a"]["n"] == 3 and back["a"]["b"] is arrays["st/a/b"]
    with pytest.raises(TypeError, match=r"no '/'"):
        flatten_state({"a/b": 1}, "st", {})
    with pytest.raises(TypeError, match="is a list"):
        flatten_state({"a": [1, 2]}, "st", {})
    with pytest.raises(TypeError, match="object array"):
        flatten_state({"a": np.array([None])}, "st", {})


class Tanh:
    """A user's activation layer with only forward and backward."""

    def __init__(self) -> None:
        self.params: Params = {}
        self.grads: Params = {}

    def forward(self, x: FloatArray) -> FloatArray:
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout: FloatArray) -> FloatArray:
        return dout * (1.0 - self.out**2)


def test_another_architecture_is_refused_naming_the_first_difference(tmp_path: Path) -> None:
    """A Tanh network's weights do not go into a Sigmoid network (issue 17), even with the
    same parameter names and shapes."""
    rng = np.random.default_rng(0)
    tanh_net = Sequential([Affine.random(4, 3, rng=rng), Tanh(), Affine.random(3, 2, rng=rng)])
    path = save_model(tanh_net, tmp_path / "tanh.npz")
    sigmoid_net = TwoLayerNet(4, 3, 2, rng=1)
    before = {k: v.copy() for k, v in sigmoid_net.params.items()}
    with pytest.raises(ValueError, match=r"layers\[1\] is Tanh in the file, Sigmoid in the model"):
        load_model(path, model=sigmoid_net)
    assert all(np.array_equal(sigmoid_net.params[k], v) for k, v in before.items())
    again = Sequential([Affine.random(4, 3, rng=rng), Tanh(), Affine.random(3, 2, rng=rng)])
    assert load_model(path, model=again) is again  # the same architecture loads
    no_bias = Sequential([Affine.random(4, 3, rng=rng), Tanh(), Affine.random(3, 2, rng=rng,
                                                                              bias=False)])
    with pytest.raises(ValueError, match=r"layers\[2\] \(Affine\) has parameters \['W', 'b'\] in"):
        load_model(path, model=no_bias)


def test_a_file_of_format_version_1_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "old.npz"
    meta = {"kind": "model", "format_version": 1, "model": {"class": "TwoLayerNet"}}
    raw = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **{META_KEY: raw, "params/W1": np.ones((2, 2))})
    assert FORMAT_VERSION == 2
    with pytest.raises(ValueError, match=r"earlier tinynn \(format version 1\).*save it again"):
        load_model(path)
