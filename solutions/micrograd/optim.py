"""Lesson 5 — optimizers: how to turn gradients into better weights.

An optimizer owns a list of parameters (any objects with float `.data` and `.grad`, not only
Values) and a learning rate `lr`, read afresh at every step() so that a scheduler (or you) can
change it between steps. The formulas are PyTorch's, so results can be compared with
`torch.optim` step by step. Below, g is a parameter's grad and p its data.
"""

import math


class Optimizer:
    """The parts every optimizer shares: the parameters, the learning rate, zero_grad()."""

    def __init__(self, params, lr):
        self.params = list(params)
        self.lr = lr

    def zero_grad(self):
        """Set the grad of every parameter to 0.0."""
        ### BEGIN SOLUTION
        for p in self.params:
            p.grad = 0.0
        ### END SOLUTION

    def step(self):
        raise NotImplementedError


class SGD(Optimizer):
    """Plain gradient descent: p -= lr · g for every parameter, at every step()."""

    def step(self):
        ### BEGIN SOLUTION
        for p in self.params:
            p.data -= self.lr * p.grad
        ### END SOLUTION


class Momentum(Optimizer):
    """Gradient descent with a velocity: v = beta·v + g; p -= lr·v (v starts at 0, one per
    parameter; no (1 - beta) factor on g).

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
    g² (v), both bias-corrected because they start at zero. As PyTorch states it, step() does

        t += 1                                  (t counts the steps: 1 at the first one)
        m = beta1·m + (1 - beta1)·g             (m and v start at 0, one per parameter)
        v = beta2·v + (1 - beta2)·g²
        m_hat = m / (1 - beta1^t)               (bias correction)
        v_hat = v / (1 - beta2^t)
        p -= lr · m_hat / (√v_hat + eps)        (eps outside the square root)

    with (beta1, beta2) = betas.
    """

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
    the optimizer had when the scheduler was built (the base lr).

    The constructor leaves optimizer.lr alone (epoch 0 is the base lr); each step() advances the
    epoch by one and sets optimizer.lr = lr_at(epoch). Call step() once, at the end of each epoch.
    """

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
    """Multiply the lr by gamma every step_size epochs:
    lr = base · gamma^(epoch // step_size)."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        super().__init__(optimizer)
        self.step_size = step_size
        self.gamma = gamma

    def lr_at(self, epoch):
        ### BEGIN SOLUTION
        return self.base_lr * self.gamma ** (epoch // self.step_size)
        ### END SOLUTION


class ExponentialLR(LRScheduler):
    """Multiply the lr by gamma every epoch: lr = base · gamma^epoch."""

    def __init__(self, optimizer, gamma):
        super().__init__(optimizer)
        self.gamma = gamma

    def lr_at(self, epoch):
        ### BEGIN SOLUTION
        return self.base_lr * self.gamma**epoch
        ### END SOLUTION


class CosineAnnealingLR(LRScheduler):
    """Glide from the base lr down to eta_min along half a cosine over T_max epochs:
    lr = eta_min + (base - eta_min) · (1 + cos(π · epoch / T_max)) / 2."""

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
    """Scale all gradients together so that their total norm is at most max_norm. PyTorch's rule:

        norm = √Σg²  (over all params);  scale = max_norm / (norm + 1e-6)
        if scale < 1: multiply every grad by scale   (otherwise leave the grads alone)

    Returns the norm before clipping, as a float."""
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
    """Clamp every gradient into [-clip_value, clip_value], in place; returns None."""
    ### BEGIN SOLUTION
    for p in params:
        p.grad = max(-clip_value, min(clip_value, p.grad))
    ### END SOLUTION
