"""tests/distributed/mpi/ runs only under mpirun, one pytest per rank (see .ci/run):

    mpirun -n 2 python -m pytest -q -p no:cacheprovider tests/distributed/mpi/

The default (single-process) run leaves it out; tests/distributed/test_mpirun.py starts a
short mpirun of its own.
"""

from chainrule.distributed import launched

collect_ignore = [] if launched() else ["mpi"]
