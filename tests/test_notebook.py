"""In a Jupyter notebook, what a learner evaluates shows as a picture or a table, with no magic.

A real kernel runs a notebook headless (nbclient) and the outputs are checked: a figure of
``tinynn.plot`` is a PNG, ``History``, a model and a gradient check are readable text and an
HTML table, and the progress of a fit is one output updated in place.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parent.parent

CELLS = [
    "import numpy as np\nimport tinynn as nn\nfrom tinynn.plot import tangent_line_figure",
    "fig = tangent_line_figure()\nfig",
    "rng = np.random.default_rng(0)\nx = rng.random((60, 4))\nt = (x[:, 0] > 0.5).astype(int)\n"
    "net = nn.TwoLayerNet(4, 8, 2, weight_init_std=1.0, rng=1)\n"
    "accuracy = nn.EpochAccuracy(train=(x, t), test=(x, t))\n"
    "trainer = nn.Trainer(net, nn.SGD(lr=0.5), batch_size=10, callbacks=[accuracy], rng=2)\n"
    "trainer.fit(x, t, iters=13)",
    "net",
    "nn.gradient_check(nn.TwoLayerNet(4, 3, 2, rng=1), x[:3], t[:3])",
    "printer = nn.ProgressPrinter(interval=0)\n"
    "trainer = nn.Trainer(net, nn.SGD(lr=0.5), batch_size=10, callbacks=[accuracy, printer],"
    " rng=2)\n_ = trainer.fit(x, t, iters=13)",
]


@pytest.fixture(scope="module")
def outputs() -> list[list[dict[str, object]]]:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})  # fmt: skip
    client.execute()
    return [list(cell.outputs) for cell in nb.cells]


def _data(cell: list[dict[str, object]]) -> dict[str, str]:
    results = [o for o in cell if o.get("output_type") == "execute_result"]
    assert len(results) == 1, cell
    data = results[0]["data"]
    assert isinstance(data, dict)
    return data


def test_a_figure_evaluated_in_a_cell_shows_as_a_picture(outputs: list[list[dict[str, object]]]
                                                        ) -> None:  # fmt: skip
    data = _data(outputs[1])
    assert "image/png" in data, sorted(data)
    import base64

    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")


def test_history_shows_its_record(outputs: list[list[dict[str, object]]]) -> None:
    data = _data(outputs[2])
    assert data["text/plain"].startswith("History(13 iterations, loss ")
    assert "<table>" in data["text/html"] and "test_acc" in data["text/html"]
    assert data["text/html"].count("<tr>") == 1 + 3  # the header, and epochs 0, 1, 2


def test_a_model_shows_its_layers_shapes_and_parameters(
    outputs: list[list[dict[str, object]]],
) -> None:
    data = _data(outputs[3])
    assert data["text/plain"].startswith("TwoLayerNet([Affine(4 -> 8), Sigmoid(), Affine(8 -> 2)]")
    page = data["text/html"]
    assert "58 parameters" in page and "(N, 8)" in page and "Sigmoid()" in page


def test_a_gradient_check_shows_as_a_table(outputs: list[list[dict[str, object]]]) -> None:
    data = _data(outputs[4])
    assert data["text/plain"].startswith("GradientCheck: 4 parameters, largest relative ")
    page = data["text/html"]
    assert "<table>" in page and page.count("<tr>") == 1 + 4 and "<th>max_rel</th>" in page


def test_progress_in_a_notebook_is_one_output_updated_in_place(
    outputs: list[list[dict[str, object]]],
) -> None:
    cell = outputs[5]
    shown = [o for o in cell if o.get("output_type") == "display_data"]
    assert len(shown) == 1, cell  # one output, updated 13 times (interval=0), not 13 lines
    data = shown[0]["data"]
    assert isinstance(data, dict)
    assert data["text/plain"].startswith("iter 13/13 (epoch 2: 6/6) | loss "), data
    printed = "".join(str(o.get("text", "")) for o in cell if o.get("output_type") == "stream")
    assert "iter " not in printed  # the epochs' lines only, as the book prints them
    assert printed.count("train acc, test acc | ") == 3, printed
