"""Lesson 5 — optimizers

Public self-check: one parameter, gradients chosen so every step is easy to follow by hand
(PyTorch's formulas). Passing it is a good sign; the grader also compares longer random runs.
"""

import math
from types import SimpleNamespace

from words import expect_close

from micrograd.optim import (
    SGD,
    Adam,
    CosineAnnealingLR,
    ExponentialLR,
    Momentum,
    StepLR,
    clip_grad_norm,
    clip_grad_value,
)


def test_sgd_step():
    """p = 1, g = 0.5, lr = 0.1: p ← 1 − 0.1 · 0.5 = 0.95."""
    p = SimpleNamespace(data=1.0, grad=0.5)
    SGD([p], lr=0.1).step()
    expect_close(p.data, 0.95, "SGD, after one step: p.data")


def test_momentum_two_steps():
    """p = 1, g = 1 at both steps, lr = 0.1, beta = 0.9: v = 1 then 1.9, p = 0.9 then 0.71."""
    p = SimpleNamespace(data=1.0, grad=1.0)
    opt = Momentum([p], lr=0.1, beta=0.9)
    opt.step()
    expect_close(p.data, 0.9, "Momentum, after step 1: p.data")
    opt.step()
    expect_close(p.data, 0.71, "Momentum, after step 2: p.data")


def test_adam_two_steps():
    """With bias correction, Adam's first steps move by about lr whatever the gradient's size:
    p = 1, g = 0.5, lr = 0.01 gives p = 0.99, then 0.98."""
    p = SimpleNamespace(data=1.0, grad=0.5)
    opt = Adam([p], lr=0.01)
    opt.step()
    expect_close(p.data, 0.99, "Adam, after step 1: p.data")
    opt.step()
    expect_close(p.data, 0.98, "Adam, after step 2: p.data")


def test_schedulers():
    """From lr = 0.1, one step() per epoch: StepLR(step_size=2, gamma=0.5) gives 0.1, 0.05, 0.05,
    0.025; ExponentialLR(gamma=0.5) 0.05, 0.025; CosineAnnealingLR(T_max=4) 0.0854, 0.05, …, 0."""
    opt = SGD([], lr=0.1)
    step = StepLR(opt, step_size=2, gamma=0.5)
    seen = []
    for _ in range(4):
        step.step()
        seen.append(opt.lr)
    assert all(math.isclose(a, b) for a, b in zip(seen, [0.1, 0.05, 0.05, 0.025]))

    opt = SGD([], lr=0.1)
    exponential = ExponentialLR(opt, gamma=0.5)
    exponential.step()
    expect_close(opt.lr, 0.05, "ExponentialLR(gamma=0.5), epoch 1: lr")
    exponential.step()
    expect_close(opt.lr, 0.025, "ExponentialLR(gamma=0.5), epoch 2: lr")

    opt = SGD([], lr=0.1)
    cosine = CosineAnnealingLR(opt, T_max=4)
    cosine.step()
    expect_close(opt.lr, 0.1 * (1 + math.cos(math.pi / 4)) / 2, "CosineAnnealingLR, epoch 1: lr")
    cosine.step()
    expect_close(opt.lr, 0.05, "CosineAnnealingLR, epoch 2: lr")
    cosine.step()
    cosine.step()
    assert abs(opt.lr) < 1e-12


def test_clipping():
    """Gradients 3 and 4 have norm 5: clip_grad_norm(…, 1) returns 5 and scales them to 0.6, 0.8.
    clip_grad_value(…, 1) clamps 3, −4, 0.5 to 1, −1, 0.5."""
    params = [SimpleNamespace(data=0.0, grad=3.0), SimpleNamespace(data=0.0, grad=4.0)]
    expect_close(clip_grad_norm(params, 1.0), 5.0, "clip_grad_norm([3, 4], 1.0)", rel=1e-4)
    expect_close(params[0].grad, 0.6, "clip_grad_norm([3, 4], 1.0): grad 0", rel=1e-5)
    expect_close(params[1].grad, 0.8, "clip_grad_norm([3, 4], 1.0): grad 1", rel=1e-5)
    params = [SimpleNamespace(data=0.0, grad=g) for g in (3.0, -4.0, 0.5)]
    clip_grad_value(params, 1.0)
    assert [p.grad for p in params] == [1.0, -1.0, 0.5]
