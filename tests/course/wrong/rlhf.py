"""Plausible wrong answers for 07_rlhf: each must lose exactly its own function's points."""

WRONG = {
    "corpus_logits": [
        ("log of the counts, not of the relative frequencies",
         "def corpus_logits(counts):\n"
         "    with np.errstate(divide='ignore'):\n"
         "        return np.log(np.asarray(counts, dtype=float))\n"),
        ("+1 smoothing: an unseen ending becomes reachable",
         "def corpus_logits(counts):\n"
         "    smoothed = np.asarray(counts, dtype=float) + 1\n"
         "    return np.log(smoothed / smoothed.sum())\n"),
        ("-inf replaced by a big finite number (nan_to_num)",
         "def corpus_logits(counts):\n"
         "    counts = np.asarray(counts, dtype=float)\n"
         "    with np.errstate(divide='ignore'):\n"
         "        return np.nan_to_num(np.log(counts / counts.sum()))\n"),
        ("the frequencies, no log",
         "def corpus_logits(counts):\n"
         "    counts = np.asarray(counts, dtype=float)\n"
         "    return counts / counts.sum()\n"),
        ("a small epsilon inside the log",
         "def corpus_logits(counts):\n"
         "    counts = np.asarray(counts, dtype=float)\n"
         "    return np.log(counts / counts.sum() + 1e-10)\n"),
    ],
    "preference_reward": [
        ("penalty written after the bonus: a preferred winner ends up at -penalty",
         "def preference_reward(n, preferred, winner, bonus=3.0, penalty=1.0):\n"
         "    reward = np.zeros(n)\n"
         "    reward[preferred] = bonus\n"
         "    reward[winner] = -penalty\n"
         "    return reward\n"),
        ("bonus and penalty both added: a preferred winner gets bonus - penalty",
         "def preference_reward(n, preferred, winner, bonus=3.0, penalty=1.0):\n"
         "    reward = np.zeros(n)\n"
         "    reward[preferred] += bonus\n"
         "    reward[winner] -= penalty\n"
         "    return reward\n"),
        ("penalty sign flipped",
         "def preference_reward(n, preferred, winner, bonus=3.0, penalty=1.0):\n"
         "    reward = np.zeros(n)\n"
         "    reward[winner] = penalty\n"
         "    reward[preferred] = bonus\n"
         "    return reward\n"),
        ("an integer array that truncates the bonus and penalty",
         "def preference_reward(n, preferred, winner, bonus=3.0, penalty=1.0):\n"
         "    reward = np.zeros(n, dtype=int)\n"
         "    reward[winner] = -penalty\n"
         "    reward[preferred] = bonus\n"
         "    return reward\n"),
    ],
    "rlhf_logits": [
        ("beta multiplies the reward instead of dividing it",
         "def rlhf_logits(base_logits, reward, beta):\n"
         "    return base_logits + reward * beta\n"),
        ("-inf replaced by a big finite number before the shift",
         "def rlhf_logits(base_logits, reward, beta):\n"
         "    return np.nan_to_num(base_logits) + reward / beta\n"),
        ("centres the new logits: the mean of a -inf logit is -inf, so -inf turns into nan",
         "def rlhf_logits(base_logits, reward, beta):\n"
         "    logits = base_logits + reward / beta\n"
         "    with np.errstate(invalid='ignore'):\n"
         "        return logits - logits.mean()\n"),
        ("beta clipped to >= 0.1 to be safe",
         "def rlhf_logits(base_logits, reward, beta):\n"
         "    return base_logits + reward / max(beta, 0.1)\n"),
        ("the right terms in the wrong order: (base + reward) / beta",
         "def rlhf_logits(base_logits, reward, beta):\n"
         "    return (base_logits + reward) / beta\n"),
    ],
    "kl_regularized_policy": [
        ("pi_ref smoothed by an epsilon before the log: an unseen ending gets probability",
         "def kl_regularized_policy(pi_ref, reward, beta):\n"
         "    return softmax(np.log(pi_ref + 1e-12) + reward / beta)\n"),
        ("not normalized",
         "def kl_regularized_policy(pi_ref, reward, beta):\n"
         "    return pi_ref * np.exp(reward / beta)\n"),
        ("beta multiplies the reward",
         "def kl_regularized_policy(pi_ref, reward, beta):\n"
         "    w = pi_ref * np.exp(reward * beta)\n"
         "    return w / w.sum()\n"),
        ("naive exp: overflows for a small beta",
         "def kl_regularized_policy(pi_ref, reward, beta):\n"
         "    with np.errstate(over='ignore', invalid='ignore'):\n"
         "        w = pi_ref * np.exp(reward / beta)\n"
         "        return w / w.sum()\n"),
        ("pi_ref added to reward / beta instead of its log",
         "def kl_regularized_policy(pi_ref, reward, beta):\n"
         "    return softmax(pi_ref + reward / beta)\n"),
    ],
    "kl_divergence": [
        ("inf whenever any q_i = 0, also where p_i = 0",
         "def kl_divergence(p, q):\n"
         "    if np.any(q == 0):\n"
         "        return float('inf')\n"
         "    used = p > 0\n"
         "    return float(np.sum(p[used] * np.log(p[used] / q[used])))\n"),
        ("entries with q_i = 0 skipped: finite where it should be inf",
         "def kl_divergence(p, q):\n"
         "    used = (p > 0) & (q > 0)\n"
         "    return float(np.sum(p[used] * np.log(p[used] / q[used])))\n"),
        ("arguments swapped: KL(q || p)",
         "def kl_divergence(p, q):\n"
         "    used = q > 0\n"
         "    with np.errstate(divide='ignore'):\n"
         "        return float(np.sum(q[used] * np.log(q[used] / p[used])))\n"),
        ("0 log 0 gives nan",
         "def kl_divergence(p, q):\n"
         "    with np.errstate(divide='ignore', invalid='ignore'):\n"
         "        return float(np.sum(p * np.log(p / q)))\n"),
        ("q clipped by an epsilon: finite where it should be inf",
         "def kl_divergence(p, q):\n"
         "    used = p > 0\n"
         "    return float(np.sum(p[used] * np.log(p[used] / np.maximum(q[used], 1e-12))))\n"),
        ("log base 2",
         "def kl_divergence(p, q):\n"
         "    used = p > 0\n"
         "    with np.errstate(divide='ignore'):\n"
         "        return float(np.sum(p[used] * np.log2(p[used] / q[used])))\n"),
    ],
    "prob_after_rlhf": [
        ("beta applied to the whole logit: softmax((base + reward) / beta)",
         "def prob_after_rlhf(counts, reward, beta, token):\n"
         "    return float(softmax((corpus_logits(counts) + reward) / beta)[token])\n"),
        ("+1 smoothing of the counts: the unseen ending becomes reachable",
         "def prob_after_rlhf(counts, reward, beta, token):\n"
         "    smoothed = np.asarray(counts, dtype=float) + 1\n"
         "    return float(softmax(np.log(smoothed / smoothed.sum()) + reward / beta)[token])\n"),
        ("-inf clipped to -1e9 before the shift, so a huge enough reward reaches the unseen ending",
         "def prob_after_rlhf(counts, reward, beta, token):\n"
         "    logits = rlhf_logits(np.maximum(corpus_logits(counts), -1e9), reward, beta)\n"
         "    return float(softmax(logits)[token])\n"),
        ("naive pi_ref * exp(reward / beta): overflows into nan",
         "def prob_after_rlhf(counts, reward, beta, token):\n"
         "    pi_ref = counts / counts.sum()\n"
         "    with np.errstate(over='ignore', invalid='ignore'):\n"
         "        w = pi_ref * np.exp(reward / beta)\n"
         "        return float(w[token] / w.sum())\n"),
        ("the shifted logit, not its probability",
         "def prob_after_rlhf(counts, reward, beta, token):\n"
         "    return float(rlhf_logits(corpus_logits(counts), reward, beta)[token])\n"),
    ],
}
