"""Lesson 1: derivatives by finite differences."""


def numerical_derivative(f, x, h=1e-6):
    # central difference: the error shrinks like h**2 instead of h
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, xs, h=1e-6):
    grads = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        grads.append((f(*up) - f(*down)) / (2 * h))
    return grads


def chain_rule(df, g, dg):
    return lambda x: df(g(x)) * dg(x)
