"""Worker ops for lesson 4 (losses). Runs in the sandbox: stdlib only, imports `micrograd`.

The trusted side sends plain numbers; the op wraps the predictions in Values, calls the
student's loss, runs backward and returns the loss value and the gradient of every
prediction. It never sees an expected answer.
"""

from .specs import RequestError

_LOSSES = ("mse_loss", "hinge_loss", "binary_cross_entropy")


def loss_and_grads(name, preds, targets):
    """`name(preds as Values, targets as plain numbers)` -> {"data", "grads"}."""
    from micrograd import losses
    from micrograd.engine import Value

    if name not in _LOSSES:
        raise RequestError(f"unknown loss {name!r}")
    values = [Value(p) for p in preds]
    out = getattr(losses, name)(values, list(targets))
    out.backward()
    return {"data": out.data, "grads": [v.grad for v in values]}


def l2_and_grads(params, alpha):
    """`l2_regularization(params as Values, alpha)` -> {"data", "grads"}."""
    from micrograd.engine import Value
    from micrograd.losses import l2_regularization

    values = [Value(p) for p in params]
    out = l2_regularization(values, alpha)
    out.backward()
    return {"data": out.data, "grads": [v.grad for v in values]}


OPS = {
    "losses.loss": loss_and_grads,
    "losses.l2": l2_and_grads,
}
