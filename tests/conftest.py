"""Test-session setup shared by every test directory."""

import os

# Under pytest-xdist each worker process gets one BLAS/OpenMP thread: two workers with two
# threads each on a 2-core machine make small matrix products wait on each other (a 70 us
# GEMM was seen taking 29 ms). Set before NumPy or PyTorch start their thread pools.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # threadpoolctl comes with scikit-learn (the train extra)
        pass
    else:
        threadpool_limits(1)
