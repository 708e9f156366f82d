"""One pytest per rank: the ranks run the same tests in the same order, so collectives match.

A test that fails on one rank would leave the others waiting in its next collective, so a
failure aborts the whole job (``MPI.COMM_WORLD.Abort``) after printing the report: mpirun
then exits non-zero within seconds instead of hanging.
"""

import sys

import pytest

MPI = pytest.importorskip("mpi4py.MPI")


@pytest.fixture(scope="session")
def world():
    import chainrule.distributed as dist

    info = dist.init()
    if info.size < 2:
        pytest.fail("tests/distributed/mpi needs mpirun -n 2 or more")
    return info


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        rank = MPI.COMM_WORLD.Get_rank()
        sys.stderr.write(f"\n=== {item.nodeid} failed on rank {rank}; aborting all ranks ===\n"
                         f"{report.longreprtext}\n")
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(1)


def pytest_collectreport(report):
    if report.failed:  # e.g. an import error on one rank: the others would wait forever
        sys.stderr.write(f"\n=== collecting {report.nodeid} failed on rank "
                         f"{MPI.COMM_WORLD.Get_rank()}; aborting all ranks ===\n"
                         f"{report.longreprtext}\n")
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(1)


def pytest_sessionfinish(session, exitstatus):
    if exitstatus != 0:  # no test ran (5), an internal error...: end every rank with it
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(int(exitstatus))
