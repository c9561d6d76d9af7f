"""Write the case study's synthetic data files into course/data/brand_voice/ (seeded).

    python tools/casestudy/generate_data.py [--seed 5] [--out course/data/brand_voice]

The files are committed; tests/test_casestudy_data.py checks this script reproduces them
byte for byte. See course/data/brand_voice/DATA_CARD.md for what the data is; this script
also rewrites the card's statistics block (who wrote what, approval rates, rater agreement,
the ceiling, the model-free checks) when it writes the default seed into the default folder.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "course"))

from coursekit.casestudy.data import DATA_DIR, DEFAULT_SEED, refresh_card, write_dataset  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    for name, path in write_dataset(args.out, seed=args.seed).items():
        lines = path.read_text(encoding="utf-8").count("\n")
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {lines} lines")
    if args.out.resolve() == DATA_DIR.resolve() and args.seed == DEFAULT_SEED:
        changed = refresh_card(DATA_DIR / "DATA_CARD.md", args.seed)
        print(f"DATA_CARD.md statistics {'rewritten' if changed else 'already current'}")


if __name__ == "__main__":
    main()
