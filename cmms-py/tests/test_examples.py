"""The README's Python example runs as written."""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_quickstart_runs(tmp_path: pathlib.Path) -> None:
    script = ROOT / "examples" / "python" / "quickstart.py"
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "WO-" in out.stdout and "completed" in out.stdout


def test_readme_shows_the_quickstart() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    script = (ROOT / "examples" / "python" / "quickstart.py").read_text(encoding="utf-8")
    block = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert block.strip() == script.strip()
