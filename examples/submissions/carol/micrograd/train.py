"""Lesson 6: training loop, accuracy and an optimizer comparison."""
import random
from dataclasses import dataclass, field

from micrograd.data import batches
from micrograd.losses import binary_cross_entropy, hinge_loss, l2_regularization, mse_loss
from micrograd.nn import MLP
from micrograd.optim import SGD, Adam, Momentum, clip_grad_norm

OPTIMIZERS = {'sgd': SGD, 'momentum': Momentum, 'adam': Adam}


@dataclass
class History:
    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)

    @property
    def best_epoch(self):
        return self.val_loss.index(min(self.val_loss))

    @property
    def best_val_loss(self):
        return min(self.val_loss)


def accuracy(model, X, y):
    hits = sum((1 if model(x).data > 0 else -1) == label for x, label in zip(X, y))
    return hits / len(X)


def data_loss(scores, labels, loss):
    if loss == 'hinge':
        return hinge_loss(scores, labels)
    if loss == 'mse':
        return mse_loss(scores, labels)
    if loss == 'bce':
        return binary_cross_entropy([s.sigmoid() for s in scores], [(t + 1) / 2 for t in labels])
    raise ValueError(f"unknown loss {loss!r}")


def objective(model, X, y, loss, alpha):
    scores = [model(x) for x in X]
    return data_loss(scores, y, loss) + l2_regularization(model.parameters(), alpha)


def train(model, optimizer, X_train, y_train, X_val, y_val, epochs, batch_size, loss='hinge',
          alpha=1e-4, scheduler=None, clip_norm=None):
    history = History()
    for epoch in range(epochs):
        total = 0.0
        for X_batch, y_batch in batches(X_train, y_train, batch_size, shuffle=True, seed=epoch):
            optimizer.zero_grad()
            value = objective(model, X_batch, y_batch, loss, alpha)
            value.backward()
            if clip_norm is not None:
                clip_grad_norm(model.parameters(), clip_norm)
            optimizer.step()
            total += value.data * len(y_batch)
        history.train_loss.append(total / len(y_train))
        history.val_loss.append(objective(model, X_val, y_val, loss, alpha).data)
        history.val_accuracy.append(accuracy(model, X_val, y_val))
        if scheduler is not None:
            scheduler.step()
    return history


def benchmark_optimizers(X_train, y_train, X_val, y_val, optimizers=("SGD", "Momentum", "Adam"),
                         hidden=(8, 8), lr=0.05, epochs=20, batch_size=16, seed=0, loss="hinge",
                         alpha=1e-4):
    rows = []
    for name in optimizers:
        random.seed(seed)  # every optimizer starts from the same weights
        model = MLP(len(X_train[0]), list(hidden) + [1])
        optimizer = OPTIMIZERS[name.lower()](model.parameters(), lr=lr)
        history = train(model, optimizer, X_train, y_train, X_val, y_val, epochs, batch_size,
                        loss=loss, alpha=alpha)
        rows.append({'optimizer': name, 'final_train_loss': history.train_loss[-1],
                     'final_val_loss': history.val_loss[-1],
                     'best_val_loss': history.best_val_loss, 'best_epoch': history.best_epoch})
    return rows
