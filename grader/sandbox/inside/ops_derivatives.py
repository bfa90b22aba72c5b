"""Worker requests for lesson 1 (micrograd/derivatives.py). Stdlib only; runs in the worker.

Functions are sent as expression specs (see specs.py) and handed to the student's code as
plain Python callables; results go back unconverted (the trusted side validates them).
"""

from . import specs


def derivative(expr, x, h=None):
    from micrograd.derivatives import numerical_derivative

    f = specs.as_function(expr)
    return numerical_derivative(f, x) if h is None else numerical_derivative(f, x, h)


def gradient(expr, xs, h=None):
    from micrograd.derivatives import numerical_gradient

    f = specs.as_function(expr, arity=len(xs))
    result = numerical_gradient(f, list(xs)) if h is None else numerical_gradient(f, list(xs), h)
    return list(result) if isinstance(result, tuple) else result


def chain(df, g, dg, xs):
    """Build chain_rule(df, g, dg) once and evaluate the callable it returns at every x."""
    from micrograd.derivatives import chain_rule

    d = chain_rule(specs.as_function(df), specs.as_function(g), specs.as_function(dg))
    return [d(x) for x in xs]


OPS = {
    "derivatives.derivative": derivative,
    "derivatives.gradient": gradient,
    "derivatives.chain": chain,
}
