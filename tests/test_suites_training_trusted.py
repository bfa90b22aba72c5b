"""The trusted side of the training checks: the plain-float MLP agrees with the reference, and
the moons' random placement is a rigid motion (a learnable problem, the same for every
placement)."""

import math
import random
import warnings

import pytest

from grader.suites import floatnet


def suite_module():
    with warnings.catch_warnings():  # its markers are registered by the runner's own ini only
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        from grader.suites import test_training
    return test_training


@pytest.mark.parametrize("nouts", [[4, 3, 1], [1, 1], [5, 1]])
@pytest.mark.parametrize("loss", ["hinge", "mse", "bce"])
def test_floatnet_computes_what_the_reference_computes(reference, nouts, loss):
    random.seed(len(nouts) * 10 + len(loss))
    net = reference.nn.MLP(2, nouts)
    params = [p.data for p in net.parameters()]
    assert floatnet.n_parameters(2, nouts) == len(params)
    X, y = reference.data.make_moons(30, noise=0.2, seed=3)
    scores, objective = reference.train.objective(net, X, y, loss, 1e-3)
    assert floatnet.scores(params, nouts, X) == pytest.approx([s.data for s in scores], rel=1e-12)
    assert floatnet.objective(params, nouts, X, y, loss, 1e-3) == pytest.approx(
        objective.data, rel=1e-12
    )
    accuracy = floatnet.accuracy(floatnet.scores(params, nouts, X), y)
    assert accuracy == reference.train.accuracy(net, X, y)


def test_floatnet_refuses_a_wrong_number_of_parameters():
    with pytest.raises(ValueError):
        floatnet.scores([0.0] * 8, [2, 1], [[0.0, 0.0]])


def test_bce_is_finite_for_scores_a_log_cannot_take():
    assert math.isfinite(floatnet.data_loss([800.0, -800.0], [-1, 1], "bce"))


def test_placed_moons_are_the_moons_moved_rigidly(reference):
    test_training = suite_module()
    placed = [
        test_training.placed_moons(reference, random.Random(seed), 40, 0.0) for seed in (1, 1, 2)
    ]
    assert placed[0] == placed[1] and placed[0] != placed[2]
    X, y = placed[0]
    assert sorted(y) == [-1] * 20 + [1] * 20
    # Noise 0: each moon's points lie on a circle of radius 1, wherever the moons were placed.
    for label in (-1, 1):
        points = [p for p, lab in zip(X, y) if lab == label]
        ends = max(((p, q) for p in points for q in points), key=lambda pq: math.dist(*pq))
        centre = [(a + b) / 2 for a, b in zip(*ends)]
        assert math.dist(*ends) == pytest.approx(2.0, abs=1e-9)
        assert all(math.dist(p, centre) == pytest.approx(1.0, abs=1e-9) for p in points)


def test_correlation():
    correlation = suite_module().correlation
    assert correlation([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert correlation([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert correlation([1, 2, 3], [5, 5, 5]) == 0.0
