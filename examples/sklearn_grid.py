"""A digits grid search with chainrule's NNClassifier next to scikit-learn's MLPClassifier.

The same pipeline (StandardScaler, then a one-hidden-layer ReLU network trained by Adam
with minibatches), the same grid of hidden widths and learning rates, the same stratified
folds and the same number of epochs for both; reports each one's best parameters, best
mean cross-validated accuracy, held-out test accuracy and wall-clock time.

    python examples/sklearn_grid.py --epochs 50 --folds 5 --jobs 2
"""

from __future__ import annotations

import argparse
import time
import warnings

from chainrule._optional import require


def search(estimator, grid: dict, X, y, folds, jobs: int):
    """Fit a GridSearchCV of ``StandardScaler -> estimator``; returns (search, seconds)."""
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = Pipeline([("scale", StandardScaler()), ("net", estimator)])
    gs = GridSearchCV(pipe, {f"net__{k}": v for k, v in grid.items()}, cv=folds, n_jobs=jobs)
    start = time.perf_counter()
    with warnings.catch_warnings():  # MLPClassifier warns when max_iter ends training
        warnings.simplefilter("ignore")
        gs.fit(X, y)
    return gs, time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50, help="training epochs (default 50)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    parser.add_argument("--jobs", type=int, default=2, help="GridSearchCV n_jobs (default 2)")
    parser.add_argument("--batch-size", type=int, default=64, help="minibatch size")
    parser.add_argument("--hidden", type=int, nargs="+", default=[32, 128],
                        help="hidden widths to search (default 32 128)")
    parser.add_argument("--lr", type=float, nargs="+", default=[1e-3, 1e-2],
                        help="learning rates to search (default 0.001 0.01)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    require("sklearn", extra="sklearn", feature="examples/sklearn_grid.py")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold, train_test_split
    from sklearn.neural_network import MLPClassifier

    from chainrule.sklearn import NNClassifier

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=args.seed)
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    hidden = [(h,) for h in args.hidden]
    ours = NNClassifier(max_epochs=args.epochs, batch_size=args.batch_size,
                        random_state=args.seed)
    theirs = MLPClassifier(max_iter=args.epochs, batch_size=args.batch_size, solver="adam",
                           n_iter_no_change=args.epochs + 1, random_state=args.seed)
    results = {}
    for name, est, grid in [
        ("chainrule NNClassifier", ours, {"module__hidden": hidden, "optimizer__lr": args.lr}),
        ("sklearn MLPClassifier", theirs, {"hidden_layer_sizes": hidden,
                                           "learning_rate_init": args.lr}),
    ]:
        gs, seconds = search(est, grid, X_train, y_train, folds, args.jobs)
        best = {k.split("__", 1)[1]: v for k, v in gs.best_params_.items()}
        results[name] = {"best_params": best, "cv_accuracy": float(gs.best_score_),
                         "test_accuracy": float(gs.score(X_test, y_test)),
                         "seconds": seconds}
        print(f"{name:24s} best CV accuracy {gs.best_score_:.4f}  "
              f"test {results[name]['test_accuracy']:.4f}  {seconds:6.1f} s  {best}")
    return results


if __name__ == "__main__":
    main()
