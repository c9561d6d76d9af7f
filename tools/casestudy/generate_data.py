"""Write the case study's synthetic data files into course/data/brand_voice/ (seeded).

    python tools/casestudy/generate_data.py [--seed 5] [--out course/data/brand_voice]

The files are committed; tests/test_casestudy_data.py checks this script reproduces them
byte for byte. See course/data/brand_voice/DATA_CARD.md for what the data is.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "course"))

from coursekit.casestudy.data import DATA_DIR, DEFAULT_SEED, write_dataset  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    for name, path in write_dataset(args.out, seed=args.seed).items():
        lines = path.read_text(encoding="utf-8").count("\n")
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {lines} lines")


if __name__ == "__main__":
    main()
