"""Plausible wrong answers for rung 2 (02_bend), each a whole solution cell.

The sigmoids here give the right values wherever the later functions use them (float z, |z| well below 709), so
each costs only sigmoid's points: the first and third are caught by the overflow check at z = ±1000, the second by
its NaN, the fourth by an integer z, the fifth by a single number z = −1000.
"""

WRONG = {
    "sigmoid": [
        ("the textbook form without the stable branch: e^1000 overflows (a RuntimeWarning, the value is still 0)",
         "def sigmoid(z):\n"
         "    return 1 / (1 + np.exp(-z))\n"),
        ("e^z / (1 + e^z) everywhere: inf / inf = NaN at z = 1000",
         "def sigmoid(z):\n"
         "    e = np.exp(z)\n"
         "    return e / (1 + e)\n"),
        ("both forms inside np.where, which computes both branches: each overflows on the other side",
         "def sigmoid(z):\n"
         "    z = np.asarray(z, dtype=float)\n"
         "    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))\n"),
        ("each form filled into np.zeros_like(z), an integer array for an integer z: σ truncated to 0 or 1",
         "def sigmoid(z):\n"
         "    z = np.asarray(z)\n"
         "    s = np.zeros_like(z)\n"
         "    positive = z >= 0\n"
         "    s[positive] = 1 / (1 + np.exp(-z[positive]))\n"
         "    e = np.exp(z[~positive])\n"
         "    s[~positive] = e / (1 + e)\n"
         "    return s\n"),
        ("the stable form for arrays, but math.exp for a single number: OverflowError at z = −1000",
         "import math\n"
         "\n"
         "\n"
         "def sigmoid(z):\n"
         "    if np.ndim(z) == 0:\n"
         "        return 1 / (1 + math.exp(-z))\n"
         "    e = np.exp(-np.abs(z))\n"
         "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))\n"),
    ],
    "sigmoid_grad": [
        ("σ(1 + σ): a plus for the minus",
         "def sigmoid_grad(z):\n"
         "    s = sigmoid(z)\n"
         "    return s * (1 + s)\n"),
        ("s(1 − s) applied to z itself, as if z were already σ(z)",
         "def sigmoid_grad(z):\n"
         "    return z * (1 - z)\n"),
        ("1 − σ², tanh's pattern",
         "def sigmoid_grad(z):\n"
         "    return 1 - sigmoid(z) ** 2\n"),
        ("σ(z)(1 − z): z where the second σ(z) belongs",
         "def sigmoid_grad(z):\n"
         "    return sigmoid(z) * (1 - z)\n"),
        ("the slope measured by a forward difference, (σ(z + h) − σ(z)) / h, instead of the formula",
         "def sigmoid_grad(z):\n"
         "    h = 1e-4\n"
         "    return (sigmoid(z + h) - sigmoid(z)) / h\n"),
    ],
    "train_bend_step": [
        ("forgets the σ′ factor of the chain rule",
         "def train_bend_step(w, b, x, y, lr=1.5):\n"
         "    y_hat = sigmoid(w * x + b)\n"
         "    dz = 2 * (y_hat - y) / len(x)\n"
         "    return float(w - lr * np.sum(dz * x)), float(b - lr * np.sum(dz))\n"),
        ("forgets the factor 2",
         "def train_bend_step(w, b, x, y, lr=1.5):\n"
         "    y_hat = sigmoid(w * x + b)\n"
         "    dz = (y_hat - y) * y_hat * (1 - y_hat)\n"
         "    return float(w - lr * np.mean(dz * x)), float(b - lr * np.mean(dz))\n"),
        ("sums over the points instead of taking the mean",
         "def train_bend_step(w, b, x, y, lr=1.5):\n"
         "    y_hat = sigmoid(w * x + b)\n"
         "    dz = 2 * (y_hat - y) * y_hat * (1 - y_hat)\n"
         "    return float(w - lr * np.sum(dz * x)), float(b - lr * np.sum(dz))\n"),
        ("steps uphill",
         "def train_bend_step(w, b, x, y, lr=1.5):\n"
         "    y_hat = sigmoid(w * x + b)\n"
         "    dz = 2 * (y_hat - y) * y_hat * (1 - y_hat) / len(x)\n"
         "    return float(w + lr * np.sum(dz * x)), float(b + lr * np.sum(dz))\n"),
        ("updates w first, then takes b's gradient at the new w",
         "def train_bend_step(w, b, x, y, lr=1.5):\n"
         "    y_hat = sigmoid(w * x + b)\n"
         "    w = w - lr * np.sum(2 * (y_hat - y) * y_hat * (1 - y_hat) * x) / len(x)\n"
         "    y_hat = sigmoid(w * x + b)\n"
         "    b = b - lr * np.sum(2 * (y_hat - y) * y_hat * (1 - y_hat)) / len(x)\n"
         "    return float(w), float(b)\n"),
        ("learning rate ignored (always the default 1.5)",
         "def train_bend_step(w, b, x, y, lr=1.5):\n"
         "    y_hat = sigmoid(w * x + b)\n"
         "    dz = 2 * (y_hat - y) * y_hat * (1 - y_hat) / len(x)\n"
         "    return float(w - 1.5 * np.sum(dz * x)), float(b - 1.5 * np.sum(dz))\n"),
    ],
    "saturation_table": [
        ("σ at the four points instead of σ′",
         "def saturation_table():\n"
         "    return sigmoid(np.array([0.0, 2.0, 5.0, 10.0]))\n"),
        ("values typed in, rounded",
         "def saturation_table():\n"
         "    return np.array([0.25, 0.105, 0.0066, 0.000045])\n"),
        ("seven values, at 0, ±2, ±5, ±10",
         "def saturation_table():\n"
         "    z = np.array([-10.0, -5.0, -2.0, 0.0, 2.0, 5.0, 10.0])\n"
         "    s = sigmoid(z)\n"
         "    return s * (1 - s)\n"),
        ("the table in reverse order, z = 10 first",
         "def saturation_table():\n"
         "    return sigmoid_grad(np.array([10.0, 5.0, 2.0, 0.0]))\n"),
        ("1 − σ², tanh's slope pattern",
         "def saturation_table():\n"
         "    return 1 - sigmoid(np.array([0.0, 2.0, 5.0, 10.0])) ** 2\n"),
    ],
    "vanishing_product": [
        ("0.25 times L: a sum where the layers multiply",
         "def vanishing_product(L):\n"
         "    return 0.25 * L\n"),
        ("σ(0) = 0.5 per layer instead of σ′(0) = 0.25",
         "def vanishing_product(L):\n"
         "    return float(sigmoid(0.0)) ** L\n"),
        ("one layer short",
         "def vanishing_product(L):\n"
         "    product = 1.0\n"
         "    for layer in range(1, L):\n"
         "        product *= 0.25\n"
         "    return product\n"),
        ("one layer too many",
         "def vanishing_product(L):\n"
         "    product = 1.0\n"
         "    for layer in range(L + 1):\n"
         "        product *= 0.25\n"
         "    return product\n"),
        ("returns early with 0 for L = 0, where nothing shrinks and the product is 1",
         "def vanishing_product(L):\n"
         "    if L == 0:\n"
         "        return 0.0\n"
         "    return 0.25 ** L\n"),
        ("rounded to 6 decimals, as the numbers are printed",
         "def vanishing_product(L):\n"
         "    return round(0.25 ** L, 6)\n"),
    ],
}
