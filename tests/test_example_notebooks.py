"""The gallery's examples, downloaded as notebooks, run in a Jupyter kernel and show their figures.

Each example is a script that parses its command line; in a kernel ``sys.argv`` is the
kernel's (``-f kernel.json``), which argparse would refuse. The notebooks are made as the
docs' gallery makes them (sphinx-gallery's notebook writer), run headless (nbclient) in a
fresh folder, and their outputs checked: what the script prints, and the figures it writes
shown as pictures.
"""

from __future__ import annotations

import base64
import copy
import os
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")
gen_gallery = pytest.importorskip("sphinx_gallery.gen_gallery")
notebook = pytest.importorskip("sphinx_gallery.notebook")
source_parser = pytest.importorskip("sphinx_gallery.py_source_parser")

ROOT = Path(__file__).resolve().parent.parent


def run_as_notebook(name: str, folder: Path) -> list[dict[str, Any]]:
    """The outputs of ``examples/<name>.py`` converted as the gallery does and run in ``folder``."""
    conf = copy.deepcopy(gen_gallery.DEFAULT_GALLERY_CONF)
    _, blocks = source_parser.split_code_and_text_blocks(str(ROOT / "examples" / f"{name}.py"))
    path = folder / f"{name}.ipynb"  # the file a reader downloads, written as the gallery does
    notebook.save_notebook(notebook.jupyter_notebook(blocks, conf, folder), path)
    nb = nbformat.read(path, as_version=4)
    path_now = os.environ.get("PYTHONPATH", "")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), path_now])}  # this tinynn
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(folder)}})  # fmt: skip
    client.execute(env=env)
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


def pictures(outputs: list[dict[str, Any]]) -> list[bytes]:
    return [base64.b64decode(o["data"]["image/png"]) for o in outputs
            if o.get("output_type") == "display_data" and "image/png" in o["data"]]  # fmt: skip


def printed(outputs: list[dict[str, Any]]) -> str:
    return "".join(o["text"] for o in outputs if o.get("output_type") == "stream")


def test_gradient_1d_runs_as_a_notebook_and_shows_its_figure(tmp_path: Path) -> None:
    outputs = run_as_notebook("gradient_1d", tmp_path)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = printed(outputs)
    assert "0.1999999999990898" in text and "figure 4-7 written to gradient_1d.png" in text
    shown = pictures(outputs)
    assert len(shown) == 1 and shown[0].startswith(b"\x89PNG\r\n\x1a\n")
    assert (tmp_path / "gradient_1d.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_gradient_method_runs_as_a_notebook_and_shows_its_figure(tmp_path: Path) -> None:
    outputs = run_as_notebook("gradient_method", tmp_path)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert len(pictures(outputs)) == 1 and (tmp_path / "gradient_method.png").exists()
