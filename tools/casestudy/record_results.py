"""Rebuild lesson 9 and write the record of its run that the tests read.

    python tools/casestudy/record_results.py

Runs ``tools/build_notebook.py course/09_finetuning_case_study.md`` (rebuild and execute the
lesson, a minute or two on a laptop CPU) with ``CASESTUDY_WRITE_RECORD`` set, so that the
lesson's last cells write ``course/models/casestudy_record.json``: every screener's predictions
on the 100 test lines, the validation curves of every seed, the early-stopping epochs, the
forgetting losses and the generated-copy ratings. ``tests/test_casestudy_claims.py`` checks
every comparison the lesson makes against that record, without re-running six fine-tunes;
each later run of the lesson (nbval, a rebuild) checks that it still matches the record.

Run it after changing the data, the base model or the case study's code.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "course"))

from coursekit.casestudy.experiment import RECORD_ENV, RECORD_PATH  # noqa: E402


def main(argv=None):
    env = dict(os.environ, **{RECORD_ENV: "1"})
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_notebook.py"),
                           "course/09_finetuning_case_study.md"], cwd=ROOT, env=env, check=False)
    if done.returncode == 0:
        print(f"wrote {RECORD_PATH.relative_to(ROOT)}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
