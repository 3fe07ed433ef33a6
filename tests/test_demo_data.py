"""The bundled demo thread is exactly what demo/build_demo.py generates from its text files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from collectors.demo import DEMO_FILE

ROOT = Path(__file__).resolve().parents[1]


def test_demo_generator_reproduces_the_bundled_file(tmp_path: Path) -> None:
    out = tmp_path / "thread.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "build_demo.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == Path(DEMO_FILE).read_bytes()
