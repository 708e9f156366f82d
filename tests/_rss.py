"""Peak memory of a subprocess, for the tests that bound it.

``ru_maxrss`` is inherited across fork and exec on Linux (a child of a large pytest
process starts with the parent's peak), so the children read ``VmHWM``, which starts
afresh at exec. Paste ``HWM`` at the top of a ``python -c`` program and call ``hwm()``.
"""

HWM = (
    "def hwm():  # peak RSS of this process in KiB\n"
    "    with open('/proc/self/status') as f:\n"
    "        return int(next(ln for ln in f if ln.startswith('VmHWM')).split()[1])\n"
)
