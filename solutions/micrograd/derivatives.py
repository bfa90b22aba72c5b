"""Lesson 1 — the big picture: derivatives.

A derivative says how fast a function's output moves when its input is nudged. Before we let a
machine compute derivatives exactly (lesson 2), we estimate them by nudging: this is also how we
will check every gradient the engine produces.
"""


def numerical_derivative(f, x, h=1e-6):
    """Estimate f'(x) with the central difference (f(x + h) - f(x - h)) / 2h.

    The central difference is accurate to O(h²), the one-sided (f(x + h) - f(x)) / h only to O(h).

    >>> round(numerical_derivative(lambda x: 3 * x**2 - 4 * x + 5, 3.0), 6)
    14.0
    """
    ### BEGIN SOLUTION
    return (f(x + h) - f(x - h)) / (2 * h)
    ### END SOLUTION


def numerical_gradient(f, xs, h=1e-6):
    """Estimate every partial derivative of f(*xs): nudge one input at a time, hold the rest.

    Each partial is a central difference with step h. Returns a list of floats, one per input.

    >>> [round(g, 6) for g in numerical_gradient(lambda a, b: a * b, [2.0, -3.0])]
    [-3.0, 2.0]
    """
    ### BEGIN SOLUTION
    grads = []
    for i in range(len(xs)):
        up = list(xs)
        down = list(xs)
        up[i] += h
        down[i] -= h
        grads.append((f(*up) - f(*down)) / (2 * h))
    return grads
    ### END SOLUTION


def chain_rule(df, g, dg):
    """Return the derivative of x ↦ f(g(x)), given f' (df), g and g' (dg), as a function of x.

    The chain rule: (f ∘ g)'(x) = f'(g(x)) · g'(x). Backpropagation is this rule applied node by
    node, from the output back to the inputs.

    >>> d = chain_rule(df=lambda u: 2 * u, g=lambda x: 3 * x + 1, dg=lambda x: 3)
    >>> d(1.0)   # f(u) = u², g(x) = 3x + 1: 2 · (3 · 1 + 1) · 3
    24.0
    """

    ### BEGIN SOLUTION
    def derivative(x):
        return df(g(x)) * dg(x)

    return derivative
    ### END SOLUTION
