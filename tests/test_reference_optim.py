"""The reference optimizers, schedulers and clipping follow PyTorch step by step.

The expected sequences below were produced once with torch 2.13.0 (float64) on the same
parameters and gradients (torch.optim.SGD / SGD(momentum=0.9) / Adam, torch.optim.lr_scheduler,
torch.nn.utils.clip_grad_norm_ / clip_grad_value_); torch is not needed to run these tests.
"""

import pytest

P0 = [0.5, -1.2, 2.0]
GRADS = [
    [0.3, -0.8, 1.5],
    [-0.1, 0.4, 0.9],
    [0.7, 0.2, -0.6],
    [0.05, -0.3, 0.25],
    [-0.45, 0.6, 0.1],
]

TORCH_SGD = [
    [0.47, -1.12, 1.85],
    [0.48, -1.16, 1.76],
    [0.41, -1.18, 1.82],
    [0.405, -1.15, 1.795],
    [0.45, -1.21, 1.785],
]
TORCH_MOMENTUM = [
    [0.47, -1.12, 1.85],
    [0.453, -1.088, 1.625],
    [0.3677, -1.0792, 1.4825],
    [0.28593, -1.04128, 1.32925],
    [0.257337, -1.067152, 1.181325],
]
TORCH_ADAM = [
    [0.490000000333333, -1.190000000125, 1.990000000066667],
    [0.485997814792808, -1.187336629770514, 1.980425098382719],
    [0.47890257503391, -1.186722741154201, 1.975498884895887],
    [0.472725145055797, -1.184434870619197, 1.970720605416397],
    [0.470974342122008, -1.185678988742028, 1.966395275964293],
]
TORCH_ADAM_CUSTOM = [  # lr=0.05, betas=(0.8, 0.99), eps=1e-6
    [0.450000166666111, -1.150000062499922, 1.950000033333311],
    [0.432573541106912, -1.139443226815966, 1.902784506780863],
    [0.395180408096105, -1.139754150068793, 1.881999056276966],
    [0.364419757778984, -1.129391334980945, 1.861674194964293],
    [0.360334108032969, -1.140109070173777, 1.843900265229502],
]
# lr after each of 10 scheduler steps, from lr = 0.1
TORCH_STEP_LR = [
    0.1,
    0.1,
    0.05,
    0.05,
    0.05,
    0.025,
    0.025,
    0.025,
    0.0125,
    0.0125,
]  # step_size=3, gamma=0.5
TORCH_EXPONENTIAL_LR = [
    0.09,
    0.081,
    0.0729,
    0.06561,
    0.059049,
    0.0531441,
    0.04782969,
    0.043046721,
    0.0387420489,
    0.03486784401,
]  # gamma=0.9
TORCH_COSINE_LR = [
    0.09757729755661011,
    0.0905463412215599,
    0.07959536998847742,
    0.0657963412215599,
    0.0505,
    0.03520365877844011,
    0.02140463001152259,
    0.010453658778440109,
    0.0034227024433899004,
    0.001,
]  # T_max=10, eta_min=0.001


class Param:
    """Anything with .data and .grad is a parameter to the optimizers."""

    def __init__(self, data):
        self.data, self.grad = data, 0.0


def run(make_optimizer):
    params = [Param(x) for x in P0]
    optimizer = make_optimizer(params)
    trajectory = []
    for grads in GRADS:
        optimizer.zero_grad()
        for p, g in zip(params, grads):
            p.grad = g
        optimizer.step()
        trajectory.append([p.data for p in params])
    return trajectory


@pytest.mark.parametrize(
    "name, make, expected",
    [
        ("SGD", lambda o, ps: o.SGD(ps, lr=0.1), TORCH_SGD),
        ("Momentum", lambda o, ps: o.Momentum(ps, lr=0.1, beta=0.9), TORCH_MOMENTUM),
        ("Adam", lambda o, ps: o.Adam(ps, lr=0.01), TORCH_ADAM),
        (
            "Adam custom",
            lambda o, ps: o.Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6),
            TORCH_ADAM_CUSTOM,
        ),
    ],
)
def test_optimizer_matches_pytorch_step_by_step(reference, name, make, expected):
    trajectory = run(lambda ps: make(reference.optim, ps))
    for step, (got, want) in enumerate(zip(trajectory, expected)):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12), f"{name}, step {step + 1}"


def test_learning_rate_is_read_at_every_step(reference):
    p = Param(1.0)
    optimizer = reference.optim.SGD([p], lr=0.1)
    p.grad = 1.0
    optimizer.step()
    optimizer.lr = 0.5
    optimizer.step()
    assert p.data == pytest.approx(1.0 - 0.1 - 0.5)


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda o, opt: o.StepLR(opt, step_size=3, gamma=0.5), TORCH_STEP_LR),
        (lambda o, opt: o.ExponentialLR(opt, gamma=0.9), TORCH_EXPONENTIAL_LR),
        (lambda o, opt: o.CosineAnnealingLR(opt, T_max=10, eta_min=0.001), TORCH_COSINE_LR),
    ],
)
def test_scheduler_matches_pytorch(reference, make, expected):
    optimizer = reference.optim.SGD([Param(0.0)], lr=0.1)
    scheduler = make(reference.optim, optimizer)
    assert optimizer.lr == 0.1  # building a scheduler leaves the lr alone
    lrs = []
    for _ in expected:
        scheduler.step()
        lrs.append(optimizer.lr)
    assert lrs == pytest.approx(expected, rel=1e-12)


def test_clip_grad_norm_matches_pytorch(reference):
    params = [Param(0.0) for _ in range(3)]
    for p, g in zip(params, [3.0, -4.0, 12.0]):
        p.grad = g
    norm = reference.optim.clip_grad_norm(params, max_norm=5.0)
    assert norm == pytest.approx(13.0)
    assert [p.grad for p in params] == pytest.approx(
        [1.1538460650887643, -1.5384614201183524, 4.615384260355057], rel=1e-12
    )


def test_clip_grad_norm_leaves_small_gradients_alone(reference):
    params = [Param(0.0) for _ in range(3)]
    for p, g in zip(params, [0.3, -0.4, 0.0]):
        p.grad = g
    assert reference.optim.clip_grad_norm(params, max_norm=5.0) == pytest.approx(0.5)
    assert [p.grad for p in params] == [0.3, -0.4, 0.0]


def test_clip_grad_value_matches_pytorch(reference):
    params = [Param(0.0) for _ in range(3)]
    for p, g in zip(params, [3.0, -4.0, 12.0]):
        p.grad = g
    assert reference.optim.clip_grad_value(params, 5.0) is None
    assert [p.grad for p in params] == [3.0, -4.0, 5.0]
