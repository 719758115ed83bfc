"""The numpy reference implementation of every graded function of Line to Word.

One module per idea, in the order of the rungs (see docs / DESIGN's "Reference API contract"):

- ``reference.tokens``: byte-level BPE: pair counts, merges, training, encoding and decoding text (rung 0)
- ``reference.line``: a line, its MSE and gradient descent; the normal equation (rung 1)
- ``reference.activations``: sigmoid and ReLU with their derivatives, the bent line and the two-neuron bump (2, 3)
- ``reference.attention``: embeddings, softmax, scaled dot-product, causal and multi-head attention (4)
- ``reference.block``: the MLP block, the tied unembedding, the tiny model's forward pass (5)
- ``reference.sampling``: temperature, top-p, greedy, the inverse-CDF draw, generation (6)
- ``reference.rlhf``: corpus logits, the preference reward, the RLHF logit shift, KL (7)
- ``reference.transformer``: positions, layer norm and RMSNorm, GELU, the pre-LN block, a small GPT (8)
- ``reference.training``: log-softmax, cross-entropy, backprop through the tiny model, a gradient check, Adam (9)
- ``reference.preferences``: Bradley–Terry, a linear reward model and its fit, the DPO loss and implicit reward (10)
- ``reference.retrieval``: cosine similarity, top-k, BM25, rank fusion, the tiny model with retrieved context (11)
- ``reference.tinygpt``: the tiny model's vocabulary and weights

Argument checks shared by all of them live in ``reference._checks``.
"""
