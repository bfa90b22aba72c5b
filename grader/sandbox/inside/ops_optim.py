"""Worker ops for lesson 5 (optimizers, schedulers, clipping). Stdlib only, imports `micrograd`.

The optimizers work on any objects with `.data` and `.grad` (design.md), so the ops use bare
parameter objects: an optimizer bug cannot hide behind (or be blamed on) the Value class, and
the grader chooses every gradient.
"""

from .specs import RequestError


class Param:
    """The smallest thing an optimizer can update."""

    __slots__ = ("data", "grad")

    def __init__(self, data, grad=0.0):
        self.data = data
        self.grad = grad


class LrHolder:
    """Stands in for an optimizer under a scheduler: schedulers only read and set `lr`."""

    def __init__(self, lr):
        self.lr = lr


_OPTIMIZERS = ("SGD", "Momentum", "Adam")
_SCHEDULERS = ("StepLR", "ExponentialLR", "CosineAnnealingLR")


def run_optimizer(kind, init, grads, options, lrs=None, step=True):
    """Build `kind(params, **options)`; before step k set every grad to grads[k] (and, when
    given, opt.lr = lrs[k]); return the parameter values after each step. step=False: set the
    grads to grads[0], call zero_grad() (and nothing else) and return the grads ("zeroed")."""
    from micrograd import optim

    if kind not in _OPTIMIZERS:
        raise RequestError(f"unknown optimizer {kind!r}")
    if "betas" in options:
        options = dict(options, betas=tuple(options["betas"]))
    params = [Param(x) for x in init]
    opt = getattr(optim, kind)(params, **options)
    if not step:
        for p, g in zip(params, grads[0]):
            p.grad = g
        opt.zero_grad()
        return {"steps": [], "zeroed": [p.grad for p in params]}
    steps = []
    for k, step_grads in enumerate(grads):
        for p, g in zip(params, step_grads):
            p.grad = g
        if lrs is not None:
            opt.lr = lrs[k]
        opt.step()
        steps.append([p.data for p in params])
    return {"steps": steps, "zeroed": []}


def run_scheduler(kind, base_lr, options, epochs):
    """The lr right after building `kind(opt, **options)`, then after each of `epochs` steps."""
    from micrograd import optim

    if kind not in _SCHEDULERS:
        raise RequestError(f"unknown scheduler {kind!r}")
    opt = LrHolder(base_lr)
    scheduler = getattr(optim, kind)(opt, **options)
    lrs = [opt.lr]
    for _ in range(epochs):
        scheduler.step()
        lrs.append(opt.lr)
    return {"lrs": lrs}


def clip_by_norm(grads, max_norm):
    from micrograd.optim import clip_grad_norm

    params = [Param(0.0, g) for g in grads]
    norm = clip_grad_norm(params, max_norm)
    return {"returned": norm, "grads": [p.grad for p in params]}


def clip_by_value(grads, clip_value):
    from micrograd.optim import clip_grad_value

    params = [Param(0.0, g) for g in grads]
    returned = clip_grad_value(params, clip_value)
    # Only "did it return None" leaves the worker, never the object itself.
    return {"returned_none": returned is None, "grads": [p.grad for p in params]}


OPS = {
    "optim.optimizer": run_optimizer,
    "optim.scheduler": run_scheduler,
    "optim.clip_norm": clip_by_norm,
    "optim.clip_value": clip_by_value,
}
