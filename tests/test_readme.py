"""The README's code runs as a reader pastes it, and says what it claims.

The python blocks are fed line by line to :class:`code.InteractiveConsole`, which parses
as Python's interactive prompt does: a blank line ends a class or function body, so a block
with a blank line inside a class fails here as it fails in a REPL. Running them needs MNIST
in ``TINYNN_DATA``; checking that they paste does not.
"""

from __future__ import annotations

import code
import os
import re
import traceback
from pathlib import Path
from types import CodeType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _python_blocks(text: str | None = None) -> list[str]:
    text = README.read_text(encoding="utf-8") if text is None else text
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


class Prompt(code.InteractiveConsole):
    """Python's interactive prompt, fed line by line, recording every error it shows.

    With ``run=False`` nothing is executed: only how the prompt parses what is pasted.
    """

    def __init__(self, namespace: dict[str, Any], *, run: bool = True) -> None:
        super().__init__(namespace, filename="<README>")
        self.run = run
        self.errors: list[str] = []

    def runcode(self, code: CodeType) -> None:
        if self.run:
            super().runcode(code)

    def showsyntaxerror(self, *args: Any, **kwargs: Any) -> None:
        self.errors.append("".join(traceback.format_exc(limit=0)).strip())

    def showtraceback(self) -> None:
        self.errors.append(traceback.format_exc())

    def paste(self, block: str) -> None:
        """Type ``block`` at the prompt, then one blank line (as after a paste)."""
        for line in [*block.splitlines(), ""]:
            self.push(line)


def test_readme_opens_with_the_two_commands() -> None:
    first = re.search(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert first is not None
    commands = [line.split("#")[0].strip() for line in first.group(1).splitlines()]
    assert commands == ["./run.sh train", "./run.sh test"]
    assert (README.parent / "run.sh").stat().st_mode & 0o111


def test_a_blank_line_inside_a_class_fails_at_the_prompt() -> None:
    """The check below can fail: this is what the tour had before (valid in a file)."""
    pasted = "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n"
    compile(pasted, "<file>", "exec")  # fine as a file
    prompt = Prompt({}, run=False)
    prompt.paste(pasted)
    assert prompt.errors and "IndentationError" in prompt.errors[0]


def test_every_python_block_of_the_readme_pastes_at_the_prompt() -> None:
    blocks = _python_blocks()
    assert len(blocks) >= 2
    prompt = Prompt({}, run=False)
    for block in blocks:
        prompt.paste(block)
    assert not prompt.errors, "\n\n".join(prompt.errors)


@pytest.mark.slow  # the book's whole run: 10,000 iterations on MNIST
def test_readme_tour_runs_at_the_prompt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not os.environ.get("TINYNN_DATA"):
        pytest.skip("the tour loads MNIST: set TINYNN_DATA to a folder holding mnist/")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # leave the user's cache alone
    namespace: dict[str, Any] = {}
    prompt = Prompt(namespace)
    for block in _python_blocks():
        prompt.paste(block)
    assert not prompt.errors, "\n\n".join(prompt.errors)
    history = namespace["history"]
    assert len(history.test_acc_list) == 17
    assert history.test_acc_list[-1] >= 0.94
    diffs = namespace["nn"].gradient_check(
        namespace["model"], namespace["x_train"][:3], namespace["t_train"][:3]
    )
    assert all(d.max_abs < 1e-6 for d in diffs.values())


def test_the_main_jobs_time_is_given_in_one_place() -> None:
    """The training time of ``./run.sh train`` is measured on the performance page only; the
    README and the getting-started page refer there instead of repeating (or contradicting)
    it. (The command's own help is on the command line's branch.)"""
    docs = ROOT / "docs"
    performance = (docs / "performance.rst").read_text(encoding="utf-8")
    claim = re.search(r"\*\*(\d+(?:\.\d+)?) s\*\* of training", performance)
    assert claim is not None, "the performance page gives no training time for the main job"
    readme = README.read_text(encoding="utf-8")
    getting_started = (docs / "getting_started.rst").read_text(encoding="utf-8")
    assert "docs/performance.rst#training" in readme
    assert ":ref:`performance page <perf-training>`" in getting_started
    assert ".. _perf-training:\n\nTraining\n--------" in performance
    # not repeated elsewhere, nor another figure "on 2 cores" / "on the 2-core machine"
    for name, text in (("README.md", readme), ("getting_started.rst", getting_started)):
        assert f"{claim.group(1)} s" not in text, f"{name} repeats the main job's time"
        other = re.search(r"\d+(\.\d+)? s (of training )?on (the )?2", text)
        assert other is None, f"{name} gives a time on the 2-core machine: {other.group(0)}"


def _fence_errors(text: str) -> list[str]:
    """Code fences that do not open and close as Markdown reads them (a closing ``` with text
    after it is not a closing fence: the block runs on to the end of the file)."""
    errors, inside = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("```"):
            continue
        if inside and line.rstrip() != "```":
            errors.append(f"line {number}: {line!r} cannot close the block opened before it")
        elif not inside and not re.fullmatch(r"```[\w+-]*", line.rstrip()):
            errors.append(f"line {number}: {line!r} is not an opening fence")
        else:
            inside = not inside
    if inside:
        errors.append("the last code block is never closed")
    return errors


def test_every_code_block_of_the_readme_closes() -> None:
    assert _fence_errors("```bash\nx\n``` text after\n") != []  # the check can fail
    assert _fence_errors(README.read_text(encoding="utf-8")) == []
