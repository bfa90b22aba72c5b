"""Lesson 5: optimizers, learning-rate schedules and gradient clipping."""
import math


class Optimizer:
    def __init__(self, params, lr):
        self.params = list(params)
        self.lr = lr

    def zero_grad(self):
        for p in self.params:
            p.grad = 0.0


class SGD(Optimizer):
    def step(self):
        for p in self.params:
            p.data -= self.lr * p.grad


class Momentum(Optimizer):
    def __init__(self, params, lr, beta=0.9):
        super().__init__(params, lr)
        self.beta = beta
        self.velocity = [0.0] * len(self.params)

    def step(self):
        for i, p in enumerate(self.params):
            self.velocity[i] = self.beta * self.velocity[i] + p.grad
            p.data -= self.lr * self.velocity[i]


class Adam(Optimizer):
    def __init__(self, params, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.t = 0

    def step(self):
        self.t += 1
        for i, p in enumerate(self.params):
            g = p.grad
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g * g
            m_hat = self.m[i] / (1 - self.beta1 ** self.t)
            v_hat = self.v[i] / (1 - self.beta2 ** self.t)
            p.data -= self.lr * m_hat / (math.sqrt(v_hat) + self.eps)


class Scheduler:
    """Sets opt.lr from a closed form of the epoch count; the base lr is read once."""

    def __init__(self, opt):
        self.opt = opt
        self.base_lr = opt.lr
        self.epoch = 0

    def step(self):
        self.epoch += 1
        self.opt.lr = self.lr_at(self.epoch)


class StepLR(Scheduler):
    def __init__(self, opt, step_size, gamma=0.1):
        super().__init__(opt)
        self.step_size, self.gamma = step_size, gamma

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(Scheduler):
    def __init__(self, opt, gamma):
        super().__init__(opt)
        self.gamma = gamma

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** epoch


class CosineAnnealingLR(Scheduler):
    def __init__(self, opt, T_max, eta_min=0.0):
        super().__init__(opt)
        self.T_max, self.eta_min = T_max, eta_min

    def lr_at(self, epoch):
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cosine


def clip_grad_norm(params, max_norm):
    params = list(params)
    norm = math.sqrt(sum(p.grad ** 2 for p in params))
    scale = max_norm / (norm + 1e-6)
    if scale < 1:
        for p in params:
            p.grad *= scale
    return norm


def clip_grad_value(params, clip_value):
    for p in params:
        p.grad = min(max(p.grad, -clip_value), clip_value)
