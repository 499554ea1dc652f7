"""The primer's own code, verbatim, as the independent reference tests and benchmarks
compare against.

Nothing here imports diffcli: these are the textbook's functions, names included, so that a
test or a benchmark that agrees with them agrees with the book. Tests import this module as
``bench.primer``; the bench scripts, run as ``python bench/X.py``, import it as ``primer``.
"""

import numpy as np


def numerical_diff(f, x):
    """The primer's central difference (the seed's second ``numerical_diff``, h = 1e-4).

    The seed first shows a forward quotient with h = 10e-50 to teach rounding error; this is
    the version it keeps and whose numbers it prints (0.1999999999990898 at x = 5).
    """
    h = 1e-4  # 0.0001
    return (f(x + h) - f(x - h)) / (2 * h)


def function_1(x):
    """The seed's ``function_1``: y = 0.01x² + 0.1x."""
    return 0.01 * x**2 + 0.1 * x


def function_2(x):
    """The seed's ``function_2``: f(x0, x1) = x0² + x1², as printed (two coordinates only)."""
    return x[0] ** 2 + x[1] ** 2
    # 或者return np.sum(x**2)


def numerical_gradient(f, x):
    """The seed's ``numerical_gradient``: the central difference, one coordinate of a 1-D x
    at a time."""
    h = 1e-4  # 0.0001
    grad = np.zeros_like(x)  # 生成和x形状相同的数组
    for idx in range(x.size):
        tmp_val = x[idx]
        # f(x+h)的计算
        x[idx] = tmp_val + h
        fxh1 = f(x)
        # f(x-h)的计算
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val  # 还原值
    return grad


def numerical_gradient_nditer(f, x):
    """The book's generalisation of ``numerical_gradient`` to x of any shape (it walks x with
    ``np.nditer``; the book, in common/gradient.py, names it ``numerical_gradient`` too)."""
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        idx = it.multi_index
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
        it.iternext()
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    """The seed's ``gradient_descent``: ``x -= lr * grad`` with the seed's ``numerical_gradient``
    (it updates ``init_x`` in place)."""
    x = init_x
    for i in range(step_num):  # noqa: B007
        grad = numerical_gradient(f, x)
        x -= lr * grad
    return x


def softmax(a):
    """The book's softmax in its stable form (the maximum subtracted first), for one vector."""
    c = np.max(a)
    exp_a = np.exp(a - c)  # 溢出对策
    sum_exp_a = np.sum(exp_a)
    y = exp_a / sum_exp_a
    return y


def cross_entropy_error(y, t):
    """The book's cross-entropy error, with ``delta`` keeping ``log`` finite at y = 0."""
    delta = 1e-7
    return -np.sum(t * np.log(y + delta))


def mean_squared_error(y, t):
    """The book's mean squared error, 0.5 · Σ(y - t)²."""
    return 0.5 * np.sum((y - t) ** 2)


class simpleNet:
    """The book's one-layer network (simpleNet): z = x·W, y = softmax(z), L = cross_entropy(y, t).

    The book draws W at random; here W is given, so that a test or a benchmark knows it.
    """

    def __init__(self, W):
        self.W = np.array(W, dtype=np.float64)

    def predict(self, x):
        return np.dot(x, self.W)

    def loss(self, x, t):
        z = self.predict(x)
        y = softmax(z)
        loss = cross_entropy_error(y, t)

        return loss
