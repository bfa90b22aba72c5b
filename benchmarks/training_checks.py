"""The figures behind the training lesson's learning checks (grader/suites/test_training.py):
how the reference does on RUN with randomly placed moons, and how weights trained in advance do.

1. The reference trains RUN (in this process) on --runs random placements, data sets, starting
   weights and batch orders: held-back accuracy (vs ACCURACY) and the correlation of the
   trained parameters with the starting ones (vs IMPRINT), plus CPU seconds per run.
2. Weights trained in advance on the centred moons (the forgery the placements defeat): on
   --placements random placements, how often they reach ACCURACY; over --starts starting
   weights, how often their correlation with them reaches IMPRINT.

    python benchmarks/training_checks.py [--runs 100] [--placements 2000] [--starts 20000]
"""

import argparse
import random
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quantiles(xs):
    xs = sorted(xs)
    return (
        f"min {xs[0]:.3f}, 5 % {xs[len(xs) // 20]:.3f}, median {xs[len(xs) // 2]:.3f}, "
        f"max {xs[-1]:.3f}"
    )


def reference_runs(T, floatnet, reference, runs):
    run, accuracies, imprints = T.RUN, [], []
    n = run["n_train"] + run["n_val"] + run["n_eval"]
    a, b = run["n_train"], run["n_train"] + run["n_val"]
    started = time.process_time()
    for i in range(runs):
        rng = random.Random(f"reference run {i}")
        X, y = T.placed_moons(reference, rng, n, run["noise"])
        start = T.initial_weights(rng, run["nouts"])
        _, final = T.reference_train(
            reference,
            start,
            run["nouts"],
            X[:a],
            y[:a],
            X[a:b],
            y[a:b],
            run["epochs"],
            run["batch_size"],
            run["optimizer"],
            "hinge",
            1e-4,
        )
        accuracies.append(floatnet.accuracy(floatnet.scores(final, run["nouts"], X[b:]), y[b:]))
        imprints.append(T.correlation(start, final))
    seconds = (time.process_time() - started) / runs
    print(f"reference, {runs} runs of RUN on placed moons ({seconds:.2f} s CPU per run):")
    print(
        f"  held-back accuracy: {quantiles(accuracies)}; below ACCURACY {T.ACCURACY:g}: "
        f"{sum(x < T.ACCURACY for x in accuracies)}"
    )
    print(
        f"  correlation with the start: {quantiles(imprints)}; below IMPRINT {T.IMPRINT:g}: "
        f"{sum(x < T.IMPRINT for x in imprints)}"
    )


def pretrained(reference, nouts):
    """An MLP trained on the centred moons: the best weights a forger can hard-code."""
    X, y = reference.data.make_moons(300, noise=0.1, seed=1)
    pairs = [([a - 0.5, b - 0.25], label) for (a, b), label in zip(X, y)]
    random.Random(1).shuffle(pairs)
    X, y = [p for p, _ in pairs], [label for _, label in pairs]
    random.seed(0)
    net = reference.nn.MLP(2, nouts)
    optimizer = reference.optim.Adam(net.parameters(), lr=0.05)
    reference.train.train(net, optimizer, X[:240], y[:240], X[240:], y[240:], 40, 16)
    return [p.data for p in net.parameters()], reference.train.accuracy(net, X, y)


def forgery(T, floatnet, reference, placements, starts):
    nouts = T.RUN["nouts"]
    weights, own = pretrained(reference, nouts)
    passed = 0
    for i in range(placements):
        X, y = T.placed_moons(
            reference, random.Random(f"placement {i}"), T.RUN["n_eval"], T.RUN["noise"]
        )
        passed += floatnet.accuracy(floatnet.scores(weights, nouts, X), y) >= T.ACCURACY
    imprints = [
        T.correlation(T.initial_weights(random.Random(f"start {i}"), nouts), weights)
        for i in range(starts)
    ]
    print(f"weights trained in advance on the centred moons ({own:.3f} accurate there):")
    print(f"  reach ACCURACY on {passed} of {placements} placements")
    print(
        f"  correlation with {starts} starts: {quantiles(imprints)}; at least IMPRINT: "
        f"{sum(x >= T.IMPRINT for x in imprints)}"
    )


def main():
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--placements", type=int, default=2000)
    parser.add_argument("--starts", type=int, default=20000)
    args = parser.parse_args()
    import pytest

    from grader.reference import load_reference
    from grader.suites import floatnet

    with warnings.catch_warnings():  # the suite's markers are registered by the runner's ini
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        from grader.suites import test_training as T
    reference = load_reference()
    forgery(T, floatnet, reference, args.placements, args.starts)
    if args.runs:
        reference_runs(T, floatnet, reference, args.runs)


if __name__ == "__main__":
    main()
