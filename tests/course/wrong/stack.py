"""Plausible wrong answers for rung 3 (03_stack), each a whole solution cell."""

_STEP_HEAD = (
    "def train_stack_step(w1, b1, w2, b2, x, y, lr, activation=\"sigmoid\"):\n"
    "    z1, z2 = w1 * x + b1, w2 * x + b2\n"
)
_STEP_TAIL = (
    "    return (float(w1 - lr * np.sum(d1 * x)), float(b1 - lr * np.sum(d1)),\n"
    "            float(w2 - lr * np.sum(d2 * x)), float(b2 - lr * np.sum(d2)))\n"
)


def _step(body: str) -> str:
    """A whole train_stack_step: z1, z2, then `body` (which sets d1, d2), then the update."""
    return _STEP_HEAD + body + _STEP_TAIL


WRONG = {
    "relu": [
        ("abs instead of max(z, 0)",
         "def relu(z):\n"
         "    return np.abs(z)\n"),
        ("np.max(z, 0): the largest entry along axis 0, not the elementwise maximum",
         "def relu(z):\n"
         "    return np.max(z, 0)\n"),
        ("min instead of max",
         "def relu(z):\n"
         "    return np.minimum(z, 0.0)\n"),
    ],
    "relu_grad": [
        ("relu′(0) = 1 (z >= 0)",
         "def relu_grad(z):\n"
         "    return np.where(np.asarray(z) >= 0, 1.0, 0.0)\n"),
        ("np.sign: −1 for negative z",
         "def relu_grad(z):\n"
         "    return np.sign(z)\n"),
        ("relu′(0) = 1/2",
         "def relu_grad(z):\n"
         "    return np.heaviside(z, 0.5)\n"),
    ],
    "train_stack_step": [
        ("the second neuron's gradient without its minus sign",
         _step("    act, slope = (sigmoid, sigmoid_grad) if activation == \"sigmoid\" else (relu, relu_grad)\n"
               "    r = 2 * (act(z1) - act(z2) - y) / len(x)\n"
               "    d1, d2 = r * slope(z1), r * slope(z2)\n")),
        ("relu′ used for the sigmoid activation too",
         _step("    act = sigmoid if activation == \"sigmoid\" else relu\n"
               "    r = 2 * (act(z1) - act(z2) - y) / len(x)\n"
               "    d1, d2 = r * relu_grad(z1), -r * relu_grad(z2)\n")),
        ("ignores activation: always the sigmoid",
         _step("    r = 2 * (sigmoid(z1) - sigmoid(z2) - y) / len(x)\n"
               "    d1, d2 = r * sigmoid_grad(z1), -r * sigmoid_grad(z2)\n")),
        ("the neurons added instead of subtracted",
         _step("    act, slope = (sigmoid, sigmoid_grad) if activation == \"sigmoid\" else (relu, relu_grad)\n"
               "    r = 2 * (act(z1) + act(z2) - y) / len(x)\n"
               "    d1, d2 = r * slope(z1), r * slope(z2)\n")),
        ("no ValueError for an unknown activation (anything but 'sigmoid' is treated as relu)",
         _step("    act, slope = (sigmoid, sigmoid_grad) if activation == \"sigmoid\" else (relu, relu_grad)\n"
               "    r = 2 * (act(z1) - act(z2) - y) / len(x)\n"
               "    d1, d2 = r * slope(z1), -r * slope(z2)\n")),
    ],
}
