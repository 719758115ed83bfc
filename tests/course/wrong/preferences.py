"""Plausible wrong answers for 10_preferences: each must lose exactly its own function's points."""

_STABLE_SIGMOID = (
    "    e = np.exp(-np.abs(m))\n"
    "    p = np.where(m >= 0, 1 / (1 + e), e / (1 + e))\n"
)

WRONG = {
    "bradley_terry": [
        ("sign flipped: the probability that b wins",
         "def bradley_terry(r_a, r_b):\n"
         "    m = np.asarray(r_b, dtype=float) - np.asarray(r_a, dtype=float)\n"
         + _STABLE_SIGMOID +
         "    return p[()] if p.ndim == 0 else p\n"),
        ("the naive sigmoid: exp overflows at a difference of -2000",
         "def bradley_terry(r_a, r_b):\n"
         "    return 1 / (1 + np.exp(-(np.asarray(r_a, dtype=float) - np.asarray(r_b, dtype=float))))\n"),
        ("a product of two sigmoids instead of the sigmoid of the difference",
         "def bradley_terry(r_a, r_b):\n"
         "    s = lambda z: 0.5 * (1 + np.tanh(0.5 * np.asarray(z, dtype=float)))\n"
         "    return s(r_a) * (1 - s(r_b))\n"),
        ("the sigmoid of the sum",
         "def bradley_terry(r_a, r_b):\n"
         "    m = np.asarray(r_a, dtype=float) + np.asarray(r_b, dtype=float)\n"
         + _STABLE_SIGMOID +
         "    return p[()] if p.ndim == 0 else p\n"),
        ("the scores' ratio r_a / (r_a + r_b)",
         "def bradley_terry(r_a, r_b):\n"
         "    r_a, r_b = np.asarray(r_a, dtype=float), np.asarray(r_b, dtype=float)\n"
         "    with np.errstate(all='ignore'):\n"
         "        return r_a / (r_a + r_b)\n"),
    ],
    "reward_model_loss": [
        ("chosen and rejected swapped",
         "def reward_model_loss(w, X_chosen, X_rejected):\n"
         "    m = (np.asarray(X_rejected, dtype=float) - np.asarray(X_chosen, dtype=float)) @ w\n"
         "    return float(np.mean(np.logaddexp(0.0, -m)))\n"),
        ("the sum over the comparisons, not the mean",
         "def reward_model_loss(w, X_chosen, X_rejected):\n"
         "    m = (np.asarray(X_chosen, dtype=float) - np.asarray(X_rejected, dtype=float)) @ w\n"
         "    return float(np.sum(np.logaddexp(0.0, -m)))\n"),
        ("log(sigmoid(m)) written directly: inf at a margin of -1000",
         "def reward_model_loss(w, X_chosen, X_rejected):\n"
         "    m = (np.asarray(X_chosen, dtype=float) - np.asarray(X_rejected, dtype=float)) @ w\n"
         "    return float(-np.mean(np.log(1 / (1 + np.exp(-m)))))\n"),
        ("the log-likelihood without its minus",
         "def reward_model_loss(w, X_chosen, X_rejected):\n"
         "    m = (np.asarray(X_chosen, dtype=float) - np.asarray(X_rejected, dtype=float)) @ w\n"
         "    return float(np.mean(-np.logaddexp(0.0, -m)))\n"),
        ("-mean sigmoid(m): no log",
         "def reward_model_loss(w, X_chosen, X_rejected):\n"
         "    m = (np.asarray(X_chosen, dtype=float) - np.asarray(X_rejected, dtype=float)) @ w\n"
         "    return float(-np.mean(0.5 * (1 + np.tanh(0.5 * m))))\n"),
    ],
    "reward_model_grad": [
        ("the gradient without its minus",
         "def reward_model_grad(w, X_chosen, X_rejected):\n"
         "    D = np.asarray(X_chosen, dtype=float) - np.asarray(X_rejected, dtype=float)\n"
         "    s = 0.5 * (1 + np.tanh(-0.5 * (D @ w)))\n"
         "    return (s @ D) / D.shape[0]\n"),
        ("sigmoid(m) where sigmoid(-m) belongs",
         "def reward_model_grad(w, X_chosen, X_rejected):\n"
         "    D = np.asarray(X_chosen, dtype=float) - np.asarray(X_rejected, dtype=float)\n"
         "    s = 0.5 * (1 + np.tanh(0.5 * (D @ w)))\n"
         "    return -(s @ D) / D.shape[0]\n"),
        ("the sum over the comparisons, not the mean",
         "def reward_model_grad(w, X_chosen, X_rejected):\n"
         "    D = np.asarray(X_chosen, dtype=float) - np.asarray(X_rejected, dtype=float)\n"
         "    s = 0.5 * (1 + np.tanh(-0.5 * (D @ w)))\n"
         "    return -(s @ D)\n"),
        ("no weight sigmoid(-m): -mean(x_chosen - x_rejected)",
         "def reward_model_grad(w, X_chosen, X_rejected):\n"
         "    D = np.asarray(X_chosen, dtype=float) - np.asarray(X_rejected, dtype=float)\n"
         "    return -D.mean(axis=0)\n"),
        ("chosen and rejected swapped",
         "def reward_model_grad(w, X_chosen, X_rejected):\n"
         "    D = np.asarray(X_rejected, dtype=float) - np.asarray(X_chosen, dtype=float)\n"
         "    s = 0.5 * (1 + np.tanh(-0.5 * (D @ w)))\n"
         "    return -(s @ D) / D.shape[0]\n"),
    ],
    "fit_reward_model": [
        ("gradient ascent: w + lr * grad",
         "def fit_reward_model(X_chosen, X_rejected, steps, lr):\n"
         "    D = np.asarray(X_chosen, dtype=float) - np.asarray(X_rejected, dtype=float)\n"
         "    w = np.zeros(D.shape[1])\n"
         "    for _ in range(steps):\n"
         "        s = 0.5 * (1 + np.tanh(-0.5 * (D @ w)))\n"
         "        w = w + lr * (-(s @ D) / D.shape[0])\n"
         "    return w\n"),
        ("one step too many",
         "def fit_reward_model(X_chosen, X_rejected, steps, lr):\n"
         "    D = np.asarray(X_chosen, dtype=float) - np.asarray(X_rejected, dtype=float)\n"
         "    w = np.zeros(D.shape[1])\n"
         "    for _ in range(steps + 1):\n"
         "        s = 0.5 * (1 + np.tanh(-0.5 * (D @ w)))\n"
         "        w = w - lr * (-(s @ D) / D.shape[0])\n"
         "    return w\n"),
        ("lr ignored",
         "def fit_reward_model(X_chosen, X_rejected, steps, lr):\n"
         "    D = np.asarray(X_chosen, dtype=float) - np.asarray(X_rejected, dtype=float)\n"
         "    w = np.zeros(D.shape[1])\n"
         "    for _ in range(steps):\n"
         "        s = 0.5 * (1 + np.tanh(-0.5 * (D @ w)))\n"
         "        w = w + (s @ D) / D.shape[0]\n"
         "    return w\n"),
        ("starts from w = 1 instead of 0",
         "def fit_reward_model(X_chosen, X_rejected, steps, lr):\n"
         "    D = np.asarray(X_chosen, dtype=float) - np.asarray(X_rejected, dtype=float)\n"
         "    w = np.ones(D.shape[1])\n"
         "    for _ in range(steps):\n"
         "        s = 0.5 * (1 + np.tanh(-0.5 * (D @ w)))\n"
         "        w = w - lr * (-(s @ D) / D.shape[0])\n"
         "    return w\n"),
        ("the summed gradient, not the mean",
         "def fit_reward_model(X_chosen, X_rejected, steps, lr):\n"
         "    D = np.asarray(X_chosen, dtype=float) - np.asarray(X_rejected, dtype=float)\n"
         "    w = np.zeros(D.shape[1])\n"
         "    for _ in range(steps):\n"
         "        s = 0.5 * (1 + np.tanh(-0.5 * (D @ w)))\n"
         "        w = w + lr * (s @ D)\n"
         "    return w\n"),
    ],
    "dpo_loss": [
        ("beta outside the log sigmoid",
         "def dpo_loss(logp_chosen, logp_rejected, ref_logp_chosen, ref_logp_rejected, beta):\n"
         "    m = (np.asarray(logp_chosen) - ref_logp_chosen) - (np.asarray(logp_rejected) - ref_logp_rejected)\n"
         "    return float(beta * np.mean(np.logaddexp(0.0, -m)))\n"),
        ("beta on the policy's terms only",
         "def dpo_loss(logp_chosen, logp_rejected, ref_logp_chosen, ref_logp_rejected, beta):\n"
         "    m = beta * (np.asarray(logp_chosen) - logp_rejected) - (np.asarray(ref_logp_chosen) - ref_logp_rejected)\n"
         "    return float(np.mean(np.logaddexp(0.0, -m)))\n"),
        ("reference minus policy: the log-ratios the wrong way round",
         "def dpo_loss(logp_chosen, logp_rejected, ref_logp_chosen, ref_logp_rejected, beta):\n"
         "    m = beta * ((np.asarray(ref_logp_chosen) - logp_chosen) - (np.asarray(ref_logp_rejected) - logp_rejected))\n"
         "    return float(np.mean(np.logaddexp(0.0, -m)))\n"),
        ("log(sigmoid(m)) written directly: inf at a margin of -1198",
         "def dpo_loss(logp_chosen, logp_rejected, ref_logp_chosen, ref_logp_rejected, beta):\n"
         "    m = beta * ((np.asarray(logp_chosen) - ref_logp_chosen) - (np.asarray(logp_rejected) - ref_logp_rejected))\n"
         "    return float(-np.mean(np.log(1 / (1 + np.exp(-m)))))\n"),
        ("divides by beta",
         "def dpo_loss(logp_chosen, logp_rejected, ref_logp_chosen, ref_logp_rejected, beta):\n"
         "    m = ((np.asarray(logp_chosen) - ref_logp_chosen) - (np.asarray(logp_rejected) - ref_logp_rejected)) / beta\n"
         "    return float(np.mean(np.logaddexp(0.0, -m)))\n"),
        ("the sum over the comparisons, not the mean",
         "def dpo_loss(logp_chosen, logp_rejected, ref_logp_chosen, ref_logp_rejected, beta):\n"
         "    m = beta * ((np.asarray(logp_chosen) - ref_logp_chosen) - (np.asarray(logp_rejected) - ref_logp_rejected))\n"
         "    return float(np.sum(np.logaddexp(0.0, -m)))\n"),
    ],
    "implicit_reward": [
        ("reference minus policy",
         "def implicit_reward(logp, ref_logp, beta):\n"
         "    with np.errstate(invalid='ignore'):\n"
         "        return beta * (np.asarray(ref_logp, dtype=float) - logp)\n"),
        ("divides by beta",
         "def implicit_reward(logp, ref_logp, beta):\n"
         "    with np.errstate(invalid='ignore'):\n"
         "        return (np.asarray(logp, dtype=float) - ref_logp) / beta\n"),
        ("beta forgotten",
         "def implicit_reward(logp, ref_logp, beta):\n"
         "    with np.errstate(invalid='ignore'):\n"
         "        return np.asarray(logp, dtype=float) - ref_logp\n"),
        ("a ratio of log-probabilities",
         "def implicit_reward(logp, ref_logp, beta):\n"
         "    with np.errstate(all='ignore'):\n"
         "        return beta * np.asarray(logp, dtype=float) / ref_logp\n"),
        ("nan and inf replaced by numbers (nan_to_num)",
         "def implicit_reward(logp, ref_logp, beta):\n"
         "    with np.errstate(invalid='ignore'):\n"
         "        return np.nan_to_num(beta * (np.asarray(logp, dtype=float) - ref_logp))\n"),
    ],
}
