"""How close reference.attention.attention comes to the floor set by its two matrix products; and how long the
rungs' heavier references take: train_bpe on 00_tokens' training text, gpt_forward of the small GPT at T = 256.

    python bench/reference.py [--T 512] [--d 64] [--heads 8] [--repeat 20]

Q, K, V have shape (heads, T, d): eight heads as a batch axis. The floor is Q @ Kᵀ and A @ V timed alone (the
two products any attention must do); attention adds validation, the scaling, the softmax and the weights' copy.
Prints the best-of-repeat time of each, and the ratio. Target: ratio <= 2.

What sets the ratio: the softmax's 8 * 512 * 512 = 2M float64 exponentials. numpy vectorizes float64 exp only with
AVX-512; on an AVX2 machine each costs about 5 ns, some 10 ms, against roughly 15-20 ms for the two products on
one core. So expect about 2x on AVX2 with single-threaded BLAS (OPENBLAS_NUM_THREADS=1), more when BLAS runs
the products on several cores (the exponentials stay on one), and well under 2x with AVX-512.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reference.attention import attention, causal_mask  # noqa: E402
from reference.tokens import train_bpe  # noqa: E402
from reference.transformer import gpt_forward  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BPE_TEXT = ROOT / "source" / "00_tokens" / "forest.txt"
SMALL_GPT = ROOT / "reference" / "smallgpt.json"

TARGET_RATIO = 2.0


def best_times(fs, repeat):
    """The fastest of `repeat` runs of each function (after one warm-up), the functions taking turns so that a
    busy machine slows them alike: the minimum is the run least disturbed by everything else."""
    for f in fs:
        f()
    times = [[] for _ in fs]
    for _ in range(repeat):
        for f, ts in zip(fs, times):
            start = time.perf_counter()
            f()
            ts.append(time.perf_counter() - start)
    return [min(ts) for ts in times]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, default=512, help="sequence length")
    parser.add_argument("--d", type=int, default=64, help="width of each head")
    parser.add_argument("--heads", type=int, default=8, help="heads, as a leading batch axis")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each (the best one counts)")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    Q, K, V = (rng.normal(size=(args.heads, args.T, args.d)) for _ in range(3))  # (heads, T, d)
    A = rng.random((args.heads, args.T, args.T))  # (heads, T, T) stand-in attention weights
    A /= A.sum(axis=-1, keepdims=True)
    Kt = np.swapaxes(K, -1, -2)
    mask = causal_mask(args.T)

    floor, plain, causal = best_times(
        [
            lambda: (Q @ Kt, A @ V),  # (h, T, d) x (h, d, T) -> (h, T, T);  (h, T, T) x (h, T, d) -> (h, T, d)
            lambda: attention(Q, K, V),
            lambda: attention(Q, K, V, mask=mask),
        ],
        args.repeat,
    )

    print(f"attention, Q K V of shape {Q.shape}, float64, best of {args.repeat}")
    print(f"  floor: Q @ K^T and A @ V alone   {floor * 1e3:8.2f} ms")
    for name, t in (("attention(Q, K, V)", plain), ("attention(..., mask=causal)", causal)):
        print(f"  {name:<32} {t * 1e3:8.2f} ms   ratio {t / floor:4.2f}  (target <= {TARGET_RATIO:g})")
    worst = max(plain, causal) / floor
    print(f"  {'within' if worst <= TARGET_RATIO else 'ABOVE'} target (worst ratio {worst:.2f})")
    rungs(args.repeat)
    return 0


def rungs(repeat):
    """train_bpe on the text 00_tokens ships, gpt_forward of the small GPT 08_transformer ships, at T = 256."""
    import json

    text = BPE_TEXT.read_text(encoding="utf-8")
    small = json.loads(SMALL_GPT.read_text())
    params = {key: np.array(small[key]) for key in ("E", "P", "lnf_g", "lnf_b")}
    params["blocks"] = [{k: np.array(v) for k, v in block.items()} for block in small["blocks"]]
    V, T_max = params["E"].shape[0], params["P"].shape[0]
    T = 256
    if T_max < T:  # the shipped model's positions stop earlier: sinusoids continue them, as the notebook does
        from reference.transformer import positional_encoding

        params["P"] = positional_encoding(T, params["P"].shape[1])
    ids = np.random.default_rng(0).integers(V, size=T)
    (bpe_100, bpe_200), (forward,) = (best_times([lambda: train_bpe(text, 100), lambda: train_bpe(text, 200)],
                                                 max(3, repeat // 4)),
                                      best_times([lambda: gpt_forward(params, ids, small["n_heads"])], repeat))
    print(f"train_bpe on {BPE_TEXT.name} ({len(text.encode('utf-8'))} bytes), best of {max(3, repeat // 4)}")
    print(f"  100 merges {bpe_100 * 1e3:8.1f} ms    200 merges {bpe_200 * 1e3:8.1f} ms")
    print(f"gpt_forward of the small GPT ({len(params['blocks'])} blocks, d = {params['E'].shape[1]}, "
          f"V = {V}) at T = {T}, best of {repeat}: {forward * 1e3:8.2f} ms")


if __name__ == "__main__":
    sys.exit(main())
