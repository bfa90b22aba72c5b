"""Lesson 6 — the moons data (data.py) and training (train.py).

The worker runs the student's data.py/train.py on the REFERENCE engine, nn, losses and optim
(lesson isolation); one integration check trains with the student's whole stack. The grader
makes its own moons here, on the trusted side: the worker gets training and validation points;
held-back evaluation points never leave this process. A trained model comes back as its
parameters, and accuracy and losses are computed here from them (floatnet.py); History and
benchmark figures count only where they agree with that recomputation or with a run of the
reference here. Sizes and epochs were chosen from measurements (see the constants below) so that
a correct submission trains in about a second per run.
"""

import math
from collections import Counter

import pytest

from grader.suites import floatnet
from grader.suites.checks import (
    CheckFailed,
    as_float,
    as_floats,
    as_int,
    as_list,
    as_record,
    assert_all_close,
    assert_close,
    check,
    fmt,
)

pytestmark = pytest.mark.lesson("training")

# `uses` of every check that runs train(): the course's train() also needs History, accuracy
# (for val_accuracy) and batches; benchmark_optimizers runs train().
TRAINS = ("train.train", "train.History", "train.accuracy", "data.batches")
uses_train = pytest.mark.uses(*TRAINS)
uses_benchmark = pytest.mark.uses("train.benchmark_optimizers", *TRAINS)

# The training run that must reach ACCURACY on held-back points, on moons placed at random
# (placed_moons) and started from weights drawn here. Measured with the reference over 300
# random placements, data sets, starting weights and batch orders (benchmarks/training_checks.py):
# min accuracy 0.865, 5 % quantile 0.925, median 0.99, 0.7 s CPU per run; 440 earlier runs went
# down to 0.845 (the only one below 0.85), hence 0.8. On the moons as make_moons places them it
# was min 0.875, median 0.975 over 60. A model that learns nothing scores about 0.5 and a linear
# one about 0.87, so this check shows that training works; the full-batch checks pin the details.
RUN = {
    "n_train": 80,
    "n_val": 20,
    "n_eval": 200,
    "noise": 0.1,
    "nouts": [8, 8, 1],
    "optimizer": {"kind": "Adam", "lr": 0.05},
    "epochs": 20,
    "batch_size": 8,
}
ACCURACY = 0.8
# Training moves the weights step by step from where they started: in 550 reference runs of RUN
# the trained parameters kept a correlation of at least 0.499 with the starting ones (5 %
# quantile 0.60, median 0.72). Weights chosen without them (trained in advance, a hand-written
# rule) have 0 ± 0.1: weights trained in advance on the centred moons reached IMPRINT for 6 of
# 20,000 starts and ACCURACY on 247 of 2000 random placements (12 %, against 100 % unplaced),
# both at once about 1 in 25,000. A wrong step shows too: with an Adam without bias correction
# (3x larger first steps) the correlation was 0.22-0.49 (15 runs), so such a stack fails the
# whole-stack check even where it still learns.
IMPRINT = 0.35
# Training lowers the objective it trains: in 260 reference runs of RUN the trained parameters'
# objective on the training points (hinge + L2, computed here) was at most 0.68 of the starting
# weights' (median 0.02). Untrained weights keep all of it (1.0), and an untrained random MLP
# still reached ACCURACY on 12 % of placements (32 of 260): accuracy alone does not show that
# it learned.
MOVED = 0.9
# The whole-stack check runs the student's own optimizer: a wrong step there is the optimizer
# checks' business, and the check is named for learning. Its bar only has to stop weights chosen
# without the start (0 ± 0.1): at 0.15 an Adam without bias correction passes (0.22 or more),
# and weights trained in advance would pass it on about 7 % of starts (the normal tail at 1.5 sd
# of the measured spread) and ACCURACY on 12 % of placements: under 1 % both at once.
WHOLE_STACK_IMPRINT = 0.15
TRAIN_TIMEOUT = 60  # seconds per training request (capped by the lesson's time budget)


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
    reply = as_record(
        student.call("training.make_moons", n_samples=n, noise=noise, seed=seed),
        ("X", "y", "containers"),
        "make_moons",
    )
    call = f"make_moons(n_samples={n}, noise={noise:g}, seed={seed})"
    X = as_points(reply["X"], n, f"{call}: X")
    y = as_labels(reply["y"], n, f"{call}: y")
    return X, y, reply["containers"], call


@pytest.mark.part("make_moons")
@pytest.mark.points(1)
@pytest.mark.uses("data.make_moons")
def test_make_moons_types_and_labels(student, rng):
    """make_moons: X is a list of [x1, x2] lists, y a list of ±1 ints, n // 2 outer points"""
    for n in (rng.randrange(20, 60, 2), rng.randrange(21, 61, 2)):
        X, y, containers, call = moons(student, n, 0.1, rng.randrange(1000))
        check(
            containers == {"X": "list", "points": ["list"], "y": "list"},
            f"{call}: X must be a list of [x1, x2] lists and y a list",
        )
        counts = Counter(y)
        check(
            counts[-1] == n // 2 and counts[1] == n - n // 2,
            f"{call}: expected {n // 2} points labelled -1 and {n - n // 2} labelled +1, "
            f"got {counts[-1]} and {counts[1]}",
        )


@pytest.mark.part("make_moons")
@pytest.mark.points(1)
@pytest.mark.uses("data.make_moons")
def test_make_moons_geometry(student, rng):
    """make_moons: with noise=0 the points lie on the two arcs, evenly spaced"""
    for n in (rng.randrange(20, 60, 2), rng.randrange(21, 61, 2)):
        X, y, _, call = moons(student, n, 0.0, rng.randrange(1000))
        n_outer = n // 2
        arcs = {
            -1: (
                "outer moon (cos t, sin t)",
                [(math.cos(t), math.sin(t)) for t in linspace(n_outer)],
            ),
            1: (
                "inner moon (1 - cos t, 0.5 - sin t)",
                [(1 - math.cos(t), 0.5 - math.sin(t)) for t in linspace(n - n_outer)],
            ),
        }
        for label, (arc, expected) in arcs.items():
            got = sorted(p for p, lab in zip(X, y) if lab == label)
            check(
                len(got) == len(expected),
                f"{call}: expected {len(expected)} points labelled {label:+d}, got {len(got)}",
            )
            for p, q in zip(got, sorted(expected)):
                if not all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(p, q)):
                    raise CheckFailed(
                        f"{call}: the points labelled {label:+d} should be the {arc} with t evenly "
                        f"spaced over [0, pi]; expected a point at ({fmt(q[0])}, {fmt(q[1])}), "
                        f"found ({fmt(p[0])}, {fmt(p[1])}) instead"
                    )


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
        offsets.append(
            (label, "x1", (sum(a for a, _ in points) - arc_x) / len(points), len(points))
        )
        offsets.append(
            (label, "x2", (sum(b for _, b in points) - arc_y) / len(points), len(points))
        )
    return (squares - len(X)) / (2 * len(X)), offsets


NOISE_POINTS = 6000
Z_MAX = 5.5  # standard errors; a correct make_moons fails with probability ~1e-7 per statistic


@pytest.mark.part("make_moons")
@pytest.mark.points(0.75)
@pytest.mark.uses("data.make_moons")
def test_make_moons_noise(student, rng):
    """make_moons: Gaussian noise with standard deviation `noise` on each coordinate"""
    noise = rng.choice([0.5, 0.7])
    X, y, _, call = moons(student, NOISE_POINTS, noise, rng.randrange(1000))
    variance, offsets = noise_statistics(X, y)
    # The estimate's standard error: s·sqrt(1 + s²)/sqrt(n) (measured over 300 seeds: z sd 1.00).
    error = noise * math.sqrt(1 + noise**2) / math.sqrt(len(X))
    check(
        abs(variance - noise**2) <= Z_MAX * error,
        f"{call}: the noise's variance per coordinate should be noise² = {noise**2:g}; "
        f"measured {variance:.4g} from the points' distances to the arcs' centres",
    )
    for label, axis, offset, count in offsets:
        check(
            abs(offset) <= Z_MAX * noise / math.sqrt(count),
            f"{call}: the noise should average 0, but the {axis} coordinates of the points "
            f"labelled {label:+d} are off by {offset:.4g} on average",
        )


@pytest.mark.part("make_moons")
@pytest.mark.points(0.5)
@pytest.mark.uses("data.make_moons")
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


@pytest.mark.part("split_and_batches")
@pytest.mark.points(1.25)
@pytest.mark.uses("data.train_val_split")
def test_train_val_split(student, rng):
    """train_val_split: round(n·val_fraction) validation points, the rest for training"""
    for n, fraction in split_cases(rng):
        X, y = distinct_points(rng, n)
        seed = rng.randrange(1000)
        call = f"train_val_split(X, y, val_fraction={fraction:g}, seed={seed}) with {n} points"
        reply = as_record(
            student.call("training.split", X=X, y=y, val_fraction=fraction, seed=seed),
            ("X_train", "y_train", "X_val", "y_val"),
            "train_val_split",
        )
        n_val = round(n * fraction)
        X_val = as_points(reply["X_val"], None, f"{call}: X_val")
        check(len(X_val) == n_val, f"{call}: expected {n_val} validation points, got {len(X_val)}")
        y_val = as_labels(reply["y_val"], n_val, f"{call}: y_val")
        X_train = as_points(reply["X_train"], n - n_val, f"{call}: X_train")
        y_train = as_labels(reply["y_train"], n - n_val, f"{call}: y_train")
        original = Counter(zip(map(tuple, X), y))
        check(
            Counter(zip(X_train + X_val, y_train + y_val)) == original,
            f"{call}: training and validation points (with their labels) together must be "
            f"exactly the original points, each once",
        )


@pytest.mark.part("split_and_batches")
@pytest.mark.points(1.25)
@pytest.mark.uses("data.batches")
def test_batches(student, rng):
    """batches: batch sizes, a last smaller batch, every point once, order kept without shuffle"""
    for shuffle, exact in ((False, False), (True, False), (False, True)):
        size = rng.randint(3, 8)
        n = size * rng.randint(3, 6) + (0 if exact else rng.randint(1, size - 1))
        X, y = distinct_points(rng, n)
        seed = rng.randrange(1000)
        call = f"batches(X, y, batch_size={size}, shuffle={shuffle}, seed={seed}) with {n} points"
        reply = as_list(
            as_record(
                student.call(
                    "training.batches", X=X, y=y, batch_size=size, shuffle=shuffle, seed=seed
                ),
                ("batches",),
                "batches",
            )["batches"],
            None,
            f"{call}: the batches",
        )
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
            check(
                Counter(got) == Counter(expected),
                f"{call}: the batches must hold every point (with its label) exactly once",
            )
        else:
            check(
                got == expected,
                f"{call}: without shuffling, the batches must keep the points "
                f"(and their labels) in their original order",
            )


def split_of(student, X, y, seed):
    """The validation points of train_val_split(X, y, 0.3, seed), in order."""
    reply = as_record(
        student.call("training.split", X=X, y=y, val_fraction=0.3, seed=seed),
        ("X_train", "y_train", "X_val", "y_val"),
        "train_val_split",
    )
    return as_points(reply["X_val"], None, f"train_val_split(X, y, 0.3, seed={seed}): X_val")


@pytest.mark.part("split_and_batches")
@pytest.mark.points(0.25)
@pytest.mark.uses("data.train_val_split")
def test_train_val_split_seed(student, rng):
    """train_val_split: the same seed gives the same split, another seed another split"""
    X, y = distinct_points(rng, 30)  # C(30, 9) splits: two seeds agree by chance ~ 1 in 14e6
    seed = rng.randrange(1000)
    first, again, other = (split_of(student, X, y, s) for s in (seed, seed, seed + 1))
    call = "train_val_split(X, y, val_fraction=0.3, seed=...) with 30 points"
    check(first == again, f"{call}: seed={seed} twice should give the same split")
    check(
        set(first) != set(other),
        f"{call}: seed={seed} and seed={seed + 1} should give different splits",
    )


def batch_order(student, X, y, seed):
    """The points of batches(X, y, 5, shuffle=True, seed), in the order they come out."""
    reply = as_record(
        student.call("training.batches", X=X, y=y, batch_size=5, shuffle=True, seed=seed),
        ("batches",),
        "batches",
    )
    what = f"batches(X, y, batch_size=5, shuffle=True, seed={seed})"
    order = []
    for i, batch in enumerate(as_list(reply["batches"], None, f"{what}: the batches")):
        pair = as_list(batch, 2, f"{what}: batch {i} should be a pair (X_batch, y_batch) and")
        order += as_points(pair[0], None, f"{what}: X_batch of batch {i}")
    return order


@pytest.mark.part("split_and_batches")
@pytest.mark.points(0.5)
@pytest.mark.uses("data.batches")
def test_batches_shuffle_and_seed(student, rng):
    """batches: shuffle=True shuffles; the same seed gives the same order, another seed another"""
    X, y = distinct_points(rng, 30)  # 30! orders: a shuffle keeps the original one ~ never
    seed = rng.randrange(1000)
    first, again, other = (batch_order(student, X, y, s) for s in (seed, seed, seed + 1))
    call = "batches(X, y, batch_size=5, shuffle=True, seed=...) with 30 points"
    check(
        first != [tuple(p) for p in X],
        f"{call}: with shuffle=True the points should come out in another order than given",
    )
    check(first == again, f"{call}: seed={seed} twice should give the same order")
    check(first != other, f"{call}: seed={seed} and seed={seed + 1} should give other orders")


# --- accuracy -------------------------------------------------------------------------------------


@pytest.mark.part("accuracy")
@pytest.mark.points(1)
@pytest.mark.uses("train.accuracy", "data.batches")  # train.py imports batches as it loads
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
        assert_close(
            as_record(got, ("accuracy",), "accuracy")["accuracy"],
            expected,
            f"accuracy(model, X, y) for a model with scores {short(scores[:4])}... on {n} points",
        )


# --- training ------------------------------------------------------------------------------------
#
# Self-reported figures earn nothing (design.md, "The trust boundary"): code in the worker can
# forge anything the worker returns (scores, a History, benchmark rows, even what the worker
# observes about the model). So a trained model comes back as its parameters, plain numbers in
# the API's order, and this process computes predictions, accuracy and losses itself
# (floatnet.py); History and benchmark figures earn points only where they agree with that
# recomputation or with a run of the reference in this process.


def shuffled_moons(reference, rng, n, noise):
    """Moons made here (trusted side), in random order so no position gives a label away."""
    X, y = reference.data.make_moons(n_samples=n, noise=noise, seed=rng.randrange(10**6))
    pairs = list(zip(X, y))
    rng.shuffle(pairs)
    return [list(p) for p, _ in pairs], [label for _, label in pairs]


# Where placed_moons may move the moons: a random shift of up to SHIFT on each axis after
# centring. Larger shifts make training less reliable (with RUN: shift 1.5 fell below 0.85 in 2
# of 40 runs, shift 0.5 in 1 of 740).
SHIFT = 0.5


def placed_moons(reference, rng, n, noise):
    """Moons centred on the origin, then turned by a random angle, mirrored or not, shifted by
    up to SHIFT on each axis, with the labels swapped or not, in random order: a hand-written
    moons rule or weights trained in advance fit one placement, not a random one, while the
    MLP learns any of them (centring even helps: see RUN)."""
    X, y = shuffled_moons(reference, rng, n, noise)
    turn, mirror = rng.uniform(0, 2 * math.pi), rng.choice([-1, 1])
    cos, sin = math.cos(turn), math.sin(turn)
    dx, dy = rng.uniform(-SHIFT, SHIFT), rng.uniform(-SHIFT, SHIFT)
    swap = rng.choice([-1, 1])
    centred = [(a - 0.5, mirror * (b - 0.25)) for a, b in X]  # (0.5, 0.25): the moons' centre
    X = [[round(cos * a - sin * b + dx, 12), round(sin * a + cos * b + dy, 12)] for a, b in centred]
    return X, [swap * label for label in y]


def initial_weights(rng, nouts):
    """An MLP(2, nouts)'s starting parameters in the API's order, drawn here: weights uniform
    in (-1, 1), biases 0 (the API's initialisation), so this process knows where training began."""
    sizes = [2, *nouts]
    weights = []
    for nin, nout in zip(sizes, sizes[1:]):
        for _ in range(nout):
            weights += [rng.uniform(-1, 1) for _ in range(nin)] + [0.0]
    return weights


HISTORY = ("train_loss", "val_loss", "val_accuracy", "best_val_loss", "best_epoch")


def as_history(reply, epochs, what):
    history = as_record(reply, HISTORY, f"{what}: the History")
    out = {key: as_floats(history[key], epochs, f"{what}: History.{key}") for key in HISTORY[:3]}
    out["best_val_loss"] = as_float(history["best_val_loss"], f"{what}: History.best_val_loss")
    out["best_epoch"] = as_int(history["best_epoch"], f"{what}: History.best_epoch")
    return out


def require_the_model_kept(reply, what):
    """What the worker saw of the model after train(): its class and parameter objects must be
    those it was built with. Required, though never enough on its own (code in the worker could
    forge this too): the trained model is judged by its parameters, here."""
    seen = as_record(reply, ("class_kept", "same_parameters"), f"{what}: the model")
    check(
        seen["class_kept"] is True,
        f"{what}: after train() the model should still be the MLP it was given, but train() "
        f"changed its class",
    )
    check(
        seen["same_parameters"] is True,
        f"{what}: after train() model.parameters() should still be the Value objects the model "
        f"was built with (the optimizer updates them in place), but they were replaced",
    )


def train_reply(worker, what, epochs, nouts, **request):
    reply = as_record(
        worker.call(
            "training.train",
            timeout=TRAIN_TIMEOUT,
            epochs=epochs,
            model={"nouts": nouts, **request.pop("model")},
            **request,
        ),
        ("history", "parameters", "model"),
        what,
    )
    require_the_model_kept(reply["model"], what)
    n = floatnet.n_parameters(2, nouts)
    return {
        "history": as_history(reply["history"], epochs, what),
        "parameters": as_floats(
            reply["parameters"], n, f"{what}: the trained model's parameters()"
        ),
    }


def heldout_accuracy(worker, reference, rng, what, imprint_bar=IMPRINT, figure=None):
    """Train RUN on freshly placed moons; the evaluation points never leave this process, and
    the trained model is judged here, from its parameters. Returns its accuracy on the held-back
    points and [the starting weights' objective, the trained one's] on the training points.
    `figure`: the fixture that keeps the picture of the trained model over the points it
    trained on (never the held-back ones)."""
    n = RUN["n_train"] + RUN["n_val"] + RUN["n_eval"]
    X, y = placed_moons(reference, rng, n, RUN["noise"])
    a, b = RUN["n_train"], RUN["n_train"] + RUN["n_val"]
    start = initial_weights(rng, RUN["nouts"])
    reply = train_reply(
        worker,
        what,
        RUN["epochs"],
        RUN["nouts"],
        X_train=X[:a],
        y_train=y[:a],
        X_val=X[a:b],
        y_val=y[a:b],
        model={"weights": start},
        optimizer=RUN["optimizer"],
        batch_size=RUN["batch_size"],
    )
    if figure is not None:
        figure(
            {
                "kind": "decision_boundary",
                "nouts": RUN["nouts"],
                "parameters": reply["parameters"],
                "points": X[:a],
                "labels": y[:a],
            }
        )
    imprint = correlation(start, reply["parameters"])
    check(
        imprint >= imprint_bar,
        f"{what}: the trained parameters should still carry the starting weights the model was "
        f"given, since training moves them step by step (in the grader's runs of this training "
        f"their correlation with the starting weights was 0.5 or more, 0.7 typically), but "
        f"theirs is {imprint:.2f}: either train() replaced the weights instead of training "
        f"them, or the steps were far too large (look at the gradients, zero_grad and the "
        f"optimizer's update)",
    )
    trained = reply["parameters"]
    objectives = [
        floatnet.objective(params, RUN["nouts"], X[:a], y[:a], "hinge", 1e-4)
        for params in (start, trained)
    ]
    return floatnet.accuracy(floatnet.scores(trained, RUN["nouts"], X[b:]), y[b:]), objectives


def check_lowered(objectives, what):
    """The trained parameters fit the training points better than the starting weights did,
    by the margin every real run of RUN clears (both objectives computed here)."""
    before, after = objectives
    check(
        after <= MOVED * before,
        f"{what}: training should lower the objective on the training points (hinge loss plus "
        f"the L2 term, computed by the grader from the parameters) to at most {MOVED:g} of the "
        f"starting weights' {before:.4g}; the trained model's is {after:.4g}: did train() "
        f"update the model's own parameters?",
    )


def correlation(xs, ys):
    """Pearson's correlation of two lists of numbers (0 when either is constant)."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx, syy = sum((x - mx) ** 2 for x in xs), sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else 0.0


RUN_TEXT = (
    f"train() on {RUN['n_train']} noisy moons ({RUN['epochs']} epochs, batch_size "
    f"{RUN['batch_size']}, MLP(2, {RUN['nouts']}), Adam(lr={RUN['optimizer']['lr']}))"
)


def learns(worker, reference, rng, what, imprint_bar=IMPRINT, figure=None):
    acc, objectives = heldout_accuracy(worker, reference, rng, what, imprint_bar, figure)
    check_lowered(objectives, what)
    check(
        acc >= ACCURACY,
        f"{what}: the trained model (its parameters, evaluated by the grader) "
        f"should classify at least {ACCURACY:g} of {RUN['n_eval']} held-back "
        f"points correctly, got {acc:.3f}",
    )


@pytest.mark.part("train")
@pytest.mark.points(1.5)
@uses_train
def test_train_learns_the_moons(student, reference, rng, figure):
    """train: the trained model classifies held-back moons"""
    learns(student, reference, rng, RUN_TEXT, figure=figure)


@pytest.mark.part("train")
@pytest.mark.points(1)
@pytest.mark.uses("engine", "nn", "losses", "optim", "data", "train")
def test_whole_stack_learns_the_moons(reference, rng, run, request):
    """Integration: your whole micrograd (engine, nn, losses, optim, data, train) learns the
    moons"""
    # A student who finished the earlier lessons ran this lesson on their own modules only: the
    # training check above was this very run on their whole stack (with a stricter bar), so a
    # pass there stands for this check too and saves a second training (about 1 s on a
    # closure-style engine). Otherwise: train on the whole stack here.
    if (
        run.ran_on_own_code("training")
        and run.outcome("training/test_train_learns_the_moons") == "passed"
    ):
        return
    learns(
        request.getfixturevalue("student_full"),
        reference,
        rng,
        RUN_TEXT + " with your own engine, nn, losses and optim",
        imprint_bar=WHOLE_STACK_IMPRINT,
    )


@pytest.mark.part("train")
@pytest.mark.points(0.5)
@uses_train
def test_train_loss_weighted_and_ties_to_the_first_epoch(student, reference, rng):
    """train with lr 0: train_loss weights batches by size; equal val_loss: best_epoch is the
    first"""
    # lr = 0: the parameters never move, so every batch objective is taken at the starting
    # weights, in any batch order, and the weighted mean is the objective on all training
    # points (batches of 8, 8 and 5: an unweighted mean of the batch means differs); and every
    # epoch has the same val_loss, so the first minimum is epoch 0.
    X, y = shuffled_moons(reference, rng, 31, 0.2)
    nouts, epochs, alpha = [4, 4, 1], 3, 1e-3
    start = initial_weights(rng, nouts)
    what = "train() with SGD(lr=0), batch_size 8 on 21 points (batches of 8, 8 and 5), mse"
    reply = train_reply(
        student,
        what,
        epochs,
        nouts,
        model={"weights": start},
        X_train=X[:21],
        y_train=y[:21],
        X_val=X[21:],
        y_val=y[21:],
        optimizer={"kind": "SGD", "lr": 0.0},
        batch_size=8,
        loss="mse",
        alpha=alpha,
    )
    expected = floatnet.objective(start, nouts, X[:21], y[:21], "mse", alpha)
    history = reply["history"]
    assert_all_close(
        history["train_loss"],
        [expected] * epochs,
        f"{what}: History.train_loss (the mean of the batches' objectives, each "
        f"weighted by its size, with the L2 term)",
        labels=[f"epoch {e}" for e in range(epochs)],
    )
    check(
        history["best_epoch"] == 0,
        f"{what}: every epoch has the same val_loss, so History.best_epoch should be 0 (the "
        f"first epoch with the least val_loss), got {history['best_epoch']}",
    )


# Full-batch runs compared epoch by epoch with the reference (batch order is free, so only a
# single batch per epoch gives the same updates): one per loss, with schedulers and clipping.
FULL_BATCH = {  # name: (points, configuration)
    "hinge+SGD": (0.5, {"loss": "hinge", "alpha": 1e-3, "optimizer": {"kind": "SGD", "lr": 0.2}}),
    # clip_norm 0.1 clips at every step here (it moved train_loss by >= 0.035 on 30 of 30 seeds).
    "mse+Momentum+StepLR+clip": (
        0.75,
        {
            "loss": "mse",
            "alpha": 1e-4,
            "optimizer": {"kind": "Momentum", "lr": 0.05},
            "scheduler": {"kind": "StepLR", "step_size": 2, "gamma": 0.5},
            "clip_norm": 0.1,
        },
    ),
    "bce+Adam+cosine": (
        0.75,
        {
            "loss": "bce",
            "alpha": 1e-4,
            "optimizer": {"kind": "Adam", "lr": 0.05},
            "scheduler": {"kind": "CosineAnnealingLR", "T_max": 5},
        },
    ),
}


def reference_train(
    reference,
    weights,
    nouts,
    X_train,
    y_train,
    X_val,
    y_val,
    epochs,
    batch_size,
    optimizer,
    loss,
    alpha,
    scheduler=None,
    clip_norm=None,
):
    """The same run with the reference package, in this process."""

    def build(spec, *args):
        return getattr(reference.optim, spec["kind"])(
            *args, **{k: v for k, v in spec.items() if k != "kind"}
        )

    net = reference.nn.MLP(2, nouts)
    for p, w in zip(net.parameters(), weights):
        p.data = w
    opt = build(optimizer, net.parameters())
    history = reference.train.train(
        net,
        opt,
        X_train,
        y_train,
        X_val,
        y_val,
        epochs,
        batch_size,
        loss=loss,
        alpha=alpha,
        clip_norm=clip_norm,
        scheduler=build(scheduler, opt) if scheduler else None,
    )
    return history, [p.data for p in net.parameters()]


# The History check's run: one batch per epoch, so that this process knows the run (the
# reference makes it here), and Momentum with an lr large enough that val_loss goes down and up
# again: best_epoch was not the last epoch in 215 of 300 such runs, and each of the 8 epochs was
# best_epoch in 16 or more.
HISTORY_RUN = {
    "n": 50,
    "n_val": 10,
    "noise": 0.2,
    "nouts": [4, 4, 1],
    "epochs": 8,
    "optimizer": {"kind": "Momentum", "lr": 0.3},
}


@pytest.mark.part("train")
@pytest.mark.points(1)
@uses_train
def test_history_fields(student, reference, rng, figure):
    """train: History has one entry per epoch; best_epoch is the first epoch of least val_loss"""
    run = HISTORY_RUN
    X, y = shuffled_moons(reference, rng, run["n"], run["noise"])
    a, nouts, epochs = run["n"] - run["n_val"], run["nouts"], run["epochs"]
    data = {"X_train": X[:a], "y_train": y[:a], "X_val": X[a:], "y_val": y[a:]}
    start = initial_weights(rng, nouts)
    expected, final = reference_train(
        reference,
        start,
        nouts,
        epochs=epochs,
        batch_size=a,
        optimizer=run["optimizer"],
        loss="hinge",
        alpha=1e-4,
        **data,
    )
    what = (
        f"train() for {epochs} epochs with one batch per epoch and "
        f"Momentum(lr={run['optimizer']['lr']})"
    )
    reply = train_reply(
        student,
        what,
        epochs,
        nouts,
        model={"weights": start},
        batch_size=a,
        optimizer=run["optimizer"],
        **data,
    )
    history, params = reply["history"], reply["parameters"]
    figure({"kind": "loss_curves", "student": history, "reference": losses_of(expected)})
    check_best_epoch(history, epochs, what)
    check_last_epoch(history, params, nouts, X[a:], y[a:], what)
    assert_all_close(
        params,
        final,
        f"{what}: the weights after training",
        labels=[f"parameters()[{i}]" for i in range(len(final))],
    )


def losses_of(history) -> dict:
    """A reference History's losses per epoch, as plain lists (for the loss curves)."""
    return {"train_loss": list(history.train_loss), "val_loss": list(history.val_loss)}


def check_best_epoch(history, epochs, what):
    """best_epoch is the first epoch of least val_loss; best_val_loss is its val_loss."""
    best = min(range(epochs), key=lambda e: (history["val_loss"][e], e))
    check(
        history["best_epoch"] == best,
        f"{what}: History.best_epoch should be {best} (the first epoch with the least val_loss, "
        f"counting from 0), got {history['best_epoch']}",
    )
    assert_close(
        history["best_val_loss"],
        history["val_loss"][best],
        f"{what}: History.best_val_loss should be val_loss[best_epoch]",
    )


def check_last_epoch(history, params, nouts, X_val, y_val, what):
    """The last epoch's figures describe the trained model: recomputed here from its parameters,
    which must be those of the run (a History describes a training run that happened)."""
    assert_close(
        history["val_loss"][-1],
        floatnet.objective(params, nouts, X_val, y_val, "hinge", 1e-4),
        f"{what}: History.val_loss of the last epoch (the hinge loss plus the L2 term of "
        f"the trained model on the validation points)",
    )
    assert_close(
        history["val_accuracy"][-1],
        floatnet.accuracy(floatnet.scores(params, nouts, X_val), y_val),
        f"{what}: History.val_accuracy of the last epoch (the validation accuracy of the "
        f"trained model)",
    )


@pytest.mark.part("train")
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(k, id=k, marks=pytest.mark.points(points))
        for k, (points, _) in FULL_BATCH.items()
    ],
)
@uses_train
def test_full_batch_training_matches_reference(student, reference, rng, name):
    """train ({param}): full-batch training matches the reference epoch by epoch"""
    config = FULL_BATCH[name][1]
    X, y = shuffled_moons(reference, rng, 32, 0.15)
    nouts, epochs = [4, 4, 1], 5
    n_params = len(reference.nn.MLP(2, nouts).parameters())
    weights = [rng.uniform(-1, 1) for _ in range(n_params)]
    data = {"X_train": X[:24], "y_train": y[:24], "X_val": X[24:], "y_val": y[24:]}
    expected, final = reference_train(
        reference, weights, nouts, epochs=epochs, batch_size=24, **data, **config
    )
    what = f"train() with one batch per epoch ({name})"
    reply = train_reply(
        student, what, epochs, nouts, model={"weights": weights}, batch_size=24, **data, **config
    )
    history = reply["history"]
    epoch_labels = [f"epoch {e}" for e in range(epochs)]
    for key in ("train_loss", "val_loss", "val_accuracy"):
        assert_all_close(
            history[key],
            getattr(expected, key),
            f"{what}: History.{key}",
            labels=epoch_labels,
            rel=1e-6,
        )
    assert_all_close(
        reply["parameters"],
        final,
        f"{what}: the weights after training",
        labels=[f"parameters()[{i}]" for i in range(n_params)],
        rel=1e-6,
    )


# --- benchmark_optimizers -------------------------------------------------------------------------
#
# Each row is confirmed by running the same protocol here with the reference: the starting
# weights are those the package's MLP gets after random.seed(seed) (asked from the worker, since
# the order of the draws is free; weights chosen there are still trained here), then train()
# once per optimizer. Batch order is free too, so these runs are full-batch (batch_size above
# the number of training points): each row is then one exact run, compared with rel 1e-6.

ROW_KEYS = ("optimizer", "final_train_loss", "final_val_loss", "best_val_loss", "best_epoch")
OPTIMIZER_KINDS = {"sgd": "SGD", "momentum": "Momentum", "adam": "Adam"}
DEFAULTS = {
    "optimizers": ["SGD", "Momentum", "Adam"],
    "hidden": [8, 8],
    "lr": 0.05,
    "loss": "hinge",
    "alpha": 1e-4,
}


def benchmark(student, reference, rng, n, noise, options):
    X, y = shuffled_moons(reference, rng, n, noise)
    a = round(n * 0.8)
    data = {"X_train": X[:a], "y_train": y[:a], "X_val": X[a:], "y_val": y[a:]}
    call = (
        f"benchmark_optimizers({', '.join(f'{k}={v!r}' for k, v in options.items())}) on "
        f"{a} training and {n - a} validation points"
    )
    optimizers = options.get("optimizers", DEFAULTS["optimizers"])
    reply = as_record(
        student.call("training.benchmark", timeout=TRAIN_TIMEOUT, options=options, **data),
        ("rows",),
        call,
    )
    rows = as_list(reply["rows"], len(optimizers), f"{call}: the rows")
    out = []
    for i, (row, name) in enumerate(zip(rows, optimizers)):
        keys = ", ".join(ROW_KEYS)
        row = as_record(row, ROW_KEYS, f"{call}: row {i} should be a dict with keys {keys}; it")
        check(
            type(row["optimizer"]) is str and row["optimizer"].lower() == name.lower(),
            f"{call}: row {i} should be for optimizer {name!r}",
        )
        values = {k: as_float(row[k], f"{call}: row {i} ({name}), {k}") for k in ROW_KEYS[1:4]}
        values["best_epoch"] = as_int(row["best_epoch"], f"{call}: row {i} ({name}), best_epoch")
        out.append(values)
    return out, call, data


def starting_weights(student, seed, nouts):
    """The parameters of the package's MLP(2, nouts) after random.seed(seed). Like every reply
    they could be forged: they must at least look like the API's start (distinct weights in
    [-1, 1], biases 0), so that no trivial start (all zeros) makes the runs easy to fake."""
    what = f"random.seed({seed}); MLP(2, {nouts}).parameters()"
    reply = as_record(
        student.call("training.initial_parameters", seed=seed, nouts=nouts), ("parameters",), what
    )
    params = as_floats(reply["parameters"], floatnet.n_parameters(2, nouts), what)
    layers = floatnet.layers(params, 2, nouts)
    weights = [w for layer in layers for ws, _ in layer for w in ws]
    check(
        all(b == 0 for layer in layers for _, b in layer)
        and all(-1 <= w <= 1 for w in weights)
        and len(set(weights)) == len(weights),
        f"{what}: expected distinct weights drawn from uniform(-1, 1) and biases 0.0",
    )
    return params


def confirm_rows(student, reference, rows, call, data, options):
    """Every row must be the figures of the protocol's run, made here with the reference."""
    settings = {**DEFAULTS, **options}
    nouts, seed = [*settings["hidden"], 1], settings["seed"]
    start = starting_weights(student, seed, nouts)
    runs = {}
    for i, (row, name) in enumerate(zip(rows, settings["optimizers"])):
        kind = OPTIMIZER_KINDS[name.lower()]
        if kind not in runs:
            runs[kind], _ = reference_train(
                reference,
                start,
                nouts,
                **data,
                epochs=settings["epochs"],
                batch_size=settings["batch_size"],
                optimizer={"kind": kind, "lr": settings["lr"]},
                loss=settings["loss"],
                alpha=settings["alpha"],
            )
        history = runs[kind]
        what = (
            f"{call}: row {i} should hold the figures of train() with {kind}(lr="
            f"{settings['lr']:g}) from the weights MLP(2, {nouts}) has after "
            f"random.seed({seed}); its"
        )
        assert_close(row["final_train_loss"], history.train_loss[-1], f"{what} final_train_loss")
        assert_close(row["final_val_loss"], history.val_loss[-1], f"{what} final_val_loss")
        assert_close(row["best_val_loss"], history.best_val_loss, f"{what} best_val_loss")
        check(
            row["best_epoch"] == history.best_epoch,
            f"{what} best_epoch: expected {history.best_epoch}, got {row['best_epoch']}",
        )


@pytest.mark.part("train")
@pytest.mark.points(1)
@uses_benchmark
def test_benchmark_rows(student, reference, rng):
    """benchmark_optimizers: one row per optimizer, every optimizer from the same starting
    weights"""
    options = {
        "optimizers": ["SGD", "Momentum", "SGD"],
        "hidden": [4, 4],
        "lr": 0.1,
        "epochs": 3,
        "batch_size": 64,
        "seed": rng.randrange(1000),
        "loss": "mse",
        "alpha": 1e-3,
    }
    rows, call, data = benchmark(student, reference, rng, 30, 0.1, options)
    for i, row in enumerate(rows):
        check(
            0 <= row["best_epoch"] < options["epochs"],
            f"{call}: row {i}, best_epoch should be an epoch number (0 to {options['epochs'] - 1})",
        )
    # Same seed, same starting weights, one batch per epoch: both SGD rows are the same run.
    for key in ROW_KEYS[1:]:
        check(
            math.isclose(rows[0][key], rows[2][key], rel_tol=1e-6, abs_tol=1e-9),
            f"{call}: both SGD rows should be equal (every optimizer starts from the same "
            f"weights: random.seed(seed) before each model), but {key} differs",
        )
    confirm_rows(student, reference, rows, call, data, options)


@pytest.mark.part("train")
@pytest.mark.points(0.5)
@uses_benchmark
def test_benchmark_defaults_match_the_protocol(student, reference, rng, figure):
    """benchmark_optimizers: defaults (SGD, Momentum, Adam; hidden (8, 8); lr 0.05; hinge)"""
    options = {"epochs": 3, "batch_size": 64, "seed": rng.randrange(1000)}
    rows, call, data = benchmark(student, reference, rng, 30, 0.1, options)
    confirm_rows(student, reference, rows, call, data, options)
    # confirmed: the seed project's table, with the grader's names for the optimizers
    named = [{"optimizer": k, **row} for k, row in zip(DEFAULTS["optimizers"], rows)]
    figure({"kind": "benchmark", "rows": named})
