"""Data for the pictures in feedback.html, recorded per check by the runner (trusted side).

A check leaves the data of its picture either on the CheckFailed it raises (`failure.figure`:
the graph of a failed gradient check) or through the `figure` fixture (lesson 6: loss curves,
decision boundary, benchmark). The runner keeps it only through `kept_figure`: every number
finite, every size matching, no more than a reader can take in (MAX_NODES graph nodes), and for
a RESTRICTED check only the grader's own numbers (design.md, "Reference code is an answer
key"): the graph's spec, the reference's data and grads and the coarse relation, never `got`;
and no lesson 6 picture at all, since every one of them is drawn from the worker's numbers.
The kinds and their fields: docs/runner-contract.md.
"""

from __future__ import annotations

import math

from grader.sandbox.inside.specs import RequestError, check_graph
from grader.suites import floatnet

MAX_NODES = 60  # as grader/report/figures/graph.py: a bigger graph is no picture to read
MAX_EPOCHS = 1000
MAX_POINTS = 500
MAX_ROWS = 10
OPTIMIZERS = ("SGD", "Momentum", "Adam")
# The kinds drawn from what a worker returned: none is kept for a restricted check.
FROM_WORKER = ("loss_curves", "decision_boundary", "benchmark")


class BadFigure(ValueError):
    """Figure data that does not fit its kind: a grader bug, the picture is left out."""


def numbers(values, n=None, limit=MAX_POINTS) -> list[float]:
    """A list of finite int/float (never bool), of length n when given."""
    if type(values) is not list or len(values) > limit or (n is not None and len(values) != n):
        raise BadFigure("not a list of the expected length")
    if any(type(v) not in (int, float) or not math.isfinite(v) for v in values):
        raise BadFigure("not finite numbers")
    return [float(v) for v in values]


def graph(raw: dict, restricted: bool) -> dict:
    nodes = raw.get("nodes")
    try:
        check_graph(nodes)
    except (RequestError, TypeError, IndexError, KeyError):
        raise BadFigure("not a graph spec") from None
    n, wrong = len(nodes), raw.get("wrong")
    if n > MAX_NODES or type(wrong) is not int or not 0 <= wrong < n:
        raise BadFigure("too many nodes, or no such wrong node")
    kept = {
        "kind": "graph",
        "nodes": nodes,
        "wrong": wrong,
        "data": numbers(raw.get("data"), n),
        "expected": numbers(raw.get("expected"), n),
        "relation": str(raw.get("relation") or "")[:80],
    }
    if not restricted:
        kept["got"] = numbers(raw.get("got"), n)
    return kept


def history(raw) -> dict:
    if type(raw) is not dict:
        raise BadFigure("not a History")
    train = numbers(raw.get("train_loss"), limit=MAX_EPOCHS)
    return {"train_loss": train, "val_loss": numbers(raw.get("val_loss"), len(train), MAX_EPOCHS)}


def loss_curves(raw: dict) -> dict:
    student = history(raw.get("student"))
    reference = history(raw.get("reference"))
    if len(reference["train_loss"]) != len(student["train_loss"]):
        raise BadFigure("the two runs have different numbers of epochs")
    return {"kind": "loss_curves", "student": student, "reference": reference}


def decision_boundary(raw: dict) -> dict:
    nouts = raw.get("nouts")
    if type(nouts) is not list or not nouts or any(type(k) is not int or k < 1 for k in nouts):
        raise BadFigure("not layer sizes")
    params = numbers(raw.get("parameters"), floatnet.n_parameters(2, nouts), limit=10_000)
    points = raw.get("points")
    if type(points) is not list or not points:
        raise BadFigure("no points")
    labels = raw.get("labels")
    if type(labels) is not list or len(labels) != len(points) or set(labels) - {-1, 1}:
        raise BadFigure("labels must be ±1, one per point")
    return {
        "kind": "decision_boundary",
        "nouts": nouts,
        "parameters": params,
        "points": [numbers(p, 2) for p in points][:MAX_POINTS],
        "labels": [int(label) for label in labels][:MAX_POINTS],
    }


def benchmark(raw: dict) -> dict:
    rows = raw.get("rows")
    if type(rows) is not list or not 0 < len(rows) <= MAX_ROWS:
        raise BadFigure("not benchmark rows")
    kept = []
    for row in rows:
        if type(row) is not dict or row.get("optimizer") not in OPTIMIZERS:
            raise BadFigure("not a benchmark row")
        if type(row.get("best_epoch")) is not int:
            raise BadFigure("best_epoch is not an int")
        keys = ("final_train_loss", "final_val_loss", "best_val_loss")
        losses = numbers([row.get(k) for k in keys], 3)
        kept.append(
            {
                "optimizer": row["optimizer"],
                **dict(zip(keys, losses)),
                "best_epoch": row["best_epoch"],
            }
        )
    return {"kind": "benchmark", "rows": kept}


KINDS = {
    "loss_curves": loss_curves,
    "decision_boundary": decision_boundary,
    "benchmark": benchmark,
}


def kept_figure(raw, restricted: bool) -> dict | None:
    """The figure data the record may keep (None: no picture for this check)."""
    if type(raw) is not dict:
        return None
    kind = raw.get("kind")
    if kind in FROM_WORKER and restricted:
        return None
    try:
        if kind == "graph":
            return graph(raw, restricted)
        return KINDS[kind](raw) if kind in KINDS else None
    except BadFigure:
        return None
