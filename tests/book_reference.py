"""An independent oracle: the book's chapter-4 computations, operation for operation.

These follow the order of operations of the book's ``common/functions.py``,
``common/gradient.py`` and ``ch04/two_layer_net.py`` (``np.dot``, the
transposed softmax, the argmax cross-entropy, ``sigmoid_grad(a1) * da1``), so
that tinynn can be tested to give the same numbers *bit for bit*; and the
book's ``im2col`` and ``col2im`` (``common/util.py``, section 7.4.3) as printed,
with their loops over the filter, and the layers and ``SimpleConvNet`` of
``common/layers.py`` and ``ch07`` built on them, for the tests and the convolution
benchmark; and ``ch08/deep_convnet.py``'s ``DeepConvNet`` with the book's ``Dropout``.
Not part of the package.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sigmoid(x: Any) -> Any:
    return 1 / (1 + np.exp(-x))


def sigmoid_grad(x: Any) -> Any:
    return (1.0 - sigmoid(x)) * sigmoid(x)


def softmax(x: Any) -> Any:
    if x.ndim == 2:
        x = x.T
        x = x - np.max(x, axis=0)
        y = np.exp(x) / np.sum(np.exp(x), axis=0)
        return y.T
    x = x - np.max(x)
    return np.exp(x) / np.sum(np.exp(x))


def cross_entropy_error(y: Any, t: Any) -> float:
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return float(-np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size)


def numerical_gradient(f: Any, x: Any) -> Any:
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = float(tmp_val) + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
        it.iternext()
    return grad


class BookTwoLayerNet:
    """The book's TwoLayerNet with given weights (no random initialisation)."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = {k: np.array(v, copy=True) for k, v in params.items()}

    def predict(self, x: Any) -> Any:
        W1, W2 = self.params["W1"], self.params["W2"]
        b1, b2 = self.params["b1"], self.params["b2"]
        a1 = np.dot(x, W1) + b1
        z1 = sigmoid(a1)
        a2 = np.dot(z1, W2) + b2
        return softmax(a2)

    def loss(self, x: Any, t: Any) -> float:
        return cross_entropy_error(self.predict(x), t)

    def accuracy(self, x: Any, t: Any) -> float:
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return float(np.sum(y == t) / float(x.shape[0]))

    def numerical_gradient(self, x: Any, t: Any) -> dict[str, Any]:
        def loss_w(W: Any) -> float:
            return self.loss(x, t)

        return {k: numerical_gradient(loss_w, self.params[k]) for k in ("W1", "b1", "W2", "b2")}

    def gradient(self, x: Any, t: Any) -> dict[str, Any]:
        W1, W2 = self.params["W1"], self.params["W2"]
        b1, b2 = self.params["b1"], self.params["b2"]
        grads = {}
        batch_num = x.shape[0]
        a1 = np.dot(x, W1) + b1
        z1 = sigmoid(a1)
        a2 = np.dot(z1, W2) + b2
        y = softmax(a2)
        dy = (y - t) / batch_num
        grads["W2"] = np.dot(z1.T, dy)
        grads["b2"] = np.sum(dy, axis=0)
        da1 = np.dot(dy, W2.T)
        dz1 = sigmoid_grad(a1) * da1
        grads["W1"] = np.dot(x.T, dz1)
        grads["b1"] = np.sum(dz1, axis=0)
        return grads


# -- ch06: common/optimizer.py, operation for operation ------------------------------------


class BookSGD:
    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: Any, grads: Any) -> None:
        for key in params.keys():
            params[key] -= self.lr * grads[key]


class BookMomentum:
    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, params: Any, grads: Any) -> None:
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


class BookNesterov:
    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, params: Any, grads: Any) -> None:
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.v[key] *= self.momentum
            self.v[key] -= self.lr * grads[key]
            params[key] += self.momentum * self.momentum * self.v[key]
            params[key] -= (1 + self.momentum) * self.lr * grads[key]


class BookAdaGrad:
    def __init__(self, lr: float = 0.01) -> None:
        self.lr, self.h = lr, None

    def update(self, params: Any, grads: Any) -> None:
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class BookRMSprop:
    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99) -> None:
        self.lr, self.decay_rate, self.h = lr, decay_rate, None

    def update(self, params: Any, grads: Any) -> None:
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class BookAdam:
    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999) -> None:
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.iter = 0
        self.m: Any = None
        self.v: Any = None

    def update(self, params: Any, grads: Any) -> None:
        if self.m is None:
            self.m = {key: np.zeros_like(val) for key, val in params.items()}
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)
        for key in params.keys():
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)


# -- common/util.py (7.4.3): im2col and col2im, loops over the filter ------------------------
def im2col(input_data: Any, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0) -> Any:
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def col2im(col: Any, input_shape: Any, filter_h: int, filter_w: int, stride: int = 1,
           pad: int = 0) -> Any:  # fmt: skip
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad : H + pad, pad : W + pad]


# -- common/layers.py (5.5, 5.6, 7.4.3, 7.4.4) and ch07/simple_convnet.py (7.5), as printed -----
class BookRelu:
    def forward(self, x: Any) -> Any:
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout: Any) -> Any:
        dout[self.mask] = 0
        return dout


class BookAffine:
    def __init__(self, W: Any, b: Any) -> None:
        self.W, self.b = W, b

    def forward(self, x: Any) -> Any:
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout: Any) -> Any:
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)


class BookSoftmaxWithLoss:
    """``common/layers.py``'s ``SoftmaxWithLoss`` (with ``common/functions.py``'s 2-D
    softmax along the last axis, as ``ch07`` uses it)."""

    def forward(self, x: Any, t: Any) -> Any:
        self.t = t
        x = x - np.max(x, axis=-1, keepdims=True)
        self.y = np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)
        return cross_entropy_error(self.y, self.t)

    def backward(self, dout: Any = 1) -> Any:
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            return (self.y - self.t) / batch_size
        dx = self.y.copy()
        dx[np.arange(batch_size), self.t] -= 1
        return dx / batch_size


class BookConvolution:
    def __init__(self, W: Any, b: Any, stride: int = 1, pad: int = 0) -> None:
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x: Any) -> Any:
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape  # noqa: RUF059 (as printed)
        out_h = 1 + int((H + 2 * self.pad - FH) / self.stride)
        out_w = 1 + int((W + 2 * self.pad - FW) / self.stride)
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = np.dot(col, col_W) + self.b
        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)
        self.x, self.col, self.col_W = x, col, col_W
        return out

    def backward(self, dout: Any) -> Any:
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout)
        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)
        dcol = np.dot(dout, self.col_W.T)
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class BookPooling:
    def __init__(self, pool_h: int, pool_w: int, stride: int = 1, pad: int = 0) -> None:
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x: Any) -> Any:
        N, C, H, W = x.shape
        out_h = int(1 + (H - self.pool_h) / self.stride)
        out_w = int(1 + (W - self.pool_w) / self.stride)
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x, self.arg_max = x, arg_max
        return out

    def backward(self, dout: Any) -> Any:
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size))
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))  # noqa: RUF005 (as printed)
        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class BookSimpleConvNet:
    """``ch07/simple_convnet.py`` with the weights given (copied) instead of drawn, and the
    convolution's ``stride`` and ``pad`` (the book's ``conv_param``)."""

    def __init__(self, params: dict[str, Any], stride: int = 1, pad: int = 0) -> None:
        self.params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
        p = self.params
        self.layers: dict[str, Any] = {
            "Conv1": BookConvolution(p["W1"], p["b1"], stride, pad),
            "Relu1": BookRelu(),
            "Pool1": BookPooling(pool_h=2, pool_w=2, stride=2),
            "Affine1": BookAffine(p["W2"], p["b2"]),
            "Relu2": BookRelu(),
            "Affine2": BookAffine(p["W3"], p["b3"]),
        }
        self.last_layer = BookSoftmaxWithLoss()

    def predict(self, x: Any) -> Any:
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: Any, t: Any) -> Any:
        return self.last_layer.forward(self.predict(x), t)

    def gradient(self, x: Any, t: Any) -> dict[str, Any]:
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        grads["W1"], grads["b1"] = self.layers["Conv1"].dW, self.layers["Conv1"].db
        grads["W2"], grads["b2"] = self.layers["Affine1"].dW, self.layers["Affine1"].db
        grads["W3"], grads["b3"] = self.layers["Affine2"].dW, self.layers["Affine2"].db
        return grads


# -- ch08/deep_convnet.py (8.1) and common/layers.py's Dropout (6.4.3), as printed ---------------
class BookDropout:
    """``common/layers.py``'s ``Dropout``; ``rand`` is the book's ``np.random.rand`` unless a
    test gives another source of the same uniform numbers (to draw the same masks)."""

    def __init__(self, dropout_ratio: float = 0.5, rand: Any = None) -> None:
        self.dropout_ratio = dropout_ratio
        self.mask: Any = None
        self.rand = np.random.rand if rand is None else rand

    def forward(self, x: Any, train_flg: bool = True) -> Any:
        if train_flg:
            self.mask = self.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        else:
            return x * (1.0 - self.dropout_ratio)

    def backward(self, dout: Any) -> Any:
        return dout * self.mask


class BookDeepConvNet:
    """``ch08/deep_convnet.py`` with the weights given (copied) instead of drawn by
    ``np.random.randn`` (the book's He scales, ``wight_init_scales``, are checked against
    tinynn's by the tests), and the two Dropout layers' sources of uniform numbers (``rands``,
    the book's ``np.random.rand`` if not given). ``conv_params`` are the book's six
    ``conv_param_1`` ... ``conv_param_6``."""

    #: The book's defaults, as printed.
    CONV_PARAMS = (
        {"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1},
        {"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1},
        {"filter_num": 32, "filter_size": 3, "pad": 1, "stride": 1},
        {"filter_num": 32, "filter_size": 3, "pad": 2, "stride": 1},
        {"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
        {"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
    )

    @staticmethod
    def weight_init_scales(hidden_size: int = 50) -> Any:
        """The book's ``wight_init_scales`` (sic): He's ``sqrt(2 / n)`` of each layer."""
        pre_node_nums = np.array([1*3*3, 16*3*3, 16*3*3, 32*3*3, 32*3*3, 64*3*3, 64*4*4,
                                  hidden_size])  # fmt: skip
        return np.sqrt(2.0 / pre_node_nums)

    def __init__(self, params: dict[str, Any], conv_params: Any = CONV_PARAMS,
                 rands: Any = (None, None)) -> None:  # fmt: skip
        self.params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
        p = self.params
        (conv_param_1, conv_param_2, conv_param_3, conv_param_4, conv_param_5,
         conv_param_6) = conv_params  # fmt: skip
        self.layers: list[Any] = []
        self.layers.append(BookConvolution(p["W1"], p["b1"], conv_param_1["stride"],
                                           conv_param_1["pad"]))  # fmt: skip
        self.layers.append(BookRelu())
        self.layers.append(BookConvolution(p["W2"], p["b2"], conv_param_2["stride"],
                                           conv_param_2["pad"]))  # fmt: skip
        self.layers.append(BookRelu())
        self.layers.append(BookPooling(pool_h=2, pool_w=2, stride=2))
        self.layers.append(BookConvolution(p["W3"], p["b3"], conv_param_3["stride"],
                                           conv_param_3["pad"]))  # fmt: skip
        self.layers.append(BookRelu())
        self.layers.append(BookConvolution(p["W4"], p["b4"], conv_param_4["stride"],
                                           conv_param_4["pad"]))  # fmt: skip
        self.layers.append(BookRelu())
        self.layers.append(BookPooling(pool_h=2, pool_w=2, stride=2))
        self.layers.append(BookConvolution(p["W5"], p["b5"], conv_param_5["stride"],
                                           conv_param_5["pad"]))  # fmt: skip
        self.layers.append(BookRelu())
        self.layers.append(BookConvolution(p["W6"], p["b6"], conv_param_6["stride"],
                                           conv_param_6["pad"]))  # fmt: skip
        self.layers.append(BookRelu())
        self.layers.append(BookPooling(pool_h=2, pool_w=2, stride=2))
        self.layers.append(BookAffine(p["W7"], p["b7"]))
        self.layers.append(BookRelu())
        self.layers.append(BookDropout(0.5, rands[0]))
        self.layers.append(BookAffine(p["W8"], p["b8"]))
        self.layers.append(BookDropout(0.5, rands[1]))

        self.last_layer = BookSoftmaxWithLoss()

    def predict(self, x: Any, train_flg: bool = False) -> Any:
        for layer in self.layers:
            if isinstance(layer, BookDropout):
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    def loss(self, x: Any, t: Any) -> Any:
        y = self.predict(x, train_flg=True)
        return self.last_layer.forward(y, t)

    def accuracy(self, x: Any, t: Any, batch_size: int = 100) -> float:
        if t.ndim != 1:
            t = np.argmax(t, axis=1)

        acc = 0.0

        for i in range(int(x.shape[0] / batch_size)):
            tx = x[i * batch_size : (i + 1) * batch_size]
            tt = t[i * batch_size : (i + 1) * batch_size]
            y = self.predict(tx, train_flg=False)
            y = np.argmax(y, axis=1)
            acc += np.sum(y == tt)

        return float(acc / x.shape[0])

    def gradient(self, x: Any, t: Any) -> dict[str, Any]:
        # forward
        self.loss(x, t)

        # backward
        dout = 1
        dout = self.last_layer.backward(dout)

        tmp_layers = self.layers.copy()
        tmp_layers.reverse()
        for layer in tmp_layers:
            dout = layer.backward(dout)

        grads = {}
        for i, layer_idx in enumerate((0, 2, 5, 7, 10, 12, 15, 18)):
            grads["W" + str(i + 1)] = self.layers[layer_idx].dW
            grads["b" + str(i + 1)] = self.layers[layer_idx].db

        return grads
