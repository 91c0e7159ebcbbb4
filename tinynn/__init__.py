"""tinynn: Chapter 4 of *Deep Learning from Scratch* as a small, typed NumPy framework.

Every public name is importable from here (the data loaders from
:mod:`tinynn.datasets`). See ``docs/book_map.rst`` for which book section
each one implements.
"""

from .base import BindsLoss as BindsLoss
from .base import DifferentiableModel as DifferentiableModel
from .base import Function as Function
from .base import GradientEstimator as GradientEstimator
from .base import Layer as Layer
from .base import Loss as Loss
from .base import LossLayer as LossLayer
from .base import Model as Model
from .base import Optimizer as Optimizer
from .base import Stateful as Stateful
from .calculus import PrecisionWarning as PrecisionWarning
from .calculus import complex_step_diff as complex_step_diff
from .calculus import numerical_diff as numerical_diff
from .calculus import numerical_gradient as numerical_gradient
from .calculus import tangent_line as tangent_line
from .callbacks import Callback as Callback
from .callbacks import Checkpoint as Checkpoint
from .callbacks import CSVLogger as CSVLogger
from .callbacks import EarlyStopping as EarlyStopping
from .callbacks import EpochAccuracy as EpochAccuracy
from .callbacks import GradientAgreement as GradientAgreement
from .callbacks import History as History
from .callbacks import ProgressPrinter as ProgressPrinter
from .callbacks import TrainingRun as TrainingRun
from .datasets.augmentation import Augmentation as Augmentation
from .datasets.augmentation import shift_rotate as shift_rotate
from .datasets.handwriting import preprocess_digit as preprocess_digit
from .datasets.handwriting import read_digit as read_digit
from .estimators import SPSA as SPSA
from .estimators import Backprop as Backprop
from .estimators import ComplexStep as ComplexStep
from .estimators import GradientCheck as GradientCheck
from .estimators import GradientDifference as GradientDifference
from .estimators import NumericalDiff as NumericalDiff
from .estimators import PerformanceWarning as PerformanceWarning
from .estimators import RuleError as RuleError
from .estimators import gradient_check as gradient_check
from .evaluation import ClassScores as ClassScores
from .evaluation import class_scores as class_scores
from .evaluation import confusion_matrix as confusion_matrix
from .functions import identity_function as identity_function
from .functions import relu as relu
from .functions import relu_grad as relu_grad
from .functions import sigmoid as sigmoid
from .functions import sigmoid_grad as sigmoid_grad
from .functions import softmax as softmax
from .functions import step_function as step_function
from .gradient_method import gradient_descent as gradient_descent
from .gradient_method import gradient_descent_path as gradient_descent_path
from .im2col import col2im as col2im
from .im2col import conv_output_size as conv_output_size
from .im2col import im2col as im2col
from .initialization import hidden_activations as hidden_activations
from .initialization import weight_scale as weight_scale
from .layers import Affine as Affine
from .layers import BatchNormalization as BatchNormalization
from .layers import Convolution as Convolution
from .layers import Dropout as Dropout
from .layers import Pooling as Pooling
from .layers import Relu as Relu
from .layers import Sigmoid as Sigmoid
from .layers import SoftmaxWithLoss as SoftmaxWithLoss
from .losses import cross_entropy_error as cross_entropy_error
from .losses import sum_squared_error as sum_squared_error
from .models import DeepConvNet as DeepConvNet
from .models import MultiLayerNet as MultiLayerNet
from .models import MultiLayerNetExtend as MultiLayerNetExtend
from .models import Sequential as Sequential
from .models import SimpleConvNet as SimpleConvNet
from .models import SimpleNet as SimpleNet
from .models import TwoLayerNet as TwoLayerNet
from .models.parameters import Parameters as Parameters
from .optimizers import SGD as SGD
from .optimizers import AdaGrad as AdaGrad
from .optimizers import Adam as Adam
from .optimizers import Momentum as Momentum
from .optimizers import Nesterov as Nesterov
from .optimizers import RMSprop as RMSprop
from .optimizers.schedules import CosineDecay as CosineDecay
from .optimizers.schedules import ExponentialDecay as ExponentialDecay
from .optimizers.schedules import LinearWarmup as LinearWarmup
from .optimizers.schedules import Schedule as Schedule
from .optimizers.schedules import StepDecay as StepDecay
from .saving.model_file import load_model as load_model
from .saving.model_file import save_model as save_model
from .saving.registry import register_layer as register_layer
from .step_size import StepSizeStudy as StepSizeStudy
from .step_size import step_size_study as step_size_study
from .training.trainer import Trainer as Trainer
from .training.unsaved import UnsavedStateWarning as UnsavedStateWarning

__version__ = "0.1.0"

__all__ = [
    "SGD",
    "SPSA",
    "AdaGrad",
    "Adam",
    "Affine",
    "Augmentation",
    "Backprop",
    "BatchNormalization",
    "BindsLoss",
    "CSVLogger",
    "Callback",
    "Checkpoint",
    "ClassScores",
    "ComplexStep",
    "Convolution",
    "CosineDecay",
    "DeepConvNet",
    "DifferentiableModel",
    "Dropout",
    "EarlyStopping",
    "EpochAccuracy",
    "ExponentialDecay",
    "Function",
    "GradientAgreement",
    "GradientCheck",
    "GradientDifference",
    "GradientEstimator",
    "History",
    "Layer",
    "LinearWarmup",
    "Loss",
    "LossLayer",
    "Model",
    "Momentum",
    "MultiLayerNet",
    "MultiLayerNetExtend",
    "Nesterov",
    "NumericalDiff",
    "Optimizer",
    "Parameters",
    "PerformanceWarning",
    "Pooling",
    "PrecisionWarning",
    "ProgressPrinter",
    "RMSprop",
    "Relu",
    "RuleError",
    "Schedule",
    "Sequential",
    "Sigmoid",
    "SimpleConvNet",
    "SimpleNet",
    "SoftmaxWithLoss",
    "Stateful",
    "StepDecay",
    "StepSizeStudy",
    "Trainer",
    "TrainingRun",
    "TwoLayerNet",
    "UnsavedStateWarning",
    "class_scores",
    "col2im",
    "complex_step_diff",
    "confusion_matrix",
    "conv_output_size",
    "cross_entropy_error",
    "gradient_check",
    "gradient_descent",
    "gradient_descent_path",
    "hidden_activations",
    "identity_function",
    "im2col",
    "load_model",
    "numerical_diff",
    "numerical_gradient",
    "preprocess_digit",
    "read_digit",
    "register_layer",
    "relu",
    "relu_grad",
    "save_model",
    "shift_rotate",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "step_function",
    "step_size_study",
    "sum_squared_error",
    "tangent_line",
    "weight_scale",
]
