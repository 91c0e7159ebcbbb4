"""The chapter's figures, drawn with matplotlib (an optional extra: ``pip install "tinynn[plot]"``).

Every function draws one figure of the book (chapters 4, 6 and 7) and returns the matplotlib
``Figure``. Pass ``ax=`` to draw into an axes of your own (for example one
panel of a larger figure); the function then returns ``ax.figure``. No
``pyplot`` global state is used, so the figures work headless: save them with
``fig.savefig("name.png")``, or show them in a notebook by evaluating ``fig``.

Book section
------------
4.3.2, 4.3.3, 4.4, 4.4.1, 4.5.2, 4.5.3 (figures 4-7 to 4-12; what the network gets wrong);
figures of sections 6.1 to 6.5 and 7.6 (each function names its own)
"""

from .batch_normalization import batch_norm_figure as batch_norm_figure
from .batch_normalization import batch_norm_grid_figure as batch_norm_grid_figure
from .calculus import descent_path_figure as descent_path_figure
from .calculus import function_surface_figure as function_surface_figure
from .calculus import gradient_field_figure as gradient_field_figure
from .calculus import learning_rate_figure as learning_rate_figure
from .calculus import step_size_figure as step_size_figure
from .calculus import tangent_line_figure as tangent_line_figure
from .convolution import feature_maps_figure as feature_maps_figure
from .convolution import filters_figure as filters_figure
from .evaluation import confusion_matrix_figure as confusion_matrix_figure
from .evaluation import misclassified_figure as misclassified_figure
from .hyperparameters import hyperparameter_search_figure as hyperparameter_search_figure
from .initialization import activation_histogram_figure as activation_histogram_figure
from .initialization import weight_init_loss_figure as weight_init_loss_figure
from .optimizers import optimizer_loss_figure as optimizer_loss_figure
from .optimizers import optimizer_paths_figure as optimizer_paths_figure
from .optimizers import smooth_curve as smooth_curve
from .regularization import overfitting_figure as overfitting_figure
from .training import AccuracyRecord as AccuracyRecord
from .training import LossRecord as LossRecord
from .training import TrainingRecord as TrainingRecord
from .training import accuracy_figure as accuracy_figure
from .training import loss_curve_figure as loss_curve_figure
from .training import training_figure as training_figure

__all__ = [
    "accuracy_figure",
    "activation_histogram_figure",
    "batch_norm_figure",
    "batch_norm_grid_figure",
    "confusion_matrix_figure",
    "descent_path_figure",
    "feature_maps_figure",
    "filters_figure",
    "function_surface_figure",
    "gradient_field_figure",
    "hyperparameter_search_figure",
    "learning_rate_figure",
    "loss_curve_figure",
    "misclassified_figure",
    "optimizer_loss_figure",
    "optimizer_paths_figure",
    "overfitting_figure",
    "smooth_curve",
    "step_size_figure",
    "tangent_line_figure",
    "training_figure",
    "weight_init_loss_figure",
]
