"""Worker ops for lesson 6 (data and training). Stdlib only, imports `micrograd`.

The worker only ever receives points it may see: the training and validation data (held-back
evaluation points stay on the trusted side). It returns what the student's code produced (data,
splits, batches, History fields, benchmark rows, trained parameters as plain numbers); every
judgement is made on the trusted side, which recomputes what it grades: nothing returned here is
believed because the student's code said so.
"""

import random

# A student's batches() might be an endless generator: stop reading well past any correct answer.
_MAX_EXTRA_BATCHES = 5


def _plain(rows):
    """Lists of points as lists (tuples are fine for the student, JSON has only lists)."""
    return [list(row) for row in rows]


def moons(n_samples, noise, seed):
    from micrograd.data import make_moons

    X, y = make_moons(n_samples=n_samples, noise=noise, seed=seed)
    # The API promises lists; what the containers really are only the worker can tell.
    containers = {
        "X": type(X).__name__,
        "points": sorted({type(p).__name__ for p in X}),
        "y": type(y).__name__,
    }
    return {"X": _plain(X), "y": list(y), "containers": containers}


def split(X, y, val_fraction, seed):
    from micrograd.data import train_val_split

    X_train, y_train, X_val, y_val = train_val_split(X, y, val_fraction=val_fraction, seed=seed)
    return {
        "X_train": _plain(X_train),
        "y_train": list(y_train),
        "X_val": _plain(X_val),
        "y_val": list(y_val),
    }


def batch_list(X, y, batch_size, shuffle, seed):
    from micrograd.data import batches

    out = []
    for X_batch, y_batch in batches(X, y, batch_size, shuffle=shuffle, seed=seed):
        out.append([_plain(X_batch), list(y_batch)])
        if len(out) > len(X) + _MAX_EXTRA_BATCHES:
            break
    return {"batches": out}


class ScoreTable:
    """A model whose score for each point the grader chose: accuracy() is checked on its own."""

    def __init__(self, X, scores):
        from micrograd.engine import Value

        self._value = Value
        self._scores = {tuple(x): s for x, s in zip(X, scores)}

    def __call__(self, x):
        key = tuple(float(getattr(xi, "data", xi)) for xi in x)
        return self._value(self._scores[key])

    def parameters(self):
        return []


def score_accuracy(X, y, scores):
    from micrograd.train import accuracy

    return {"accuracy": accuracy(ScoreTable(X, scores), X, y)}


def _build(module, spec, *args):
    """`module.<spec["kind"]>(*args, **other spec keys)` for an optimizer or scheduler spec."""
    options = {k: v for k, v in spec.items() if k != "kind"}
    if "betas" in options:
        options["betas"] = tuple(options["betas"])
    return getattr(module, spec["kind"])(*args, **options)


def _model(model):
    """The MLP of a request: built after random.seed(seed), or given the grader's weights."""
    from micrograd.nn import MLP

    random.seed(model.get("seed", 0))
    net = MLP(2, list(model["nouts"]))
    if "weights" in model:
        params = net.parameters()
        if len(params) != len(model["weights"]):
            raise ValueError("the MLP has an unexpected number of parameters")
        for p, w in zip(params, model["weights"]):
            p.data = w
    return net


def train_model(
    X_train,
    y_train,
    X_val,
    y_val,
    model,
    optimizer,
    epochs,
    batch_size,
    loss="hinge",
    alpha=1e-4,
    scheduler=None,
    clip_norm=None,
):
    """Build an MLP, train it with the student's train(), and return the History fields, the
    trained parameters (in the API's order, read from the Value objects built here) and what
    this process can observe about the model afterwards. The trusted side judges the model by
    the parameters alone: it never sees a score computed here."""
    from micrograd import optim
    from micrograd.nn import MLP
    from micrograd.train import train

    net = _model(model)
    params = net.parameters()
    opt = _build(optim, optimizer, params)
    sched = _build(optim, scheduler, opt) if scheduler else None
    history = train(
        net,
        opt,
        X_train,
        y_train,
        X_val,
        y_val,
        epochs=epochs,
        batch_size=batch_size,
        loss=loss,
        alpha=alpha,
        scheduler=sched,
        clip_norm=clip_norm,
    )
    after = net.parameters()
    same = len(after) == len(params) and all(a is b for a, b in zip(after, params))
    return {
        "history": {
            "train_loss": list(history.train_loss),
            "val_loss": list(history.val_loss),
            "val_accuracy": list(history.val_accuracy),
            "best_val_loss": history.best_val_loss,
            "best_epoch": history.best_epoch,
        },
        "parameters": [p.data for p in params],
        "model": {"class_kept": type(net) is MLP, "same_parameters": same},
    }


def initial_parameters(seed, nouts):
    """The starting weights of benchmark_optimizers' protocol: random.seed(seed), then an MLP
    built with the package's nn (the order of its draws is the student's choice)."""
    return {"parameters": [p.data for p in _model({"seed": seed, "nouts": nouts}).parameters()]}


def benchmark(X_train, y_train, X_val, y_val, options):
    from micrograd.train import benchmark_optimizers

    if "optimizers" in options:
        options = dict(options, optimizers=tuple(options["optimizers"]))
    if "hidden" in options:
        options = dict(options, hidden=tuple(options["hidden"]))
    rows = benchmark_optimizers(X_train, y_train, X_val, y_val, **options)
    return {"rows": [dict(row) for row in rows]}


OPS = {
    "training.make_moons": moons,
    "training.split": split,
    "training.batches": batch_list,
    "training.accuracy": score_accuracy,
    "training.train": train_model,
    "training.initial_parameters": initial_parameters,
    "training.benchmark": benchmark,
}
