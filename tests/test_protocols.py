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
    BindsComplexLoss,
    ComplexLayer,
    ComplexLossLayer,
    ComplexStep,
    DifferentiableModel,
    Function,
    GradientEstimator,
    Layer,
    Loss,
    LossLayer,
    Model,
    Momentum,
    Nesterov,
    NumericalDiff,
    Optimizer,
    PerturbableLoss,
    PerturbsParameters,
    PropagatesChange,
    Relu,
    RMSprop,
    Sequential,
    Sigmoid,
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


def test_builtins_fit_their_protocols() -> None:
    functions: list[Function] = [sigmoid, relu, softmax]
    losses: list[Loss] = [cross_entropy_error, sum_squared_error]
    layers: list[Layer] = [Affine(np.eye(2)), Sigmoid(), Relu()]
    loss_layer: LossLayer = SoftmaxWithLoss()
    models: list[DifferentiableModel] = [
        TwoLayerNet(2, 2, 2, rng=0),
        SimpleNet(rng=0),
        Sequential([Affine(np.eye(2))]),
    ]
    plain: Model = models[0]
    estimators: list[GradientEstimator] = [NumericalDiff(), Backprop(), ComplexStep(), SPSA(rng=0)]
    complex_layers: list[ComplexLayer] = [Affine(np.eye(2)), Sigmoid()]
    complex_loss: ComplexLossLayer = SoftmaxWithLoss()
    complex_models: list[BindsComplexLoss] = [TwoLayerNet(2, 2, 2, rng=0), SimpleNet(rng=0)]
    optimizer: Optimizer = SGD(lr=0.1)
    propagating: list[PropagatesChange] = [Affine(np.eye(2)), Sigmoid(), Relu()]
    perturbing: PerturbsParameters = Affine(np.eye(2))
    perturbable_loss: PerturbableLoss = SoftmaxWithLoss()
    optimizers: list[Optimizer] = [SGD(), Momentum(), Nesterov(), AdaGrad(), RMSprop(), Adam()]
    stateful: list[Stateful] = [SGD(), Momentum(), Nesterov(), AdaGrad(), RMSprop(), Adam()]
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
        (list(propagating), PropagatesChange),
        ([perturbing], PerturbsParameters),
        ([perturbable_loss], PerturbableLoss),
        (list(optimizers), Optimizer),
        (list(stateful), Stateful),
        (list(complex_layers), ComplexLayer),
        ([complex_loss], ComplexLossLayer),
        (list(complex_models), BindsComplexLoss),
    ]
    for group, proto in groups:
        for obj in group:
            assert isinstance(obj, proto), (obj, proto)
    assert not isinstance(object(), Layer)
    assert not isinstance(SGD(), GradientEstimator)
    assert not isinstance(Relu(), ComplexLayer)  # its kink is not complex-analytic
