"""The types catch mistakes before running: mypy --strict over typecheck/typos.py must report
exactly the errors its `# E:` comments announce (and no others)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


TYPOS = Path(__file__).resolve().parent.parent / "typecheck" / "typos.py"


def test_mypy_catches_the_typos() -> None:
    expected = {
        (n, code)
        for n, line in enumerate(TYPOS.read_text().splitlines(), start=1)
        if (m := re.search(r"# E: ([\w -]+)$", line))
        for code in m.group(1).split()
    }
    assert len(expected) >= 15
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--show-error-codes",
         "--no-error-summary", str(TYPOS)],
        capture_output=True, text=True,
    )
    found = {
        (int(m.group(1)), m.group(2))
        for m in re.finditer(r"typos\.py:(\d+): error: .*\[([\w-]+)\]$", run.stdout, re.M)
    }
    assert found == expected, run.stdout
