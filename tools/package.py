"""The library's sdist and wheel, built as they would be published, and checked.

``python -m tools.package DIR`` builds both with ``python -m build`` (the wheel from the
sdist, so the sdist is proven complete) into DIR and runs ``twine check --strict`` on
them; ``.ci/run`` does this, and tests/test_worked_example.py installs the wheel into a
new environment. The build runs on a copy of the checkout: setuptools builds in its
source folder, and a build/ or ``*.egg-info`` left there can put old files into a wheel.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from acceptance.testbed import PROJECT_ROOT

LEFTOVERS = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "reports", "__pycache__", ".*_cache",
    ".hypothesis",
)  # fmt: skip
"""What a copy of the checkout leaves out: version control, environments, build output."""


@dataclass(frozen=True)
class Distributions:
    """The two files ``python -m build`` makes."""

    sdist: Path
    wheel: Path


def build(outdir: Path) -> Distributions:
    """Build the sdist and the wheel into ``outdir``; raise with build's output if it fails."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "source"
        shutil.copytree(PROJECT_ROOT, source, ignore=LEFTOVERS)
        command = [sys.executable, "-m", "build", "--outdir", str(outdir), str(source)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"python -m build failed:\n{result.stdout}{result.stderr}")
    [sdist] = outdir.glob("*.tar.gz")
    [wheel] = outdir.glob("*.whl")
    return Distributions(sdist=sdist, wheel=wheel)


def main(argv: Sequence[str] | None = None) -> int:
    """Build into the folder given, then ``twine check --strict``; exit with its status."""
    parser = argparse.ArgumentParser(prog="python -m tools.package", description=__doc__)
    parser.add_argument("outdir", type=Path, help="an empty folder for the sdist and wheel")
    outdir: Path = parser.parse_args(argv).outdir
    built = build(outdir)
    print(f"built {built.sdist.name} and {built.wheel.name}", flush=True)
    check = [sys.executable, "-m", "twine", "check", "--strict", str(built.sdist), str(built.wheel)]
    return subprocess.run(check, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
