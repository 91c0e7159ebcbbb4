"""Sphinx configuration for the tinynn documentation.

Build (from the repository root)::

    sphinx-build -W --keep-going -b html docs docs/_build/html
    sphinx-build -W --keep-going -b doctest docs docs/_build/doctest

Environment variables:

``TINYNN_DOCS_ONLINE=1``
    Enable intersphinx links to the Python and NumPy documentation. Off by
    default, because intersphinx downloads the inventories at build time and a
    failed download is a warning, which ``-W`` turns into a failed build; the
    CI machines have no internet.
``TINYNN_DATA``
    Where :func:`tinynn.datasets.load_mnist` looks for MNIST first. The build
    trains a small network (``docs/_ext/build_time_training.py``) to draw
    figures 4-11 and 4-12, so it needs MNIST: found there, in the user cache,
    or downloaded. Without it the build fails with a message saying so.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import sphinx.util.inspect as _sphinx_inspect
from sphinx.util.nodes import make_refnode

import tinynn

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# The examples are scripts, not a package: put them on the path so that the
# pages (plot directive, doctest) can ``import gradient_1d`` and friends.
sys.path.insert(0, str(ROOT / "examples"))
# Helpers for the pages (the build-time training run).
sys.path.insert(0, str(DOCS / "_ext"))

project = "tinynn"
author = "the tinynn authors"
copyright = "the tinynn authors"
release = tinynn.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    # MathJax from the wheel into _static/mathjax, not from a CDN: formulas render offline
    "sphinx-mathjax-offline",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "matplotlib.sphinxext.plot_directive",
    "sphinx_gallery.gen_gallery",
    "rule_tables",  # the layer x estimator table, from the estimators' rule tables
]

ONLINE = os.environ.get("TINYNN_DOCS_ONLINE", "") not in ("", "0")
if ONLINE:
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
    }
    intersphinx_timeout = 10

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# -- warnings: every internal cross-reference must resolve -------------------------
# nitpicky makes an unresolved reference a warning, which -W makes an error. Names
# from outside tinynn (NumPy, the standard library, matplotlib) cannot be checked
# offline, so they are ignored here; with TINYNN_DOCS_ONLINE=1 intersphinx links
# the ones its inventories know.
nitpicky = True
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(numpy|np|npt|numpy\.typing|matplotlib|mpl|collections|typing|pathlib"
        r"|os|io|types|dataclasses|builtins|_io|hashlib|concurrent|http)(\..*)?",
    ),
    (
        r"py:.*",
        r"(NDArray|ArrayLike|Any|Callable|Iterator|Iterable|Sequence|Mapping|Literal"
        r"|TextIO|Path|PathLike|ClassVar|TypeAlias|Protocol|NamedTuple)",
    ),
    (
        r"py:.*",
        r"(int|float|str|bytes|bool|dict|list|tuple|set|object|None|type"
        r"|Exception|ValueError|TypeError|RuntimeError|RuntimeWarning|OSError"
        r"|KeyError|IOError|ConnectionError|FileNotFoundError)",
    ),
    (r"py:.*", r"(Figure|SubFigure|Axes)"),
    # the facts a DatasetNotFoundError carries (internal to tinynn.datasets)
    (r"py:.*", r"(tinynn\.datasets\.not_found\.)?(SearchReport|Terms)"),
    # the type alias and type variables, as Sphinx shows them in signatures of the
    # estimators' rules (tinynn.estimators.numerical, complex_step)
    (r"py:.*", r"(.*\.)?(Change|Scheme|Stack|R|L)"),
    # Sequential.astype's type variable and the mixin it comes from (tinynn.models.precision)
    (r"py:.*", r"(tinynn\.models\.precision\.)?(T|Converted)"),
    # Sphinx 8.1 cannot evaluate ``Function2 | None`` and shows the alias's name
    (r"py:.*", r"Function2"),
    # NumPy-style prose types in docstrings ("ndarray of float64", "dict of str to
    # list of float") are descriptions, not names.
    (r"py:.*", r".*\s.*"),
    (r"py:.*", r"(ndarray|array_like|array-like|arrays|callable|file|optional|scalar)"),
]

# -- autodoc ------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_class_signature = "mixed"
# Type aliases stay readable in signatures (``FloatArray``, not the expanded NDArray).
autodoc_type_aliases = {
    "ArrayLike": "numpy.typing.ArrayLike",
    "NDArray": "numpy.typing.NDArray",
    "FloatArray": "tinynn.typing.FloatArray",
    "ComplexArray": "tinynn.typing.ComplexArray",
    "IntArray": "tinynn.typing.IntArray",
    "Params": "tinynn.typing.Params",
    "ScalarFunction": "tinynn.typing.ScalarFunction",
    "Logs": "tinynn.callbacks.Logs",
    "Function2": "collections.abc.Callable[[numpy.typing.NDArray], float]",
    # imported by tinynn.plot only for type checking
    "Axes": "matplotlib.axes.Axes",
    "Figure": "matplotlib.figure.Figure",
    # aliases private to tinynn.datasets: shown as what they stand for
    "PathArg": "str | os.PathLike[str]",
    "Splits": "tuple[tuple[numpy.ndarray, numpy.ndarray], tuple[numpy.ndarray, numpy.ndarray]]",
}


def _alias_repr(self: object) -> str:
    return str(self.name)  # type: ignore[attr-defined]


# Sphinx shows an alias nested in a generic (``Callable[[ArrayLike], ...]``) by its
# repr, "TypeAliasForwardRef('...')" (sphinx-doc/sphinx#10333); show its name instead.
_sphinx_inspect.TypeAliasForwardRef.__repr__ = _alias_repr  # type: ignore[method-assign]
python_use_unqualified_type_names = True
add_module_names = False
autosummary_generate = False


def _protocol_signature(app, what, name, obj, options, signature, return_annotation):  # type: ignore[no-untyped-def]
    """Show protocols as ``class Layer``, not ``class Layer(*args, **kwargs)``."""
    if what == "class" and getattr(obj, "_is_protocol", False):
        return "", return_annotation
    return None


# -- napoleon: NumPy-style docstrings with the project's "Book section" heading -----
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_param = False  # types as text: "ndarray of float64" is prose, not a name
napoleon_use_rtype = False
napoleon_use_ivar = True
napoleon_custom_sections = ["Book section"]

# -- doctest: only the explicit ``.. doctest::``/``.. testcode::`` blocks ------------
# The ``>>>`` examples in the docstrings already run under ``pytest --doctest-modules``
# with their module's globals; running them again here would need those globals.
doctest_test_doctest_blocks = ""
doctest_global_setup = "import numpy as np"

# -- figures: matplotlib's plot directive -------------------------------------------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.figsize": (6.0, 4.0), "savefig.bbox": "tight"}
plot_apply_rcparams = True
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\n"
plot_working_directory = str(ROOT)

# -- the examples as a gallery: one page each with the code, its output and figures --
# The examples write PNG files rather than pyplot figures; docs/_ext/gallery_helpers.py
# collects them and gives each script its command line (train_neuralnet.py runs the
# short schedule of docs/_ext/build_time_training.py).
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",  # run every example, not only plot_*.py
    "image_scrapers": ("gallery_helpers.scrape_pngs",),
    "reset_modules": ("gallery_helpers.note_start",),
    "reset_argv": "gallery_helpers.reset_argv",
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "show_signature": False,
    # the execution-times pages load DataTables and Bootstrap from a CDN: not offline
    "write_computation_times": False,
}

# -- HTML ---------------------------------------------------------------------------
html_theme = "furo"
html_title = f"tinynn {release}"
html_static_path: list[str] = []
html_theme_options = {"navigation_with_keys": True}


def _alias_reference(app, env, node, contnode):  # type: ignore[no-untyped-def]
    """Resolve a type in a signature to a documented alias (``FloatArray``, ``Params``).

    Sphinx 9 finds these by itself; Sphinx 8.1 (the last release for Python 3.10)
    looks for a *class* and misses the data entry the alias is documented as.
    """
    if node.get("refdomain") != "py" or node.get("reftype") != "class":
        return None
    target = node["reftarget"]
    py = env.get_domain("py")
    for name in (target, f"tinynn.typing.{target}", f"tinynn.callbacks.{target}"):
        entry = py.objects.get(name)
        if entry is not None and entry.objtype == "data":
            return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id,
                                contnode, name)  # fmt: skip
    return None


def _forget_modules_without_source(app, env):  # type: ignore[no-untyped-def]
    """Keep viewcode's module index to the pages it writes.

    viewcode notes ``builtins`` (the module of an alias such as ``Logs = dict[...]``) as a
    module without source, writes no page for it, yet lists it in ``_modules/index.html``:
    a broken link. Modules without source are dropped before the pages are written.
    """
    modules = getattr(env, "_viewcode_modules", {})
    for name in [name for name, entry in modules.items() if entry is False]:
        del modules[name]
    return []


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("autodoc-process-signature", _protocol_signature)
    app.connect("missing-reference", _alias_reference)
    app.connect("env-updated", _forget_modules_without_source)
