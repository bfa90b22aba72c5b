"""Lesson 1 — derivatives

Public self-check: the course's worked examples, with fixed inputs. Passing them is a good sign;
the grader also runs hidden checks on random inputs.
"""

from words import expect_close

from micrograd.derivatives import chain_rule, numerical_derivative, numerical_gradient


def test_slope_of_worked_example():
    """f(x) = 3x² − 4x + 5 has f'(x) = 6x − 4, so f'(3) = 14 (and f'(2/3) = 0, the minimum)."""

    def f(x):
        return 3 * x**2 - 4 * x + 5

    expect_close(numerical_derivative(f, 3.0), 14.0, "numerical_derivative(f, 3.0)")
    expect_close(numerical_derivative(f, 2 / 3), 0.0, "numerical_derivative(f, 2 / 3)")
    expect_close(numerical_derivative(f, -3.0), -22.0, "numerical_derivative(f, -3.0)")


def test_gradient_of_a_times_b_plus_c():
    """d = a·b + c at a = 2, b = −3, c = 10: ∂d/∂a = b = −3, ∂d/∂b = a = 2, ∂d/∂c = 1."""
    grads = numerical_gradient(lambda a, b, c: a * b + c, [2.0, -3.0, 10.0])
    assert len(grads) == 3, f"numerical_gradient: expected 3 partials, got {len(grads)}"
    for got, expected, x in zip(grads, [-3.0, 2.0, 1.0], "abc"):
        expect_close(got, expected, f"numerical_gradient(a·b + c at 2, −3, 10): ∂d/∂{x}")


def test_chain_rule_by_hand():
    """(f ∘ g)(x) with f(u) = u² and g(x) = 3x² − 4x + 5: at x = 3, g = 20 and g' = 14, so the
    derivative is 2 · 20 · 14 = 560."""
    derivative = chain_rule(
        df=lambda u: 2 * u, g=lambda x: 3 * x**2 - 4 * x + 5, dg=lambda x: 6 * x - 4
    )
    expect_close(derivative(3.0), 560.0, "chain_rule(...)(3.0)")
    expect_close(derivative(0.0), 2 * 5 * -4, "chain_rule(...)(0.0)")
