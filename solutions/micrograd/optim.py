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
        ### BEGIN SOLUTION
        for p in self.params:
            p.grad = 0.0
        ### END SOLUTION

    def step(self):
        raise NotImplementedError


class SGD(Optimizer):
    """Plain gradient descent: p -= lr · g."""

    def step(self):
        ### BEGIN SOLUTION
        for p in self.params:
            p.data -= self.lr * p.grad
        ### END SOLUTION


class Momentum(Optimizer):
    """Gradient descent with a velocity: v = beta·v + g; p -= lr·v.

    The velocity remembers past gradients, so steps speed up along directions that stay
    consistent and oscillations across a narrow valley cancel out.
    """

    def __init__(self, params, lr, beta=0.9):
        super().__init__(params, lr)
        ### BEGIN SOLUTION
        self.beta = beta
        self.velocity = [0.0] * len(self.params)
        ### END SOLUTION

    def step(self):
        ### BEGIN SOLUTION
        for i, p in enumerate(self.params):
            self.velocity[i] = self.beta * self.velocity[i] + p.grad
            p.data -= self.lr * self.velocity[i]
        ### END SOLUTION


class Adam(Optimizer):
    """Adam: momentum on the gradient (m) and a per-parameter step size from the running mean of
    g² (v), both bias-corrected because they start at zero."""

    def __init__(self, params, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
        ### BEGIN SOLUTION
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.t = 0
        ### END SOLUTION

    def step(self):
        ### BEGIN SOLUTION
        self.t += 1
        correction1 = 1 - self.beta1**self.t
        correction2 = 1 - self.beta2**self.t
        for i, p in enumerate(self.params):
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * p.grad
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * p.grad**2
            m_hat = self.m[i] / correction1
            v_hat = self.v[i] / correction2
            p.data -= self.lr * m_hat / (math.sqrt(v_hat) + self.eps)
        ### END SOLUTION


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
        ### BEGIN SOLUTION
        return self.base_lr * self.gamma ** (epoch // self.step_size)
        ### END SOLUTION


class ExponentialLR(LRScheduler):
    """Multiply the lr by gamma every epoch: base · gamma^epoch."""

    def __init__(self, optimizer, gamma):
        super().__init__(optimizer)
        self.gamma = gamma

    def lr_at(self, epoch):
        ### BEGIN SOLUTION
        return self.base_lr * self.gamma**epoch
        ### END SOLUTION


class CosineAnnealingLR(LRScheduler):
    """Glide from the base lr down to eta_min along half a cosine over T_max epochs:
    eta_min + (base - eta_min) · (1 + cos(π · epoch / T_max)) / 2."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        super().__init__(optimizer)
        self.T_max = T_max
        self.eta_min = eta_min

    def lr_at(self, epoch):
        ### BEGIN SOLUTION
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cosine
        ### END SOLUTION


def clip_grad_norm(params, max_norm):
    """Scale all gradients together so that their total norm √Σg² is at most max_norm (PyTorch's
    rule, with 1e-6 guarding the division). Returns the norm before clipping."""
    ### BEGIN SOLUTION
    params = list(params)
    norm = math.sqrt(sum(p.grad**2 for p in params))
    factor = max_norm / (norm + 1e-6)
    if factor < 1:
        for p in params:
            p.grad *= factor
    return norm
    ### END SOLUTION


def clip_grad_value(params, clip_value):
    """Clamp every gradient into [-clip_value, clip_value]."""
    ### BEGIN SOLUTION
    for p in params:
        p.grad = max(-clip_value, min(clip_value, p.grad))
    ### END SOLUTION
