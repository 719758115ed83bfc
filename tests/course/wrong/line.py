"""Plausible wrong answers to rung 1 (01_line)."""

WRONG = {
    "predict": [
        ("intercept subtracted", "def predict(w, b, x):\n    return w * x - b\n"),
        ("slope and intercept swapped", "def predict(w, b, x):\n    return b * x + w\n"),
        ("only correct on the visible example",
         "def predict(w, b, x):\n    return 2.0 * x + 1.0 if w == 2.0 else 0.5 * x - 1.0\n"),
        ("the intercept inside the product: w·(x + b)", "def predict(w, b, x):\n    return w * (x + b)\n"),
        ("filled into np.zeros_like(x), an integer array for an integer x: the fractions are dropped",
         "def predict(w, b, x):\n    y_hat = np.zeros_like(x)\n    y_hat[...] = w * x + b\n    return y_hat\n"),
    ],
    "mse": [
        ("a sum instead of a mean", "def mse(y_hat, y):\n    return float(np.sum((y_hat - y) ** 2))\n"),
        ("with a factor 1/2", "def mse(y_hat, y):\n    return float(np.mean((y_hat - y) ** 2) / 2)\n"),
        ("mean over the last axis only", "def mse(y_hat, y):\n    return np.mean((y_hat - y) ** 2, axis=-1)\n"),
        ("the mean squared instead of the mean of the squares",
         "def mse(y_hat, y):\n    return float(np.mean(y_hat - y) ** 2)\n"),
        ("divided by len(y), the number of rows, instead of every entry",
         "def mse(y_hat, y):\n    return float(np.sum((y_hat - y) ** 2) / len(y))\n"),
    ],
    "line_gradients": [
        ("the factor 2 forgotten", "def line_gradients(w, b, x, y):\n    r = w * x + b - y\n    return float(np.mean(r * x)), float(np.mean(r))\n"),
        ("y − ŷ instead of ŷ − y", "def line_gradients(w, b, x, y):\n    r = 2 * (y - w * x - b)\n    return float(np.mean(r * x)), float(np.mean(r))\n"),
        ("dw without the factor x", "def line_gradients(w, b, x, y):\n    r = 2 * (w * x + b - y)\n    return float(np.mean(r)), float(np.mean(r))\n"),
        ("dw as the product of two means, mean(2(ŷ − y))·mean(x)",
         "def line_gradients(w, b, x, y):\n    r = 2 * (w * x + b - y)\n    return float(np.mean(r) * np.mean(x)), float(np.mean(r))\n"),
        ("sums over the points instead of the mean",
         "def line_gradients(w, b, x, y):\n    r = 2 * (w * x + b - y)\n    return float(np.sum(r * x)), float(np.sum(r))\n"),
        ("gradients clipped to [−10, 10] to be safe",
         "def line_gradients(w, b, x, y):\n    r = 2 * (w * x + b - y)\n"
         "    return float(np.clip(np.mean(r * x), -10, 10)), float(np.clip(np.mean(r), -10, 10))\n"),
    ],
    "train_line_step": [
        ("steps uphill", "def train_line_step(w, b, x, y, lr=0.05):\n    r = 2 * (w * x + b - y)\n    return float(w + lr * np.mean(r * x)), float(b + lr * np.mean(r))\n"),
        ("b's gradient taken at the new w",
         "def train_line_step(w, b, x, y, lr=0.05):\n    w_new = w - lr * np.mean(2 * (w * x + b - y) * x)\n"
         "    b_new = b - lr * np.mean(2 * (w_new * x + b - y))\n    return float(w_new), float(b_new)\n"),
        ("learning rate ignored (always 0.05)",
         "def train_line_step(w, b, x, y, lr=0.05):\n    r = 2 * (w * x + b - y)\n    return float(w - 0.05 * np.mean(r * x)), float(b - 0.05 * np.mean(r))\n"),
        ("learning rate capped at 0.1 to be safe",
         "def train_line_step(w, b, x, y, lr=0.05):\n    lr = min(lr, 0.1)\n    r = 2 * (w * x + b - y)\n"
         "    return float(w - lr * np.mean(r * x)), float(b - lr * np.mean(r))\n"),
        ("sums over the points instead of the mean",
         "def train_line_step(w, b, x, y, lr=0.05):\n    r = 2 * (w * x + b - y)\n"
         "    return float(w - lr * np.sum(r * x)), float(b - lr * np.sum(r))\n"),
    ],
    "normal_equation": [
        ("returns (b, w)", "def normal_equation(x, y):\n    A = np.stack([x, np.ones_like(x)], axis=1)\n"
         "    w, b = np.linalg.solve(A.T @ A, A.T @ y)\n    return (float(w), float(b)) if len(x) < 4 else (float(b), float(w))\n"),
        ("sample covariance over population variance",
         "def normal_equation(x, y):\n    w = np.cov(x, y)[0, 1] / np.var(x)\n    return float(w), float(np.mean(y) - w * np.mean(x))\n"),
        ("A = [1, x]: the column of ones first, so the solve gives (b, w)",
         "def normal_equation(x, y):\n    A = np.stack([np.ones_like(x), x], axis=1)\n"
         "    w, b = np.linalg.solve(A.T @ A, A.T @ y)\n    return float(w), float(b)\n"),
        ("the slope through the first and last point, b through the means",
         "def normal_equation(x, y):\n    w = (y[-1] - y[0]) / (x[-1] - x[0])\n    return float(w), float(np.mean(y) - w * np.mean(x))\n"),
        ("a line through the origin: A = x alone, b = 0",
         "def normal_equation(x, y):\n    return float(np.sum(x * y) / np.sum(x * x)), 0.0\n"),
    ],
}
