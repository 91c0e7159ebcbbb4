"""The README's code runs and says what it claims (needs MNIST in ``TINYNN_DATA``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_opens_with_the_two_commands() -> None:
    first = re.search(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert first is not None
    commands = [line.split("#")[0].strip() for line in first.group(1).splitlines()]
    assert commands == ["./run.sh train", "./run.sh test"]
    assert (README.parent / "run.sh").stat().st_mode & 0o111


def test_readme_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not os.environ.get("TINYNN_DATA"):
        pytest.skip("the tour loads MNIST: set TINYNN_DATA to a folder holding mnist/")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # leave the user's cache alone
    namespace: dict[str, object] = {}
    exec(compile("\n".join(_python_blocks()), str(README), "exec"), namespace)
    history = namespace["history"]
    assert len(history.test_acc_list) == 17  # type: ignore[attr-defined]
    assert history.test_acc_list[-1] >= 0.94  # type: ignore[attr-defined]
    diffs = namespace["nn"].gradient_check(  # type: ignore[attr-defined]
        namespace["model"], namespace["x_train"][:3], namespace["t_train"][:3]
    )
    assert all(d.max_abs < 1e-6 for d in diffs.values())


def test_the_main_job_has_one_measured_time_everywhere() -> None:
    """The README's time for ``./run.sh train`` is the one the docs give, in the same words."""
    first = re.search(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert first is not None
    claim = re.search(r"MNIST \((\d+(?:\.\d+)? s) on 2 ", first.group(1))
    assert claim is not None, "the README's ./run.sh train line gives no time"
    seconds = claim.group(1)
    docs = README.parent / "docs"
    getting_started = (docs / "getting_started.rst").read_text(encoding="utf-8")
    performance = (docs / "performance.rst").read_text(encoding="utf-8")
    assert f"iterations ({seconds} on the 2-core machine" in getting_started
    assert f"**{seconds}**" in performance
    # no other time for the main job lingers anywhere
    for text in (getting_started, performance, README.read_text(encoding="utf-8")):
        other = r"(?<![\d.])(?!" + re.escape(seconds) + r")\d+(\.\d+)? s on (the )?2"
        assert not re.search(other, text)
