"""Engine benchmark: the reference engine against karpathy/micrograd on the seed project's demo.

Ten training steps of the demo (100 moons, MLP(2, [16, 16, 1]) with ReLU, hinge loss + L2,
full batch, SGD) with each engine, garbage collector on as in a normal run. The engines take
turns, --repeats times each; the ratio is of the best runs (as timeit does: on a shared machine
the best run is the one least disturbed), the medians are printed too.
Both packages are called `micrograd`, so each run is a child process of its own;
karpathy/micrograd (PyPI micrograd==0.1.0) is installed on first use into benchmarks/.cache/.

    python benchmarks/engine.py [--steps 10] [--repeats 3]
"""

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOLUTIONS = HERE.parent / "solutions"
KARPATHY = HERE / ".cache" / "micrograd-0.1.0"


def load_moons():
    """make_moons from the reference data module (stdlib only), loaded by path so that it does
    not claim the name `micrograd` in this process."""
    spec = importlib.util.spec_from_file_location(
        "reference_data", SOLUTIONS / "micrograd" / "data.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_moons(100, noise=0.1, seed=0)


def demo_steps(steps):
    """Run the demo's training loop with whichever `micrograd` is first on sys.path; seconds."""
    import random

    from micrograd.nn import MLP

    X, y = load_moons()
    random.seed(1337)
    try:
        model = MLP(2, [16, 16, 1], activation="relu")  # the reference: hidden ReLU, linear output
    except TypeError:
        model = MLP(2, [16, 16, 1])  # karpathy/micrograd: ReLU hidden layers, linear output
    start = time.perf_counter()
    for k in range(steps):
        scores = [model(x) for x in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= lr * p.grad
    return time.perf_counter() - start


def ensure_karpathy():
    if not (KARPATHY / "micrograd" / "engine.py").exists():
        print("installing micrograd==0.1.0 into", KARPATHY, file=sys.stderr)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--target",
                str(KARPATHY),
                "micrograd==0.1.0",
            ],
            check=True,
        )


def run_child(package_parent, steps):
    code = (
        f"import sys; sys.path.insert(0, {str(package_parent)!r}); "
        f"sys.path.insert(0, {str(HERE)!r});"
        f"import engine; print(engine.demo_steps({steps}))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ensure_karpathy()
    runs = {"reference engine": [], "karpathy/micrograd": []}
    for _ in range(args.repeats):
        runs["reference engine"].append(run_child(SOLUTIONS, args.steps))
        runs["karpathy/micrograd"].append(run_child(KARPATHY, args.steps))
    print(
        f"demo training, {args.steps} steps (100 moons, MLP(2,[16,16,1]), hinge + L2, "
        "full batch, SGD),"
        f" best and median of {args.repeats} runs"
    )
    for name, seconds in runs.items():
        best = min(seconds)
        print(
            f"  {name:20s} {best:7.2f} s  ({best / args.steps:.3f} s/step)  "
            f"median {statistics.median(seconds):.2f} s"
        )
    reference, karpathy = (min(seconds) for seconds in runs.values())
    medians = [statistics.median(seconds) for seconds in runs.values()]
    print(
        f"  speed-up             {karpathy / reference:7.1f}x  "
        f"(medians: {medians[1] / medians[0]:.1f}x)"
    )


if __name__ == "__main__":
    main()
