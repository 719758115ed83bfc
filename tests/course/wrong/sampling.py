"""Plausible wrong answers to rung 6 (06_sampling)."""

_KEEP = ("    order = np.argsort(-probs, kind='stable')\n"
         "    kept = np.zeros_like(probs)\n")

WRONG = {
    "apply_temperature": [
        ("temperature applied after softmax", "def apply_temperature(logits, T):\n    return softmax(logits) / T if T != 1 else softmax(logits)\n"),
        ("multiplies by T", "def apply_temperature(logits, T):\n    return softmax(np.asarray(logits) * T)\n"),
        ("exp without subtracting the max",
         "def apply_temperature(logits, T):\n    e = np.exp(np.asarray(logits) / T)\n    return e / e.sum()\n"),
        ("T clipped to >= 0.1 to be safe",
         "def apply_temperature(logits, T):\n    return softmax(np.asarray(logits, dtype=float) / max(T, 0.1))\n"),
        ("an integer array that truncates",
         "def apply_temperature(logits, T):\n    logits = np.asarray(logits)\n    probs = np.zeros_like(logits)\n"
         "    probs[:] = softmax(logits / T)\n    return probs\n"),
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
        ("ties broken by the higher index",
         "def top_p_filter(probs, p):\n    order = np.argsort(probs)[::-1]\n    kept = np.zeros_like(probs)\n"
         "    n = min(int(np.searchsorted(np.cumsum(probs[order]), p)) + 1, probs.size)\n"
         "    kept[order[:n]] = probs[order[:n]]\n    return kept / kept.sum()\n"),
        ("p clipped to <= 0.99 to be safe",
         "def top_p_filter(probs, p):\n" + _KEEP +
         "    n = min(int(np.searchsorted(np.cumsum(probs[order]), min(p, 0.99))) + 1, probs.size)\n"
         "    kept[order[:n]] = probs[order[:n]]\n    return kept / kept.sum()\n"),
    ],
    "greedy": [
        ("highest index on ties", "def greedy(logits):\n    return int(len(logits) - 1 - np.argmax(np.asarray(logits)[::-1]))\n"),
        ("returns the probability, not the index", "def greedy(logits):\n    return int(np.argmax(logits)) if len(logits) < 4 else float(np.max(logits))\n"),
        ("argsort: the last index on ties", "def greedy(logits):\n    return int(np.argsort(logits, kind='stable')[-1])\n"),
        ("-inf entries dropped first, so the index shifts",
         "def greedy(logits):\n    logits = np.asarray(logits, dtype=float)\n"
         "    return int(np.argmax(logits[np.isfinite(logits)]))\n"),
        ("logits cast to int", "def greedy(logits):\n    return int(np.argmax(np.nan_to_num(logits).astype(int)))\n"),
    ],
    "sample_index": [
        ("u <= cumsum instead of u <",
         "def sample_index(probs, u):\n    return int(np.searchsorted(np.cumsum(probs), u, side='left'))\n"),
        ("counts from the end",
         "def sample_index(probs, u):\n    c = np.cumsum(probs)\n    return int(np.argmax(u < c)) if u < 0.5 else int(np.argmax(1 - u < c))\n"),
        ("a loop with u <= cumsum",
         "def sample_index(probs, u):\n    total = 0.0\n    for i, q in enumerate(probs):\n        total += q\n"
         "        if u <= total:\n            return i\n    return len(probs) - 1\n"),
        ("no fallback when rounding leaves the total below u",
         "def sample_index(probs, u):\n    return int(np.argmax(u < np.cumsum(probs)))\n"),
        ("the fallback is the last index, even a zero-probability word",
         "def sample_index(probs, u):\n"
         "    return int(min(np.searchsorted(np.cumsum(probs), u, side='right'), len(probs) - 1))\n"),
        ("cumsum of the sorted probabilities",
         "def sample_index(probs, u):\n    return int(np.searchsorted(np.cumsum(np.sort(probs)[::-1]), u, side='right'))\n"),
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
        ("T clipped to >= 0.1, so T == 0 is a draw",
         "def next_token(logits, T=1.0, top_p=1.0, u=None, rng=None):\n"
         "    kept = top_p_filter(softmax(np.asarray(logits, dtype=float) / max(T, 0.1)), top_p)\n"
         "    if u is None:\n        u = (rng or np.random.default_rng()).random()\n"
         "    return sample_index(kept, u)\n"),
        ("T == 0 as a tiny temperature: a tie is split by u",
         "def next_token(logits, T=1.0, top_p=1.0, u=None, rng=None):\n"
         "    kept = top_p_filter(softmax(np.asarray(logits, dtype=float) / max(T, 1e-9)), top_p)\n"
         "    if u is None:\n        u = (rng or np.random.default_rng()).random()\n"
         "    return sample_index(kept, u)\n"),
        ("top-p before the temperature",
         "def next_token(logits, T=1.0, top_p=1.0, u=None, rng=None):\n"
         "    if T == 0:\n        return int(np.argmax(logits))\n"
         "    kept = top_p_filter(softmax(np.asarray(logits, dtype=float)), top_p) ** (1 / T)\n"
         "    if u is None:\n        u = (rng or np.random.default_rng()).random()\n"
         "    return sample_index(kept / kept.sum(), u)\n"),
        ("the kept words not renormalized",
         "def next_token(logits, T=1.0, top_p=1.0, u=None, rng=None):\n"
         "    if T == 0:\n        return int(np.argmax(logits))\n    probs = softmax(np.asarray(logits, dtype=float) / T)\n"
         "    kept = np.where(top_p_filter(probs, top_p) > 0, probs, 0.0)\n"
         "    if u is None:\n        u = (rng or np.random.default_rng()).random()\n"
         "    return sample_index(kept, u)\n"),
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
        ("returns only the new ids, always",
         "def generate(model, ids, n, T=1.0, top_p=1.0, rng=None):\n    out = list(ids)\n"
         "    for _ in range(n):\n        out.append(next_token(forward(model, out), T, top_p, rng=rng))\n"
         "    return out[len(ids):]\n"),
        ("ignores top_p",
         "def generate(model, ids, n, T=1.0, top_p=1.0, rng=None):\n    out = list(ids)\n"
         "    for _ in range(n):\n        out.append(next_token(forward(model, out), T, rng=rng))\n    return out\n"),
        ("every word predicted from the prompt alone",
         "def generate(model, ids, n, T=1.0, top_p=1.0, rng=None):\n    out = list(ids)\n"
         "    for _ in range(n):\n        out.append(next_token(forward(model, ids), T, top_p, rng=rng))\n    return out\n"),
        ("ignores T at T > 0",
         "def generate(model, ids, n, T=1.0, top_p=1.0, rng=None):\n    out = list(ids)\n"
         "    for _ in range(n):\n        out.append(next_token(forward(model, out), 0 if T == 0 else 1.0, top_p, rng=rng))\n"
         "    return out\n"),
    ],
}
