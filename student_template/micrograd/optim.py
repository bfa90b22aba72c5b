"""Lesson 5 — optimizers: how to turn gradients into better weights.

An optimizer owns a list of parameters (anything with `.data` and `.grad`) and a learning rate
`lr`, read afresh at every step so that a scheduler can change it between epochs. The formulas
are PyTorch's, so results can be compared with `torch.optim` step by step.
"""

import math


class Optimizer:
    """The parts every optimizer shares: the parameters, the learning rate, zero_grad()."""

    def __init__(self, params, lr):
        self.params = list(params)
        self.lr = lr

    def zero_grad(self):
        # YOUR CODE HERE
        raise NotImplementedError()

    def step(self):
        raise NotImplementedError


class SGD(Optimizer):
    """Plain gradient descent: p -= lr · g."""

    def step(self):
        # YOUR CODE HERE
        raise NotImplementedError()


class Momentum(Optimizer):
    """Gradient descent with a velocity: v = beta·v + g; p -= lr·v.

    The velocity remembers past gradients, so steps speed up along directions that stay
    consistent and oscillations across a narrow valley cancel out.
    """

    def __init__(self, params, lr, beta=0.9):
        super().__init__(params, lr)
        # YOUR CODE HERE
        raise NotImplementedError()

    def step(self):
        # YOUR CODE HERE
        raise NotImplementedError()


class Adam(Optimizer):
    """Adam: momentum on the gradient (m) and a per-parameter step size from the running mean of
    g² (v), both bias-corrected because they start at zero."""

    def __init__(self, params, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
        # YOUR CODE HERE
        raise NotImplementedError()

    def step(self):
        # YOUR CODE HERE
        raise NotImplementedError()


class LRScheduler:
    """Sets `optimizer.lr` once per epoch from a closed formula of the epoch number and of the lr
    the optimizer had when the scheduler was built."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def step(self):
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)

    def lr_at(self, epoch):
        raise NotImplementedError


class StepLR(LRScheduler):
    """Multiply the lr by gamma every step_size epochs: base · gamma^(epoch // step_size)."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        super().__init__(optimizer)
        self.step_size = step_size
        self.gamma = gamma

    def lr_at(self, epoch):
        # YOUR CODE HERE
        raise NotImplementedError()


class ExponentialLR(LRScheduler):
    """Multiply the lr by gamma every epoch: base · gamma^epoch."""

    def __init__(self, optimizer, gamma):
        super().__init__(optimizer)
        self.gamma = gamma

    def lr_at(self, epoch):
        # YOUR CODE HERE
        raise NotImplementedError()


class CosineAnnealingLR(LRScheduler):
    """Glide from the base lr down to eta_min along half a cosine over T_max epochs:
    eta_min + (base - eta_min) · (1 + cos(π · epoch / T_max)) / 2."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        super().__init__(optimizer)
        self.T_max = T_max
        self.eta_min = eta_min

    def lr_at(self, epoch):
        # YOUR CODE HERE
        raise NotImplementedError()


def clip_grad_norm(params, max_norm):
    """Scale all gradients together so that their total norm √Σg² is at most max_norm (PyTorch's
    rule, with 1e-6 guarding the division). Returns the norm before clipping."""
    # YOUR CODE HERE
    raise NotImplementedError()


def clip_grad_value(params, clip_value):
    """Clamp every gradient into [-clip_value, clip_value]."""
    # YOUR CODE HERE
    raise NotImplementedError()
