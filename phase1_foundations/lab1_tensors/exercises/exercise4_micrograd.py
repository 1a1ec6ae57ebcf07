# Exercise stub generated from solution/exercise4_micrograd.py by `make stubs` [fingerprint 97ce65255f39]
"""Exercise 4: a scalar autograd engine from scratch, in the spirit of karpathy/micrograd.

Every arithmetic operation on a ``Value`` creates a new ``Value`` that remembers its inputs
(``_inputs``, the nodes it was computed from) and a small closure (``_backward``) that pushes the
output's gradient into the inputs' gradients with the LOCAL derivative of that one operation
(chain rule). ``backward()`` orders the graph so that every node comes before its inputs, i.e.
after all of its consumers (the nodes computed from it), seeds the output's gradient with 1 and
runs the closures in that order. That is all PyTorch autograd does too,
on tensors instead of numbers.

Run the checks with:  make test-lab LAB=phase1_foundations/lab1_tensors
"""
from __future__ import annotations

import math


class Value:
    """One scalar in a computation graph: its value ``data`` and dL/d(this) in ``grad``.

    Supports ``+ - * /`` with another Value or a plain int/float on either side, ``-v``,
    ``v ** k`` for an int/float exponent k, ``v.exp()``, ``v.log()``, ``v.tanh()``, ``v.relu()``
    and ``v.backward()``. Derivatives follow PyTorch's conventions (relu'(0) = 0).
    """

    def __init__(self, data: float, _inputs: tuple["Value", ...] = (), _op: str = ""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None  # pushes self.grad into the inputs' grads
        self._inputs = tuple(_inputs)  # the nodes this one was computed from
        self._op = _op  # the operation that produced this node, for printing graphs

    def __add__(self, other: "Value | float") -> "Value":
        """self + other. d(out)/d(self) = 1, d(out)/d(other) = 1."""
        # TODO: a plain number must work too (wrap it in a Value). The output records both as its
        # TODO: inputs and gets a _backward closure that adds out.grad, times the local
        # TODO: derivative, into each input's grad. Accumulate, never assign: a node used twice
        # TODO: (x + x) must receive both contributions.
        raise NotImplementedError("Exercise 4.1: implement Value.__add__")

    def __mul__(self, other: "Value | float") -> "Value":
        """self * other. d(out)/d(self) = other, d(out)/d(other) = self."""
        # TODO: same pattern as __add__, with the local derivatives of a product.
        raise NotImplementedError("Exercise 4.2: implement Value.__mul__")

    def __pow__(self, k: float) -> "Value":
        """self ** k for a plain int/float k (not a Value). d(out)/d(self) = k * self**(k-1)."""
        assert isinstance(k, (int, float)), "only int/float exponents are supported"
        # TODO: one input only (self); k is a constant, so it gets no gradient.
        raise NotImplementedError("Exercise 4.3: implement Value.__pow__")

    def exp(self) -> "Value":
        """e ** self. d(out)/d(self) = e ** self, i.e. the output itself."""
        # TODO: math.exp for the value; the local derivative is the output's own data.
        raise NotImplementedError("Exercise 4.4: implement Value.exp")

    def log(self) -> "Value":
        """Natural log, for self.data > 0. d(out)/d(self) = 1 / self."""
        # TODO: same pattern as exp; the local derivative is in the docstring.
        raise NotImplementedError("Exercise 4.5: implement Value.log")

    def tanh(self) -> "Value":
        """Hyperbolic tangent. d(out)/d(self) = 1 - tanh(self)**2."""
        # TODO: math.tanh for the value; write the derivative with out.data, not by recomputing.
        raise NotImplementedError("Exercise 4.6: implement Value.tanh")

    def relu(self) -> "Value":
        """max(self, 0). d(out)/d(self) = 1 if self > 0 else 0 (0 at exactly 0, like PyTorch)."""
        # TODO: same pattern; mind the derivative at exactly 0 (0, as in PyTorch).
        raise NotImplementedError("Exercise 4.7: implement Value.relu")

    def backward(self) -> None:
        """Fill ``.grad`` of every node this one depends on with d(self)/d(node).

        Sets self.grad = 1, then runs each node's ``_backward`` once, output first, in reverse
        topological order (a node only after all of its consumers, the nodes that use it). Gradients accumulate into
        ``.grad`` (like PyTorch), so call it once per fresh graph. Graphs may be thousands of nodes
        deep: a recursive depth-first search would exceed Python's recursion limit (1000), so
        build the order with an explicit stack.
        """
        # TODO: first an order in which every node comes after all of its inputs (_inputs), each
        # TODO: node once, built with an explicit stack, not recursion (graphs can be 10000 deep).
        # TODO: Then seed the output's gradient and run every node's _backward exactly once, going
        # TODO: from the output back to the leaves.
        raise NotImplementedError("Exercise 4.8: implement Value.backward")

    # The rest is built from the operations above; it works as soon as they do. -----------------

    def __neg__(self) -> "Value":  # -self
        return self * -1

    def __radd__(self, other: float) -> "Value":  # other + self
        return self + other

    def __sub__(self, other: "Value | float") -> "Value":  # self - other
        return self + (-other)

    def __rsub__(self, other: float) -> "Value":  # other - self
        return (-self) + other

    def __rmul__(self, other: float) -> "Value":  # other * self
        return self * other

    def __truediv__(self, other: "Value | float") -> "Value":  # self / other
        return self * other**-1

    def __rtruediv__(self, other: float) -> "Value":  # other / self
        return self**-1 * other

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"
