"""Lesson 6 (part 2) — training: put the engine, the network, a loss and an optimizer together.

One training step: zero the gradients, run the model forward, measure the loss (plus an L2
penalty), backpropagate, optionally clip, and let the optimizer move the weights. After each
epoch we measure the loss and accuracy on held-back validation data, which tells us whether the
model learns the moons or merely memorises the training points.
"""

import random
from dataclasses import dataclass, field

from .data import batches
from .losses import binary_cross_entropy, hinge_loss, l2_regularization, mse_loss
from .nn import MLP
from .optim import SGD, Adam, Momentum, clip_grad_norm


@dataclass
class History:
    """What happened during training, one entry per epoch.

    train_loss[e]: the batch objectives of epoch e (the loss plus the L2 term, each as computed
    in its step, before optimizer.step()) averaged over the training points, each batch's
    weighted by its number of points: Σ objective · len(batch) / len(X_train).
    val_loss[e]: the objective (loss plus L2) on the whole validation set after epoch e;
    val_accuracy[e]: the accuracy there. best_val_loss: the smallest val_loss; best_epoch:
    its 0-based index, the first one when several epochs tie.
    """

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    best_val_loss: float = float("inf")
    best_epoch: int = -1


def predict(score):
    """The class a score stands for: +1 when positive, otherwise -1."""
    return 1 if score > 0 else -1


def accuracy(model, X, y):
    """The fraction (in [0, 1]) of points whose predicted class is their label: a score > 0
    predicts +1, otherwise (0 included) -1."""
    # YOUR CODE HERE
    raise NotImplementedError()


def data_loss(scores, y, loss):
    """The loss of scores against labels ±1: 'hinge', 'mse' (the score against ±1) or 'bce'
    (sigmoid(score) against (y + 1) / 2, i.e. labels 0/1)."""
    # YOUR CODE HERE
    raise NotImplementedError()


def objective(model, X, y, loss, alpha):
    """Run the model on X; return its scores and what training minimises: the loss plus the L2
    penalty on the model's parameters."""
    # YOUR CODE HERE
    raise NotImplementedError()


def train(
    model,
    optimizer,
    X_train,
    y_train,
    X_val,
    y_val,
    epochs,
    batch_size,
    loss="hinge",
    alpha=1e-4,
    scheduler=None,
    clip_norm=None,
):
    """Train `model` for `epochs` epochs of mini-batches and return its History.

    Each epoch goes over batches(X_train, y_train, batch_size) and, per batch step, in this
    order: optimizer.zero_grad(); forward (the model's scores); the objective = the loss
    ('hinge', 'mse' or 'bce', see data_loss) + l2_regularization(model.parameters(), alpha);
    backward(); clip_grad_norm(parameters, clip_norm) when clip_norm is not None;
    optimizer.step(). After the epoch: validation (val_loss, val_accuracy), then
    scheduler.step() if a scheduler is given. History says what each field holds.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def benchmark_optimizers(
    X_train,
    y_train,
    X_val,
    y_val,
    optimizers=("SGD", "Momentum", "Adam"),
    hidden=(8, 8),
    lr=0.05,
    epochs=20,
    batch_size=16,
    seed=0,
    loss="hinge",
    alpha=1e-4,
):
    """Train the same model from the same starting weights once per optimizer; only the optimizer
    changes. Returns one row per optimizer.

    The same split, architecture MLP(nin, [*hidden, 1]), lr, epochs, batch_size, loss and alpha
    for all; random.seed(seed) right before building each model gives every optimizer the same
    starting weights. `optimizers` holds names: 'SGD', 'Momentum', 'Adam' (any case). Each row
    is a dict
    {optimizer (its name), final_train_loss, final_val_loss, best_val_loss, best_epoch}.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
