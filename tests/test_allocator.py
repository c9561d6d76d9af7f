"""coursekit.allocator: a training step's freed arrays serve the next step, instead of fresh pages.

The allocation pattern of one stacked training step (a few arrays of some megabytes, all freed
when the step ends) runs in a fresh process with and without ``keep_freed_memory``, and the
minor page faults are counted (each is a page the kernel had to hand over and zero). Counts,
not times: they do not depend on how busy the machine is.
"""
from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from coursekit.allocator import keep_freed_memory

STEP = """
import resource, sys
import numpy as np
from coursekit.allocator import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
def step():  # five 3 MB arrays alive at once, as activations and gradients are, then all freed
    arrays = [np.ones(3 * 2**20 // 8) for _ in range(5)]
    return sum(float(a[0]) for a in arrays)
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(40):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

glibc_only = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="the thresholds are glibc's")


def faults(mode):
    done = subprocess.run([sys.executable, "-c", STEP, mode], capture_output=True, text=True, timeout=120, check=True)
    return int(done.stdout.split()[-1])


@glibc_only
def test_kept_memory_spares_the_page_faults_of_every_step():
    default, kept = faults("default"), faults("keep")
    # 40 steps x 15 MB is about 150,000 pages when each step's memory goes back to the system;
    # kept, the steps after the first reuse the same pages (a few hundred faults at most).
    assert default > 50_000, f"the default allocator no longer hands each step's memory back ({default} faults)"
    assert kept < default / 20, f"{kept} page faults with the memory kept against {default} without"


@glibc_only
def test_it_says_it_did_once_per_process():
    assert keep_freed_memory() is True and keep_freed_memory() is True
