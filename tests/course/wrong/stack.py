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
        ("Python's max(z, 0): fine for a number, an error for an array",
         "def relu(z):\n"
         "    return max(z, 0.0)\n"),
        ("capped at 1 to be safe, np.clip(z, 0, 1), as if it were a sigmoid",
         "def relu(z):\n"
         "    return np.clip(z, 0.0, 1.0)\n"),
        ("a leaky ReLU, 0.01·z for negative z",
         "def relu(z):\n"
         "    return np.maximum(z, 0.01 * np.asarray(z))\n"),
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
        ("np.where(z > 0, 1, 0): the integers 1 and 0 instead of the floats",
         "def relu_grad(z):\n"
         "    return np.where(np.asarray(z) > 0, 1, 0)\n"),
        ("rise over run, relu(z) / z: 0/0 = NaN at z = 0",
         "def relu_grad(z):\n"
         "    z = np.asarray(z, dtype=float)\n"
         "    return np.maximum(z, 0.0) / z\n"),
        ("ones filled into np.zeros_like(z), an integer array for an integer z",
         "def relu_grad(z):\n"
         "    z = np.asarray(z)\n"
         "    dr = np.zeros_like(z)\n"
         "    dr[z > 0] = 1.0\n"
         "    return dr\n"),
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
        ("relu′(0) = 1 in the step (z >= 0), where relu_grad has 0",
         _step("    if activation == \"sigmoid\":\n"
               "        a1, a2, g1, g2 = sigmoid(z1), sigmoid(z2), sigmoid_grad(z1), sigmoid_grad(z2)\n"
               "    elif activation == \"relu\":\n"
               "        a1, a2, g1, g2 = relu(z1), relu(z2), (z1 >= 0) * 1.0, (z2 >= 0) * 1.0\n"
               "    else:\n"
               "        raise ValueError(f\"activation must be 'sigmoid' or 'relu'; got {activation!r}\")\n"
               "    r = 2 * (a1 - a2 - y) / len(x)\n"
               "    d1, d2 = r * g1, -r * g2\n")),
        ("the factor 2 forgotten",
         _step("    if activation not in (\"sigmoid\", \"relu\"):\n"
               "        raise ValueError(f\"activation must be 'sigmoid' or 'relu'; got {activation!r}\")\n"
               "    act, slope = (sigmoid, sigmoid_grad) if activation == \"sigmoid\" else (relu, relu_grad)\n"
               "    r = (act(z1) - act(z2) - y) / len(x)\n"
               "    d1, d2 = r * slope(z1), -r * slope(z2)\n")),
    ],
}
