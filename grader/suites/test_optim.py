"""Lesson 5 — optimizers, learning-rate schedulers and gradient clipping.

The worker runs the student's optimizers on bare objects with `.data` and `.grad`, setting the
grader's gradients before every step. Expected values are PyTorch's update rules and the
schedulers' closed forms (design.md), written out below in plain Python.
"""

import math

import pytest

from grader.suites.checks import as_list, as_record, assert_all_close, assert_close, check

pytestmark = pytest.mark.lesson("optim")

CLIP_REL = 1e-4  # design.md: clip_grad_norm is compared with rtol 1e-4 (max_norm/norm passes)


# --- PyTorch's rules, one step at a time ------------------------------------------------------


def sgd_steps(init, grads, lrs, options):
    params, out = list(init), []
    for g, lr in zip(grads, lrs):
        params = [p - lr * gi for p, gi in zip(params, g)]
        out.append(params)
    return out


def momentum_steps(init, grads, lrs, options):
    beta = options.get("beta", 0.9)
    params, velocity, out = list(init), [0.0] * len(init), []
    for g, lr in zip(grads, lrs):
        velocity = [beta * v + gi for v, gi in zip(velocity, g)]
        params = [p - lr * v for p, v in zip(params, velocity)]
        out.append(params)
    return out


def adam_steps(init, grads, lrs, options):
    beta1, beta2 = options.get("betas", (0.9, 0.999))
    eps = options.get("eps", 1e-8)
    params, m, v, out = list(init), [0.0] * len(init), [0.0] * len(init), []
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        m = [beta1 * mi + (1 - beta1) * gi for mi, gi in zip(m, g)]
        v = [beta2 * vi + (1 - beta2) * gi * gi for vi, gi in zip(v, g)]
        c1, c2 = 1 - beta1**t, 1 - beta2**t
        params = [
            p - lr * (mi / c1) / (math.sqrt(vi / c2) + eps) for p, mi, vi in zip(params, m, v)
        ]
        out.append(params)
    return out


RULES = {"SGD": sgd_steps, "Momentum": momentum_steps, "Adam": adam_steps}


def uses(kind, *methods):
    """The `uses` marker: optim.<kind> and the named methods of it."""
    return pytest.mark.uses(f"optim.{kind}", *(f"optim.{kind}.{m}" for m in methods))


def signature(kind, options):
    return f"{kind}({', '.join(f'{k}={v}' for k, v in options.items())})"


def random_run(rng, n_steps):
    n = rng.randint(3, 6)
    init = [rng.uniform(-2, 2) for _ in range(n)]
    grads = [
        [rng.uniform(-1, 1) * rng.choice([0.1, 1, 3]) for _ in range(n)] for _ in range(n_steps)
    ]
    return init, grads


def check_optimizer(student, kind, options, init, grads, lrs=None):
    """Run the student's optimizer and compare the parameters after every step."""
    constant = options.get("lr", 0.01)  # Adam's default lr
    expected = RULES[kind](init, grads, lrs or [constant] * len(grads), options)
    reply = as_record(
        student.call(
            "optim.optimizer", kind=kind, init=init, grads=grads, options=options, lrs=lrs
        ),
        ("steps", "zeroed"),
        kind,
    )
    steps = as_list(reply["steps"], len(grads), f"{kind}: the parameters after each step")
    start = ", ".join(f"{p:.4g}" for p in init)
    what = f"{signature(kind, options)} on parameters starting at [{start}]"
    for k, (got, want) in enumerate(zip(steps, expected)):
        change = f" (opt.lr set to {lrs[k]:g} before this step)" if lrs else ""
        assert_all_close(
            got,
            want,
            f"{what} with grads chosen by the grader, after step {k + 1}{change}",
            labels=[f"p[{i}].data" for i in range(len(init))],
        )
    return reply


@pytest.mark.part("sgd")
@pytest.mark.points(2)
@uses("SGD", "step")
def test_sgd_steps(student, rng):
    """SGD: several steps"""
    for _ in range(2):
        init, grads = random_run(rng, 4)
        check_optimizer(student, "SGD", {"lr": round(rng.uniform(0.01, 0.5), 4)}, init, grads)


@pytest.mark.part("momentum")
@pytest.mark.points(3)
@uses("Momentum", "step")
def test_momentum_steps(student, rng):
    """Momentum: several steps (v = beta·v + g; p -= lr·v)"""
    init, grads = random_run(rng, 5)
    options = {"lr": round(rng.uniform(0.01, 0.3), 4), "beta": rng.choice([0.5, 0.8, 0.95])}
    check_optimizer(student, "Momentum", options, init, grads)
    init, grads = random_run(rng, 5)
    check_optimizer(student, "Momentum", {"lr": round(rng.uniform(0.01, 0.3), 4)}, init, grads)


@pytest.mark.part("adam")
@pytest.mark.points(4)
@uses("Adam", "step")
def test_adam_steps(student, rng):
    """Adam: several steps, bias-corrected as in PyTorch"""
    init, grads = random_run(rng, 6)
    options = {
        "lr": round(rng.uniform(0.01, 0.3), 4),
        "betas": [rng.choice([0.8, 0.85, 0.9]), rng.choice([0.99, 0.995, 0.999])],
        "eps": rng.choice([1e-8, 1e-6]),
    }
    check_optimizer(student, "Adam", options, init, grads)
    init, grads = random_run(rng, 6)
    check_optimizer(student, "Adam", {}, init, grads)  # the defaults: lr=0.01, (0.9, 0.999), 1e-8
    # PyTorch takes any betas in [0, 1); below 0.5 a stand-in for 1 - beta such as 1 % beta,
    # which agrees above 0.5, shows (measured: benchmarks/mutation.py).
    init, grads = random_run(rng, 4)
    check_optimizer(student, "Adam", {"lr": 0.1, "betas": [0.3, 0.45]}, init, grads)


@pytest.mark.points(0.5)
@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, id=k, marks=[uses(k, "step"), pytest.mark.part(k.lower())]) for k in RULES],
)
def test_lr_read_at_every_step(student, rng, kind):
    """{param}: reads opt.lr at every step (a scheduler changes it between steps)"""
    init, grads = random_run(rng, 4)
    lrs = [round(rng.uniform(0.01, 0.3), 4) for _ in grads]
    check_optimizer(student, kind, {"lr": lrs[0]}, init, grads, lrs=lrs)


@pytest.mark.points(0.5)
@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(k, id=k, marks=[uses(k, "zero_grad"), pytest.mark.part(k.lower())])
        for k in RULES
    ],
)
def test_zero_grad(student, rng, kind):
    """{param}: zero_grad sets every gradient to 0"""
    # No step: a wrong (or missing) step() is checked elsewhere and costs nothing here.
    init, grads = random_run(rng, 1)
    reply = as_record(
        student.call(
            "optim.optimizer", kind=kind, init=init, grads=grads, options={"lr": 0.1}, step=False
        ),
        ("steps", "zeroed"),
        kind,
    )
    assert_all_close(
        reply["zeroed"],
        [0.0] * len(init),
        f"{kind}(lr=0.1) on parameters with nonzero grads, then zero_grad()",
        labels=[f"p[{i}].grad" for i in range(len(init))],
    )


# --- schedulers: closed forms from the lr the optimizer had when the scheduler was built -------


def step_lr(base, epoch, step_size, gamma=0.1):
    return base * gamma ** (epoch // step_size)


def exponential_lr(base, epoch, gamma):
    return base * gamma**epoch


def cosine_lr(base, epoch, T_max, eta_min=0.0):
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * epoch / T_max)) / 2


SCHEDULES = {"StepLR": step_lr, "ExponentialLR": exponential_lr, "CosineAnnealingLR": cosine_lr}


def check_schedule(student, kind, base, options, epochs):
    reply = as_record(
        student.call("optim.scheduler", kind=kind, base_lr=base, options=options, epochs=epochs),
        ("lrs",),
        kind,
    )
    lrs = as_list(reply["lrs"], epochs + 1, f"{kind}: opt.lr after each step")
    arguments = ", ".join(["opt"] + [f"{k}={v}" for k, v in options.items()])
    what = f"{kind}({arguments}) with opt.lr={base:g}"
    assert_close(lrs[0], base, f"{what}: building the scheduler must leave opt.lr alone; opt.lr")
    for epoch in range(1, epochs + 1):
        assert_close(
            lrs[epoch],
            SCHEDULES[kind](base, epoch, **options),
            f"{what}: opt.lr after {epoch} call{'s' if epoch > 1 else ''} of step()",
        )


def base_lr(rng):
    return round(rng.uniform(0.1, 2.0), 4)


@pytest.mark.part("schedulers")
@pytest.mark.points(2)
@uses("StepLR", "step")
def test_step_lr(student, rng):
    """StepLR: lr = base·gamma^(epoch // step_size)"""
    step_size = rng.randint(2, 4)
    check_schedule(
        student,
        "StepLR",
        base_lr(rng),
        {"step_size": step_size, "gamma": rng.choice([0.3, 0.5, 0.7])},
        3 * step_size + 1,
    )
    check_schedule(student, "StepLR", base_lr(rng), {"step_size": 2}, 5)  # default gamma 0.1


@pytest.mark.part("schedulers")
@pytest.mark.points(1)
@uses("ExponentialLR", "step")
def test_exponential_lr(student, rng):
    """ExponentialLR: lr = base·gamma^epoch"""
    check_schedule(
        student, "ExponentialLR", base_lr(rng), {"gamma": rng.choice([0.5, 0.8, 0.95])}, 6
    )


@pytest.mark.part("schedulers")
@pytest.mark.points(2)
@uses("CosineAnnealingLR", "step")
def test_cosine_annealing_lr(student, rng):
    """CosineAnnealingLR: half a cosine from base to eta_min over T_max epochs"""
    T_max = rng.randint(5, 9)
    check_schedule(
        student,
        "CosineAnnealingLR",
        base_lr(rng),
        {"T_max": T_max, "eta_min": rng.choice([0.001, 0.01, 0.05])},
        T_max,
    )
    T_max = rng.randint(3, 6)
    check_schedule(student, "CosineAnnealingLR", base_lr(rng), {"T_max": T_max}, T_max)


# --- clipping -----------------------------------------------------------------------------------


def clip_case(rng):
    grads = [rng.uniform(-3, 3) for _ in range(rng.randint(3, 8))]
    return grads, math.sqrt(sum(g * g for g in grads))


@pytest.mark.part("clipping")
@pytest.mark.points(2)
@pytest.mark.uses("optim.clip_grad_norm")
def test_clip_grad_norm(student, rng):
    """clip_grad_norm: scales the gradients to max_norm and returns the norm before clipping"""
    # max_norm below the norm (clips), a little above it and far above it (leaves the grads).
    for low, high in ((0.2, 0.8), (1.05, 1.6), (2, 3), (0.2, 0.8)):
        grads, norm = clip_case(rng)
        max_norm = round(norm * rng.uniform(low, high), 4)
        factor = max_norm / (norm + 1e-6)
        expected = [g * factor for g in grads] if factor < 1 else grads
        reply = as_record(
            student.call("optim.clip_norm", grads=grads, max_norm=max_norm),
            ("returned", "grads"),
            "clip_grad_norm",
        )
        shown = [round(g, 4) for g in grads]
        call = f"clip_grad_norm(params with grads {shown}, max_norm={max_norm:g})"
        assert_close(reply["returned"], norm, f"{call} returned", rel=CLIP_REL)
        assert_all_close(
            reply["grads"],
            expected,
            f"after {call}",
            rel=CLIP_REL,
            labels=[f"p[{i}].grad" for i in range(len(grads))],
        )


@pytest.mark.part("clipping")
@pytest.mark.points(1)
@pytest.mark.uses("optim.clip_grad_value")
def test_clip_grad_value(student, rng):
    """clip_grad_value: clamps every gradient into [-clip_value, clip_value]"""
    for _ in range(2):
        grads = [rng.uniform(-3, 3) for _ in range(rng.randint(4, 8))]
        grads[0], grads[1] = rng.uniform(2.1, 3), rng.uniform(-3, -2.1)  # both ends get clamped
        clip = round(rng.uniform(0.5, 2), 4)
        reply = as_record(
            student.call("optim.clip_value", grads=grads, clip_value=clip),
            ("returned_none", "grads"),
            "clip_grad_value",
        )
        call = f"clip_grad_value(params with grads {[round(g, 4) for g in grads]}, {clip:g})"
        assert_all_close(
            reply["grads"],
            [max(-clip, min(clip, g)) for g in grads],
            f"after {call}",
            labels=[f"p[{i}].grad" for i in range(len(grads))],
        )
        check(reply["returned_none"] is True, f"{call} should return None")
