"""The update rules of ``descend``: SGD, momentum, Nesterov, AdaGrad, RMSProp and Adam."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
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


#: Iterates of at most this many numbers are updated on Python floats, element by element:
#: the same IEEE operations as NumPy's, without its cost per call on tiny arrays.
SMALL = 16
Sqrt = Callable[[Any], Any]


class _ElementwiseRule:
    """An update rule written once, element-wise (``formula``), run on NumPy arrays or, for
    a small iterate, on Python floats one element at a time."""

    def __init__(self, size: int, states: int) -> None:
        self.small = size <= SMALL
        self.state: list[Any] = [
            [0.0] * size if self.small else np.zeros(size) for _ in range(states)
        ]

    def formula(self, x: Any, g: Any, state: Sequence[Any], sqrt: Sqrt) -> tuple[Any, ...]:
        """The new iterate and the new state, from the iterate, the gradient and the state."""
        raise NotImplementedError  # pragma: no cover - every rule defines it

    def update(self, x: Array, gradient: Array) -> None:
        if self.small:
            try:
                rows = [
                    self.formula(xi, gi, state, math.sqrt)
                    for xi, gi, *state in zip(x.tolist(), gradient.tolist(), *self.state)
                ]
            except ZeroDivisionError:  # Python raises where NumPy gives inf or NaN
                pass
            else:
                new_x, *self.state = (list(column) for column in zip(*rows))
                x[:] = new_x
                return
        arrays = tuple(np.asarray(item, dtype=np.float64) for item in self.state)
        new_x, *state = self.formula(x, gradient, arrays, np.sqrt)
        x[:] = new_x
        self.state = [item.tolist() if self.small else item for item in state]


class SGD(_ElementwiseRule):
    """``x ← x − η g`` (the primer's gradient method)."""

    def __init__(self, options: Hyperparameters, size: int) -> None:
        super().__init__(size, 0)
        self.lr = options.lr

    def formula(self, x: Any, g: Any, state: Sequence[Any], sqrt: Sqrt) -> tuple[Any, ...]:
        return (x - self.lr * g,)


class Momentum(_ElementwiseRule):
    """``v ← μ v − η g; x ← x + v`` (Polyak's heavy ball)."""

    def __init__(self, options: Hyperparameters, size: int) -> None:
        super().__init__(size, 1)
        self.lr, self.momentum = options.lr, options.momentum

    def formula(self, x: Any, g: Any, state: Sequence[Any], sqrt: Sqrt) -> tuple[Any, ...]:
        (velocity,) = state
        velocity = self.momentum * velocity - self.lr * g
        return x + velocity, velocity


class Nesterov(_ElementwiseRule):
    """``v ← μ v − η g; x ← x + μ v − η g`` (Nesterov's look-ahead, Sutskever's form)."""

    def __init__(self, options: Hyperparameters, size: int) -> None:
        super().__init__(size, 1)
        self.lr, self.momentum = options.lr, options.momentum

    def formula(self, x: Any, g: Any, state: Sequence[Any], sqrt: Sqrt) -> tuple[Any, ...]:
        (velocity,) = state
        step = self.lr * g
        velocity = self.momentum * velocity - step
        return x + (self.momentum * velocity - step), velocity


class AdaGrad(_ElementwiseRule):
    """``s ← s + g²; x ← x − η g / (√s + ε)``."""

    def __init__(self, options: Hyperparameters, size: int) -> None:
        super().__init__(size, 1)
        self.lr, self.eps = options.lr, options.eps

    def formula(self, x: Any, g: Any, state: Sequence[Any], sqrt: Sqrt) -> tuple[Any, ...]:
        (squares,) = state
        squares = squares + g * g
        return x - self.lr * g / (sqrt(squares) + self.eps), squares


class RMSProp(_ElementwiseRule):
    """``s ← ρ s + (1−ρ) g²; x ← x − η g / (√s + ε)``."""

    def __init__(self, options: Hyperparameters, size: int) -> None:
        super().__init__(size, 1)
        self.lr, self.rho, self.eps = options.lr, options.rho, options.eps

    def formula(self, x: Any, g: Any, state: Sequence[Any], sqrt: Sqrt) -> tuple[Any, ...]:
        (squares,) = state
        squares = self.rho * squares + (1 - self.rho) * (g * g)
        return x - self.lr * g / (sqrt(squares) + self.eps), squares


class Adam(_ElementwiseRule):
    """Kingma & Ba: bias-corrected moments, ``x ← x − η m̂ / (√v̂ + ε)``."""

    def __init__(self, options: Hyperparameters, size: int) -> None:
        super().__init__(size, 2)
        self.lr, self.eps = options.lr, options.eps
        self.beta1, self.beta2 = options.beta1, options.beta2
        self.count = 0
        self.corrections = (1.0, 1.0)

    def update(self, x: Array, gradient: Array) -> None:
        self.count += 1
        self.corrections = (1 - self.beta1**self.count, 1 - self.beta2**self.count)
        super().update(x, gradient)

    def formula(self, x: Any, g: Any, state: Sequence[Any], sqrt: Sqrt) -> tuple[Any, ...]:
        mean, squares = state
        mean = self.beta1 * mean + (1 - self.beta1) * g
        squares = self.beta2 * squares + (1 - self.beta2) * (g * g)
        corrected_mean = mean / self.corrections[0]
        corrected_squares = squares / self.corrections[1]
        return x - self.lr * corrected_mean / (sqrt(corrected_squares) + self.eps), mean, squares


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
