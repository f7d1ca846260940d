"""`freesora` in a process whose wall clock is off, as on a machine whose clock is wrong:

    python skewed_clock.py SHIFT_S ARGS...     # SHIFT_S -90000: the clock is 25 hours behind

The shift is applied to the process's time source (`time.time`, `time.time_ns`) before the
pack is imported, as a wrong system clock would be; nothing of the pack is touched. The
monotonic clocks keep running true, as they do on such a machine.
"""

from __future__ import annotations

import runpy
import sys
import time


def main() -> None:
    shift_s = float(sys.argv[1])
    wall, wall_ns = time.time, time.time_ns
    time.time = lambda: wall() + shift_s
    time.time_ns = lambda: wall_ns() + int(shift_s * 1e9)
    sys.argv = ["freesora", *sys.argv[2:]]
    runpy.run_module("freesora.cli", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
