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



# In CI (CI=true) every optional package the tests need is installed, so a test that would
# skip because an import failed is a failure there: a missing extra must not turn green.
# Only GPU tests (CuPy, a CUDA device) may skip in CI.
import pytest  # noqa: E402

_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_GPU_WORDS = ("cupy", "cuda", "gpu")
# What CI installs (pyproject's `all` extra and the PyTorch oracle); checked once up front.
CI_PACKAGES = (
    "torch", "sklearn", "matplotlib", "tqdm", "mnist1d", "safetensors", "hypothesis",
    "gymnasium", "cma", "mpi4py", "onnx", "onnxruntime", "tensorboard", "selenium", "pandas",
    "threadpoolctl",
)


def _missing_package_skip(excinfo) -> bool:
    if excinfo is None or not excinfo.errisinstance(pytest.skip.Exception):
        return False
    reason = str(excinfo.value).lower()
    return reason.startswith("could not import") and not any(w in reason for w in _GPU_WORDS)


def pytest_sessionstart(session):
    if not _CI:
        return
    import importlib

    missing = []
    for name in CI_PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise pytest.UsageError(f"CI=true but optional packages are missing: {missing}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if _CI and _missing_package_skip(call.excinfo):
        report = outcome.get_result()
        report.outcome = "failed"
        report.longrepr = f"CI=true and an optional package is missing: {call.excinfo.value}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if _CI and report.outcome == "skipped":
        reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else "").lower()
        if "could not import" in reason and not any(w in reason for w in _GPU_WORDS):
            report.outcome = "failed"


# The default generator starts from a fresh seed in every process (as PyTorch's does); each
# test starts from seed 0 instead, so that tests which draw without a generator repeat.
@pytest.fixture(autouse=True)
def _seed_default_generator():
    import chainrule

    chainrule.manual_seed(0)
