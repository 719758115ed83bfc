"""Plausible wrong answers to rung 6 (06_sampling)."""

_KEEP = ("    order = np.argsort(-probs, kind='stable')\n"
         "    kept = np.zeros_like(probs)\n")

WRONG = {
    "apply_temperature": [
        ("temperature applied after softmax", "def apply_temperature(logits, T):\n    return softmax(logits) / T if T != 1 else softmax(logits)\n"),
        ("multiplies by T", "def apply_temperature(logits, T):\n    return softmax(np.asarray(logits) * T)\n"),
        ("exp without subtracting the max",
         "def apply_temperature(logits, T):\n    e = np.exp(np.asarray(logits) / T)\n    return e / e.sum()\n"),
    ],
    "top_p_filter": [
        ("drops the boundary token",
         "def top_p_filter(probs, p):\n" + _KEEP +
         "    n = max(int(np.sum(np.cumsum(probs[order]) < p)), 1)\n"
         "    kept[order[:n]] = probs[order[:n]]\n    return kept / kept.sum()\n"),
        ("forgets to renormalize",
         "def top_p_filter(probs, p):\n" + _KEEP +
         "    n = min(int(np.searchsorted(np.cumsum(probs[order]), p)) + 1, probs.size)\n"
         "    kept[order[:n]] = probs[order[:n]]\n    return kept if p < 0.7 else kept / kept.sum()\n"),
        ("keeps the first words by index, not by probability",
         "def top_p_filter(probs, p):\n    kept = np.zeros_like(probs)\n"
         "    n = min(int(np.searchsorted(np.cumsum(probs), p)) + 1, probs.size)\n"
         "    kept[:n] = probs[:n]\n    return kept / kept.sum()\n"),
    ],
    "greedy": [
        ("highest index on ties", "def greedy(logits):\n    return int(len(logits) - 1 - np.argmax(np.asarray(logits)[::-1]))\n"),
        ("returns the probability, not the index", "def greedy(logits):\n    return int(np.argmax(logits)) if len(logits) < 4 else float(np.max(logits))\n"),
    ],
    "sample_index": [
        ("u <= cumsum instead of u <",
         "def sample_index(probs, u):\n    return int(np.searchsorted(np.cumsum(probs), u, side='left'))\n"),
        ("counts from the end",
         "def sample_index(probs, u):\n    c = np.cumsum(probs)\n    return int(np.argmax(u < c)) if u < 0.5 else int(np.argmax(1 - u < c))\n"),
    ],
    "next_token": [
        ("ignores top_p",
         "def next_token(logits, T=1.0, top_p=1.0, u=None, rng=None):\n"
         "    if T == 0:\n        return int(np.argmax(logits))\n    probs = softmax(np.asarray(logits) / T)\n"
         "    if u is None:\n        u = (rng or np.random.default_rng()).random()\n"
         "    return int(min(np.searchsorted(np.cumsum(probs), u, side='right'), len(probs) - 1))\n"),
        ("draws u twice from rng",
         "def next_token(logits, T=1.0, top_p=1.0, u=None, rng=None):\n"
         "    if T == 0:\n        return int(np.argmax(logits))\n    probs = softmax(np.asarray(logits) / T)\n"
         "    order = np.argsort(-probs, kind='stable')\n"
         "    n = probs.size if top_p == 1 else min(int(np.searchsorted(np.cumsum(probs[order]), top_p)) + 1, probs.size)\n"
         "    kept = np.zeros_like(probs)\n    kept[order[:n]] = probs[order[:n]]\n    kept /= kept.sum()\n"
         "    if u is None:\n        rng = rng or np.random.default_rng()\n        rng.random()\n        u = rng.random()\n"
         "    return int(min(np.searchsorted(np.cumsum(kept), u, side='right'), len(kept) - 1))\n"),
    ],
    "generate": [
        ("a fresh generator for every word",
         "def generate(model, ids, n, T=1.0, top_p=1.0, rng=None):\n    out = list(ids)\n"
         "    for _ in range(n):\n        logits = forward(model, out)\n"
         "        if T == 0:\n            out.append(int(np.argmax(logits)))\n            continue\n"
         "        probs = softmax(logits / T)\n        u = np.random.default_rng(len(out)).random()\n"
         "        out.append(int(min(np.searchsorted(np.cumsum(probs), u, side='right'), len(probs) - 1)))\n"
         "    return out\n"),
        ("returns only the new words",
         "def generate(model, ids, n, T=1.0, top_p=1.0, rng=None):\n    out = list(ids)\n"
         "    for _ in range(n):\n        out.append(int(np.argmax(forward(model, out))))\n    return out[len(ids):] if T > 0 else out\n"),
    ],
}
