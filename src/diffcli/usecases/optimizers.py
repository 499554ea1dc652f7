"""The update rules of ``descend``: SGD, momentum, Nesterov, AdaGrad, RMSProp and Adam."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

Array = Any


class Hyperparameters(Protocol):
    """What the update rules read from a run's options (``options.DescentOptions``)."""

    @property
    def rule(self) -> str: ...
    @property
    def lr(self) -> float: ...
    @property
    def momentum(self) -> float: ...
    @property
    def rho(self) -> float: ...
    @property
    def beta1(self) -> float: ...
    @property
    def beta2(self) -> float: ...
    @property
    def eps(self) -> float: ...


class Optimizer(Protocol):
    """Updates the flat iterate in place from the gradient there."""

    def update(self, x: Array, gradient: Array) -> None: ...


class SGD:
    """``x ← x − η g`` (the primer's gradient method)."""

    def __init__(self, options: Hyperparameters, size: int) -> None:
        self.lr = options.lr

    def update(self, x: Array, gradient: Array) -> None:
        x -= self.lr * gradient


class Momentum:
    """``v ← μ v − η g; x ← x + v`` (Polyak's heavy ball)."""

    def __init__(self, options: Hyperparameters, size: int) -> None:
        self.lr, self.momentum = options.lr, options.momentum
        self.velocity = np.zeros(size)

    def update(self, x: Array, gradient: Array) -> None:
        self.velocity = self.momentum * self.velocity - self.lr * gradient
        x += self.velocity


class Nesterov:
    """``v ← μ v − η g; x ← x + μ v − η g`` (Nesterov's look-ahead, Sutskever's form)."""

    def __init__(self, options: Hyperparameters, size: int) -> None:
        self.lr, self.momentum = options.lr, options.momentum
        self.velocity = np.zeros(size)

    def update(self, x: Array, gradient: Array) -> None:
        step = self.lr * gradient
        self.velocity = self.momentum * self.velocity - step
        x += self.momentum * self.velocity - step


class AdaGrad:
    """``s ← s + g²; x ← x − η g / (√s + ε)``."""

    def __init__(self, options: Hyperparameters, size: int) -> None:
        self.lr, self.eps = options.lr, options.eps
        self.squares = np.zeros(size)

    def update(self, x: Array, gradient: Array) -> None:
        self.squares += gradient * gradient
        x -= self.lr * gradient / (np.sqrt(self.squares) + self.eps)


class RMSProp:
    """``s ← ρ s + (1−ρ) g²; x ← x − η g / (√s + ε)``."""

    def __init__(self, options: Hyperparameters, size: int) -> None:
        self.lr, self.rho, self.eps = options.lr, options.rho, options.eps
        self.squares = np.zeros(size)

    def update(self, x: Array, gradient: Array) -> None:
        self.squares = self.rho * self.squares + (1 - self.rho) * (gradient * gradient)
        x -= self.lr * gradient / (np.sqrt(self.squares) + self.eps)


class Adam:
    """Kingma & Ba: bias-corrected moments, ``x ← x − η m̂ / (√v̂ + ε)``."""

    def __init__(self, options: Hyperparameters, size: int) -> None:
        self.lr, self.eps = options.lr, options.eps
        self.beta1, self.beta2 = options.beta1, options.beta2
        self.mean = np.zeros(size)
        self.squares = np.zeros(size)
        self.count = 0

    def update(self, x: Array, gradient: Array) -> None:
        self.count += 1
        # in place, and the same roundings as ``beta * m + (1 - beta) * g``
        self.mean *= self.beta1
        self.mean += (1 - self.beta1) * gradient
        self.squares *= self.beta2
        self.squares += (1 - self.beta2) * (gradient * gradient)
        mean = self.mean / (1 - self.beta1**self.count)
        squares = self.squares / (1 - self.beta2**self.count)
        x -= self.lr * mean / (np.sqrt(squares) + self.eps)


_OPTIMIZER_CLASSES: dict[str, Callable[[Hyperparameters, int], Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": AdaGrad,
    "rmsprop": RMSProp,
    "adam": Adam,
}


def make_optimizer(options: Hyperparameters, size: int) -> Optimizer:
    """The optimizer ``options.rule`` for an iterate of ``size`` numbers."""
    return _OPTIMIZER_CLASSES[options.rule](options, size)
