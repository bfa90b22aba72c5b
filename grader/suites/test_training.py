"""Lesson 6 — the moons data (data.py) and training (train.py).

The worker runs the student's data.py/train.py on the REFERENCE engine, nn, losses and optim
(lesson isolation); one integration check trains with the student's whole stack. The grader
makes its own moons here, on the trusted side: the worker gets training and validation points
with labels, and evaluation points WITHOUT labels; it returns scores, and accuracy is computed
here. Sizes and epochs were chosen from measurements (see the constants below) so that a
correct submission trains in about a second per run.
"""
import math
from collections import Counter

import pytest

from grader.suites.checks import (CheckFailed, as_float, as_floats, as_int, as_list, as_record,
                                  assert_all_close, assert_close, check, fmt)

pytestmark = pytest.mark.lesson("training")

# The training run that must reach ACCURACY on held-back points. Measured with the reference
# over 60 random data sets, model seeds and batch orders: min accuracy 0.875, median 0.975,
# 0.65-1.1 s CPU per run. A model that learns nothing scores about 0.5 and a linear one about
# 0.87, so this check shows that training works; the full-batch checks below pin the details.
RUN = {"n_train": 80, "n_val": 20, "n_eval": 200, "noise": 0.1, "nouts": [8, 8, 1],
       "optimizer": {"kind": "Adam", "lr": 0.05}, "epochs": 20, "batch_size": 8}
ACCURACY = 0.85
TRAIN_TIMEOUT = 60  # seconds per training request (capped by the lesson's time budget)
# benchmark_optimizers under the seed project's protocol (same split, seed, architecture, lr;
# only the optimizer changes): Momentum and Adam end with a lower training loss than SGD. With
# lr 0.05 (the default) or 0.02 SGD still wins on some seeds and batch orders (measured); at
# lr 0.005 with small batches Momentum and Adam won all of 100 runs (50 random data sets and
# model seeds x 2 batch orders); the margin was above 13 % in all but 2, the smallest 4 %, both
# when SGD's start happened to be good. ~0.44 s CPU per call.
BENCHMARK = {"n": 60, "noise": 0.1, "lr": 0.005, "epochs": 5, "batch_size": 4}
BENCHMARK_RUNS = 2  # two data sets and seeds, losses summed: one lucky SGD start cannot decide


def short(xs):
    return "[" + ", ".join(f"{x:.4g}" for x in xs) + "]"


def distinct_points(rng, n):
    """n points that are easy to tell apart, with random ±1 labels."""
    X = [[i + round(rng.uniform(0.01, 0.99), 6), round(rng.uniform(-5, 5), 6)] for i in range(n)]
    return X, [rng.choice([-1, 1]) for _ in range(n)]


def as_points(xs, n, what):
    """A list of n points [x1, x2] (validated), as tuples."""
    return [tuple(as_floats(p, 2, f"{what}[{i}]")) for i, p in enumerate(as_list(xs, n, what))]


def as_labels(ys, n, what):
    labels = [as_int(v, f"{what}[{i}]") for i, v in enumerate(as_list(ys, n, what))]
    check(all(v in (-1, 1) for v in labels), f"{what}: labels must be -1 or +1")
    return labels


# --- make_moons ---------------------------------------------------------------------------------

def linspace(n):
    return [math.pi * i / (n - 1) for i in range(n)] if n > 1 else [0.0]


def moons(student, n, noise, seed):
    reply = as_record(student.call("training.make_moons", n_samples=n, noise=noise, seed=seed),
                      ("X", "y", "containers"), "make_moons")
    call = f"make_moons(n_samples={n}, noise={noise:g}, seed={seed})"
    X = as_points(reply["X"], n, f"{call}: X")
    y = as_labels(reply["y"], n, f"{call}: y")
    return X, y, reply["containers"], call


@pytest.mark.points(1)
def test_make_moons_types_and_labels(student, rng):
    """make_moons: X is a list of [x1, x2] lists, y a list of ±1 ints, n // 2 outer points"""
    for n in (rng.randrange(20, 60, 2), rng.randrange(21, 61, 2)):
        X, y, containers, call = moons(student, n, 0.1, rng.randrange(1000))
        check(containers == {"X": "list", "points": ["list"], "y": "list"},
              f"{call}: X must be a list of [x1, x2] lists and y a list")
        counts = Counter(y)
        check(counts[-1] == n // 2 and counts[1] == n - n // 2,
              f"{call}: expected {n // 2} points labelled -1 and {n - n // 2} labelled +1, "
              f"got {counts[-1]} and {counts[1]}")


@pytest.mark.points(1)
def test_make_moons_geometry(student, rng):
    """make_moons: with noise=0 the points lie on the two arcs, evenly spaced"""
    for n in (rng.randrange(20, 60, 2), rng.randrange(21, 61, 2)):
        X, y, _, call = moons(student, n, 0.0, rng.randrange(1000))
        n_outer = n // 2
        arcs = {-1: ("outer moon (cos t, sin t)",
                     [(math.cos(t), math.sin(t)) for t in linspace(n_outer)]),
                1: ("inner moon (1 - cos t, 0.5 - sin t)",
                    [(1 - math.cos(t), 0.5 - math.sin(t)) for t in linspace(n - n_outer)])}
        for label, (arc, expected) in arcs.items():
            got = sorted(p for p, lab in zip(X, y) if lab == label)
            check(len(got) == len(expected),
                  f"{call}: expected {len(expected)} points labelled {label:+d}, got {len(got)}")
            for p, q in zip(got, sorted(expected)):
                if not all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(p, q)):
                    raise CheckFailed(
                        f"{call}: the points labelled {label:+d} should be the {arc} with t evenly "
                        f"spaced over [0, pi]; expected a point at ({fmt(q[0])}, {fmt(q[1])}), "
                        f"found ({fmt(p[0])}, {fmt(p[1])}) instead")


def noise_statistics(X, y):
    """Each moon is a half circle of radius 1 (centres (0, 0) and (1, 0.5)), so with Gaussian
    noise of standard deviation s on each coordinate, the mean squared distance to the centre is
    1 + 2s² and each coordinate's mean stays that of the noiseless arc, whatever the order of
    the points. Returns (estimate of s², [(moon, axis, mean offset, points)])."""
    squares, offsets = 0.0, []
    for label, (cx, cy), sign in ((-1, (0.0, 0.0), 1), (1, (1.0, 0.5), -1)):
        points = [p for p, lab in zip(X, y) if lab == label]
        ts = linspace(len(points))
        squares += sum((a - cx) ** 2 + (b - cy) ** 2 for a, b in points)
        arc_x = sum(cx + sign * math.cos(t) for t in ts)
        arc_y = sum(cy + sign * math.sin(t) for t in ts)
        offsets.append((label, "x1", (sum(a for a, _ in points) - arc_x) / len(points), len(points)))
        offsets.append((label, "x2", (sum(b for _, b in points) - arc_y) / len(points), len(points)))
    return (squares - len(X)) / (2 * len(X)), offsets


NOISE_POINTS = 6000
Z_MAX = 5.5  # standard errors; a correct make_moons fails with probability ~1e-7 per statistic


@pytest.mark.points(1)
def test_make_moons_noise(student, rng):
    """make_moons: Gaussian noise with standard deviation `noise` on each coordinate"""
    noise = rng.choice([0.5, 0.7])
    X, y, _, call = moons(student, NOISE_POINTS, noise, rng.randrange(1000))
    variance, offsets = noise_statistics(X, y)
    # The estimate's standard error: s·sqrt(1 + s²)/sqrt(n) (measured over 300 seeds: z sd 1.00).
    error = noise * math.sqrt(1 + noise**2) / math.sqrt(len(X))
    check(abs(variance - noise**2) <= Z_MAX * error,
          f"{call}: the noise's variance per coordinate should be noise² = {noise**2:g}; "
          f"measured {variance:.4g} from the points' distances to the arcs' centres")
    for label, axis, offset, count in offsets:
        check(abs(offset) <= Z_MAX * noise / math.sqrt(count),
              f"{call}: the noise should average 0, but the {axis} coordinates of the points "
              f"labelled {label:+d} are off by {offset:.4g} on average")


@pytest.mark.points(0.5)
def test_make_moons_seed(student, rng):
    """make_moons: the same seed gives the same data, another seed other data"""
    n, seed = rng.randrange(20, 60), rng.randrange(1000)
    first, again, other = (moons(student, n, 0.1, s)[:2] for s in (seed, seed, seed + 1))
    call = f"make_moons(n_samples={n}, noise=0.1, seed={seed})"
    check(first == again, f"{call} called twice should return the same data")
    check(first != other, f"make_moons with seed={seed} and seed={seed + 1} should differ")


# --- train_val_split and batches -----------------------------------------------------------------

def split_cases(rng):
    """(n, val_fraction) pairs whose n·val_fraction is never near x.5 (rounding is then clear),
    one with a fractional part above 0.6 (round, not floor) and one exact."""
    cases = [(50, 0.2)]
    while len(cases) < 3:
        n, fraction = rng.randint(20, 60), rng.choice([0.15, 0.2, 0.25, 0.3, 0.35])
        part = n * fraction % 1
        if (len(cases) == 1 and part > 0.6) or (len(cases) == 2 and 0.1 < part < 0.4):
            cases.append((n, fraction))
    return cases


@pytest.mark.points(1.25)
def test_train_val_split(student, rng):
    """train_val_split: round(n·val_fraction) validation points, the rest for training"""
    for n, fraction in split_cases(rng):
        X, y = distinct_points(rng, n)
        seed = rng.randrange(1000)
        call = f"train_val_split(X, y, val_fraction={fraction:g}, seed={seed}) with {n} points"
        reply = as_record(student.call("training.split", X=X, y=y, val_fraction=fraction, seed=seed),
                          ("X_train", "y_train", "X_val", "y_val"), "train_val_split")
        n_val = round(n * fraction)
        X_val = as_points(reply["X_val"], None, f"{call}: X_val")
        check(len(X_val) == n_val, f"{call}: expected {n_val} validation points, got {len(X_val)}")
        y_val = as_labels(reply["y_val"], n_val, f"{call}: y_val")
        X_train = as_points(reply["X_train"], n - n_val, f"{call}: X_train")
        y_train = as_labels(reply["y_train"], n - n_val, f"{call}: y_train")
        original = Counter(zip(map(tuple, X), y))
        check(Counter(zip(X_train + X_val, y_train + y_val)) == original,
              f"{call}: training and validation points (with their labels) together must be "
              f"exactly the original points, each once")


@pytest.mark.points(1.25)
def test_batches(student, rng):
    """batches: batch sizes, a last smaller batch, every point once, order kept without shuffle"""
    for shuffle, exact in ((False, False), (True, False), (False, True)):
        size = rng.randint(3, 8)
        n = size * rng.randint(3, 6) + (0 if exact else rng.randint(1, size - 1))
        X, y = distinct_points(rng, n)
        seed = rng.randrange(1000)
        call = f"batches(X, y, batch_size={size}, shuffle={shuffle}, seed={seed}) with {n} points"
        reply = as_list(as_record(student.call("training.batches", X=X, y=y, batch_size=size,
                                               shuffle=shuffle, seed=seed), ("batches",), "batches")
                        ["batches"], None, f"{call}: the batches")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
        got, got_sizes = [], []
        for i, batch in enumerate(reply):
            pair = as_list(batch, 2, f"{call}: batch {i} should be a pair (X_batch, y_batch) and")
            points = as_points(pair[0], None, f"{call}: X_batch of batch {i}")
            labels = as_labels(pair[1], len(points), f"{call}: y_batch of batch {i}")
            got_sizes.append(len(points))
            got += zip(points, labels)
        check(got_sizes == sizes, f"{call}: expected batch sizes {sizes}, got {got_sizes}")
        expected = list(zip(map(tuple, X), y))
        if shuffle:
            check(Counter(got) == Counter(expected),
                  f"{call}: the batches must hold every point (with its label) exactly once")
        else:
            check(got == expected, f"{call}: without shuffling, the batches must keep the points "
                                   f"(and their labels) in their original order")


# --- accuracy -------------------------------------------------------------------------------------

@pytest.mark.points(1)
def test_accuracy(student, rng):
    """accuracy: the fraction of points whose predicted class (score > 0 -> +1) is their label"""
    for _ in range(2):
        n = rng.randint(10, 30)
        X, y = distinct_points(rng, n)
        scores = [rng.choice([-1, 1]) * rng.uniform(0.05, 2) for _ in range(n)]
        # A score of exactly 0 predicts -1: more such points labelled -1 than +1, so that
        # predicting +1 for them changes the fraction.
        scores[:3], y[:3] = [0.0, 0.0, 0.0], [-1, -1, 1]
        expected = sum((1 if s > 0 else -1) == label for s, label in zip(scores, y)) / n
        got = student.call("training.accuracy", X=X, y=y, scores=scores)
        assert_close(as_record(got, ("accuracy",), "accuracy")["accuracy"], expected,
                     f"accuracy(model, X, y) for a model with scores {short(scores[:4])}... "
                     f"on {n} points")


# --- training ------------------------------------------------------------------------------------

def shuffled_moons(reference, rng, n, noise):
    """Moons made here (trusted side), in random order so no position gives a label away."""
    X, y = reference.data.make_moons(n_samples=n, noise=noise, seed=rng.randrange(10**6))
    pairs = list(zip(X, y))
    rng.shuffle(pairs)
    return [list(p) for p, _ in pairs], [label for _, label in pairs]


HISTORY = ("train_loss", "val_loss", "val_accuracy", "best_val_loss", "best_epoch")


def as_history(reply, epochs, what):
    history = as_record(reply, HISTORY, f"{what}: the History")
    out = {key: as_floats(history[key], epochs, f"{what}: History.{key}") for key in HISTORY[:3]}
    out["best_val_loss"] = as_float(history["best_val_loss"], f"{what}: History.best_val_loss")
    out["best_epoch"] = as_int(history["best_epoch"], f"{what}: History.best_epoch")
    return out


def train_reply(worker, what, epochs, n_val, n_eval, **request):
    reply = as_record(worker.call("training.train", timeout=TRAIN_TIMEOUT, epochs=epochs, **request),
                      ("history", "val_scores", "eval_scores", "weights"), what)
    return {"history": as_history(reply["history"], epochs, what),
            "val_scores": as_floats(reply["val_scores"], n_val, f"{what}: the validation scores"),
            "eval_scores": as_floats(reply["eval_scores"], n_eval, f"{what}: the evaluation scores"),
            "weights": reply["weights"]}


def heldout_accuracy(worker, reference, rng, what):
    """Train RUN on fresh moons; the evaluation labels never leave this process."""
    n = RUN["n_train"] + RUN["n_val"] + RUN["n_eval"]
    X, y = shuffled_moons(reference, rng, n, RUN["noise"])
    a, b = RUN["n_train"], RUN["n_train"] + RUN["n_val"]
    reply = train_reply(worker, what, RUN["epochs"], RUN["n_val"], RUN["n_eval"],
                        X_train=X[:a], y_train=y[:a], X_val=X[a:b], y_val=y[a:b], X_eval=X[b:],
                        model={"nouts": RUN["nouts"], "seed": rng.randrange(1000)},
                        optimizer=RUN["optimizer"], batch_size=RUN["batch_size"])
    scores = reply["eval_scores"]
    return sum((1 if s > 0 else -1) == label for s, label in zip(scores, y[b:])) / len(scores)


RUN_TEXT = (f"train() on {RUN['n_train']} noisy moons ({RUN['epochs']} epochs, batch_size "
            f"{RUN['batch_size']}, MLP(2, {RUN['nouts']}), Adam(lr={RUN['optimizer']['lr']}))")


@pytest.mark.points(2)
def test_train_learns_the_moons(student, reference, rng):
    """train: the trained model classifies held-back moons"""
    acc = heldout_accuracy(student, reference, rng, RUN_TEXT)
    check(acc >= ACCURACY, f"{RUN_TEXT}: accuracy on {RUN['n_eval']} held-back points should be at "
                           f"least {ACCURACY:g}, got {acc:.3f}")


@pytest.mark.points(1)
def test_whole_stack_learns_the_moons(student_full, reference, rng):
    """Integration: your whole micrograd (engine, nn, losses, optim, data, train) learns the moons"""
    what = RUN_TEXT + " with your own engine, nn, losses and optim"
    acc = heldout_accuracy(student_full, reference, rng, what)
    check(acc >= ACCURACY, f"{what}: accuracy on {RUN['n_eval']} held-back points should be at "
                           f"least {ACCURACY:g}, got {acc:.3f}")


@pytest.mark.points(1)
def test_history_fields(student, reference, rng):
    """train: History has one entry per epoch; best_epoch is the first epoch of least val_loss"""
    X, y = shuffled_moons(reference, rng, 50, 0.2)
    epochs = 6
    what = f"train() for {epochs} epochs with batch_size 8 and Momentum(lr=0.3)"
    reply = train_reply(student, what, epochs, 10, 0, X_train=X[:40], y_train=y[:40], X_val=X[40:],
                        y_val=y[40:], X_eval=[], model={"nouts": [4, 4, 1], "seed": rng.randrange(1000)},
                        optimizer={"kind": "Momentum", "lr": 0.3}, batch_size=8)
    history = reply["history"]
    best = min(range(epochs), key=lambda e: (history["val_loss"][e], e))
    check(history["best_epoch"] == best,
          f"{what}: History.best_epoch should be {best} (the first epoch with the least val_loss, "
          f"counting from 0), got {history['best_epoch']}")
    assert_close(history["best_val_loss"], history["val_loss"][best],
                 f"{what}: History.best_val_loss should be val_loss[best_epoch]")
    final = sum((1 if s > 0 else -1) == label for s, label in zip(reply["val_scores"], y[40:])) / 10
    assert_close(history["val_accuracy"][-1], final,
                 f"{what}: History.val_accuracy of the last epoch (the validation accuracy of the "
                 f"trained model)")


# Full-batch runs compared epoch by epoch with the reference (batch order is free, so only a
# single batch per epoch gives the same updates): one per loss, with schedulers and clipping.
FULL_BATCH = {  # name: (points, configuration)
    "hinge+SGD": (0.5, {"loss": "hinge", "alpha": 1e-3, "optimizer": {"kind": "SGD", "lr": 0.2}}),
    # clip_norm 0.1 clips at every step here (it moved train_loss by >= 0.035 on 30 of 30 seeds).
    "mse+Momentum+StepLR+clip": (0.75, {
        "loss": "mse", "alpha": 1e-4, "optimizer": {"kind": "Momentum", "lr": 0.05},
        "scheduler": {"kind": "StepLR", "step_size": 2, "gamma": 0.5}, "clip_norm": 0.1}),
    "bce+Adam+cosine": (0.75, {
        "loss": "bce", "alpha": 1e-4, "optimizer": {"kind": "Adam", "lr": 0.05},
        "scheduler": {"kind": "CosineAnnealingLR", "T_max": 5}}),
}


def reference_train(reference, weights, nouts, X_train, y_train, X_val, y_val, epochs, batch_size,
                    optimizer, loss, alpha, scheduler=None, clip_norm=None):
    """The same run with the reference package, in this process."""
    def build(spec, *args):
        return getattr(reference.optim, spec["kind"])(*args, **{k: v for k, v in spec.items()
                                                                if k != "kind"})
    net = reference.nn.MLP(2, nouts)
    for p, w in zip(net.parameters(), weights):
        p.data = w
    opt = build(optimizer, net.parameters())
    history = reference.train.train(net, opt, X_train, y_train, X_val, y_val, epochs, batch_size,
                                    loss=loss, alpha=alpha, clip_norm=clip_norm,
                                    scheduler=build(scheduler, opt) if scheduler else None)
    return history, [p.data for p in net.parameters()]


@pytest.mark.parametrize("name", [pytest.param(k, id=k, marks=pytest.mark.points(points))
                                  for k, (points, _) in FULL_BATCH.items()])
def test_full_batch_training_matches_reference(student, reference, rng, name):
    """train ({param}): full-batch training matches the reference epoch by epoch"""
    config = FULL_BATCH[name][1]
    X, y = shuffled_moons(reference, rng, 32, 0.15)
    nouts, epochs = [4, 4, 1], 5
    n_params = len(reference.nn.MLP(2, nouts).parameters())
    weights = [rng.uniform(-1, 1) for _ in range(n_params)]
    data = {"X_train": X[:24], "y_train": y[:24], "X_val": X[24:], "y_val": y[24:]}
    expected, final = reference_train(reference, weights, nouts, epochs=epochs, batch_size=24,
                                      **data, **config)
    what = f"train() with one batch per epoch ({name})"
    reply = train_reply(student, what, epochs, 8, 0, X_eval=[],
                        model={"nouts": nouts, "weights": weights},
                        batch_size=24, **data, **config)
    history = reply["history"]
    epoch_labels = [f"epoch {e}" for e in range(epochs)]
    for key in ("train_loss", "val_loss", "val_accuracy"):
        assert_all_close(history[key], getattr(expected, key), f"{what}: History.{key}",
                         labels=epoch_labels, rel=1e-6)
    assert_all_close(reply["weights"], final, f"{what}: the weights after training",
                     labels=[f"parameters()[{i}]" for i in range(n_params)], rel=1e-6)


# --- benchmark_optimizers --------------------------------------------------------------------------

ROW_KEYS = ("optimizer", "final_train_loss", "final_val_loss", "best_val_loss", "best_epoch")


def benchmark(student, reference, rng, n, noise, options):
    X, y = shuffled_moons(reference, rng, n, noise)
    a = round(n * 0.8)
    call = f"benchmark_optimizers({', '.join(f'{k}={v!r}' for k, v in options.items())})"
    reply = as_record(student.call("training.benchmark", timeout=TRAIN_TIMEOUT, X_train=X[:a],
                                   y_train=y[:a], X_val=X[a:], y_val=y[a:], options=options),
                      ("rows",), call)
    rows = as_list(reply["rows"], len(options["optimizers"]), f"{call}: the rows")
    out = []
    for i, (row, name) in enumerate(zip(rows, options["optimizers"])):
        keys = ", ".join(ROW_KEYS)
        row = as_record(row, ROW_KEYS, f"{call}: row {i} should be a dict with keys {keys}; it")
        check(type(row["optimizer"]) is str and row["optimizer"].lower() == name.lower(),
              f"{call}: row {i} should be for optimizer {name!r}")
        values = {k: as_float(row[k], f"{call}: row {i} ({name}), {k}") for k in ROW_KEYS[1:4]}
        values["best_epoch"] = as_int(row["best_epoch"], f"{call}: row {i} ({name}), best_epoch")
        out.append(values)
    return out, call


@pytest.mark.points(1)
def test_benchmark_rows(student, reference, rng):
    """benchmark_optimizers: one row per optimizer, every optimizer from the same starting weights"""
    options = {"optimizers": ["SGD", "Momentum", "SGD"], "hidden": [4, 4], "lr": 0.1, "epochs": 3,
               "batch_size": 64, "seed": rng.randrange(1000)}
    rows, call = benchmark(student, reference, rng, 30, 0.1, options)
    for i, row in enumerate(rows):
        check(0 <= row["best_epoch"] < options["epochs"],
              f"{call}: row {i}, best_epoch should be an epoch number (0 to {options['epochs'] - 1})")
    # Same seed, same starting weights, one batch per epoch: both SGD rows are the same run.
    for key in ROW_KEYS[1:]:
        check(math.isclose(rows[0][key], rows[2][key], rel_tol=1e-6, abs_tol=1e-9),
              f"{call}: both SGD rows should be equal (every optimizer starts from the same "
              f"weights: random.seed(seed) before each model), but {key} differs")


@pytest.mark.points(1)
def test_benchmark_momentum_and_adam_ahead_of_sgd(student, reference, rng):
    """benchmark_optimizers: Momentum and Adam end ahead of SGD (same data, seed, model, lr)"""
    totals, calls = Counter(), []
    for _ in range(BENCHMARK_RUNS):
        options = {"optimizers": ["SGD", "Momentum", "Adam"], "lr": BENCHMARK["lr"],
                   "epochs": BENCHMARK["epochs"], "batch_size": BENCHMARK["batch_size"],
                   "seed": rng.randrange(1000)}
        rows, call = benchmark(student, reference, rng, BENCHMARK["n"], BENCHMARK["noise"], options)
        for name, row in zip(options["optimizers"], rows):
            totals[name] += row["final_train_loss"]
        calls.append(call)
    what = f"{' and '.join(calls)}, each on {BENCHMARK['n']} noisy moons"
    for name in ("Momentum", "Adam"):
        check(totals[name] < totals["SGD"],
              f"{what}: {name} should end with a lower training loss than SGD (sum of "
              f"final_train_loss over the runs: {totals[name]:.4g} vs {totals['SGD']:.4g})")
