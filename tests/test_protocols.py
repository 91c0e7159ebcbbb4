"""Every built-in fits its Protocol; mypy checks these assignments (``.ci/run`` runs it here)."""

from __future__ import annotations

import numpy as np

from tinynn import (
    SGD,
    SPSA,
    AdaGrad,
    Adam,
    Affine,
    Backprop,
    BatchNormalization,
    BindsLoss,
    ComplexStep,
    Convolution,
    DifferentiableModel,
    Dropout,
    Function,
    GradientEstimator,
    Layer,
    Loss,
    LossLayer,
    Model,
    Momentum,
    MultiLayerNet,
    MultiLayerNetExtend,
    Nesterov,
    NumericalDiff,
    Optimizer,
    Pooling,
    Relu,
    RMSprop,
    Sequential,
    Sigmoid,
    SimpleConvNet,
    SimpleNet,
    SoftmaxWithLoss,
    Stateful,
    TwoLayerNet,
    cross_entropy_error,
    relu,
    sigmoid,
    softmax,
    sum_squared_error,
)
from tinynn.estimators.complex_step import (
    ComplexLossRule,
    ComplexRule,
    affine_complex,
    sigmoid_complex,
    softmax_with_loss_complex,
)
from tinynn.estimators.numerical import (
    AffineRule,
    LayerRule,
    LossRule,
    ParameterRule,
    ReluRule,
    SigmoidRule,
    SoftmaxWithLossRule,
)


def test_builtins_fit_their_protocols() -> None:
    functions: list[Function] = [sigmoid, relu, softmax]
    losses: list[Loss] = [cross_entropy_error, sum_squared_error]
    layers: list[Layer] = [
        Affine(np.eye(2)),
        Sigmoid(),
        Relu(),
        Dropout(0.5, rng=0),
        BatchNormalization(np.ones(2), np.zeros(2)),
        Convolution(np.ones((1, 1, 2, 2)), np.zeros(1)),
        Pooling(2, 2, stride=2),
    ]
    loss_layer: LossLayer = SoftmaxWithLoss()
    models: list[DifferentiableModel] = [
        TwoLayerNet(2, 2, 2, rng=0),
        SimpleNet(rng=0),
        Sequential([Affine(np.eye(2))]),
        MultiLayerNet(2, [2], 2, rng=0),
        MultiLayerNetExtend(2, [2], 2, use_dropout=True, use_batchnorm=True, rng=0),
        SimpleConvNet((1, 6, 6), {"filter_num": 2, "filter_size": 3, "pad": 0, "stride": 1},
                      3, 2, rng=0),
    ]
    plain: Model = models[0]
    estimators: list[GradientEstimator] = [NumericalDiff(), Backprop(), ComplexStep(), SPSA(rng=0)]
    binds_loss: list[BindsLoss] = [TwoLayerNet(2, 2, 2, rng=0), SimpleNet(rng=0)]
    optimizer: Optimizer = SGD(lr=0.1)
    # the estimators' rules fit their estimators' rule protocols
    x, out = np.ones((3, 2)), np.ones((3, 2))
    propagating: list[LayerRule] = [SigmoidRule(Sigmoid(), x, out), ReluRule(Relu(), x, out)]
    perturbing: ParameterRule = AffineRule(Affine(np.eye(2)), x, out)
    perturbable_loss: LossRule = SoftmaxWithLossRule(SoftmaxWithLoss(), x, np.zeros(3, np.intp))
    complex_rules: list[ComplexRule] = [affine_complex, sigmoid_complex]
    complex_loss_rule: ComplexLossRule = softmax_with_loss_complex
    optimizers: list[Optimizer] = [SGD(), Momentum(), Nesterov(), AdaGrad(), RMSprop(), Adam()]
    stateful: list[Stateful] = [SGD(), Momentum(), Nesterov(), AdaGrad(), RMSprop(), Adam(),
                                Dropout(rng=0), BatchNormalization(np.ones(2), np.zeros(2)),
                                Sequential([Affine(np.eye(2))])]  # fmt: skip
    # runtime_checkable protocols agree with mypy
    groups: list[tuple[list[object], type]] = [
        (list(functions), Function),
        (list(losses), Loss),
        (list(layers), Layer),
        ([loss_layer], LossLayer),
        (list(models), DifferentiableModel),
        ([plain], Model),
        (list(estimators), GradientEstimator),
        ([optimizer], Optimizer),
        (list(binds_loss), BindsLoss),
        (list(propagating), LayerRule),
        ([perturbing], ParameterRule),
        ([perturbable_loss], LossRule),
        (list(optimizers), Optimizer),
        (list(stateful), Stateful),
    ]
    for group, proto in groups:
        for obj in group:
            assert isinstance(obj, proto), (obj, proto)
    assert not isinstance(object(), Layer)
    assert not isinstance(SGD(), GradientEstimator)
    assert not isinstance(propagating[0], ParameterRule)  # no groups() or perturb()
    assert callable(complex_loss_rule) and all(callable(rule) for rule in complex_rules)
    assert Relu not in ComplexStep.rules  # its kink is not complex-analytic
