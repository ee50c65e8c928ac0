"""Sanity probes recorded in expected.json["sanity"]: they show that each feature a fixture is meant
to exercise actually changes its logits (a fixture where e.g. the V3 correction bias never changes
an expert choice would not test it), plus cached-vs-uncached consistency of the fp32 reference.

Each probe loads a fresh fp32 model, changes one thing, and reports max |logit difference| over all
prompt positions of all prompts.
"""

import types

import torch

import hf_reference as hf


def _AllPromptLogits(ref_dir, num_layers, prompts, mutate=None):
    out = []
    for ids in prompts:
        model = hf.LoadModel(ref_dir, torch.float32, num_layers)
        if mutate is not None:
            mutate(model)
        out.append(hf.FullLogits(model, ids))
    return out


def _MaxDiff(a, b):
    return max(float((x - y).abs().max()) for x, y in zip(a, b))


def MoeGates(model):
    return [layer.mlp.gate for layer in model.model.layers if hasattr(layer.mlp, "experts")]


def _V3RouterZeroMask(self, hidden_states):
    """DeepseekV3TopkRouter.forward with masked groups set to 0.0 (hub remote code) not -inf."""
    hidden_states = hidden_states.view(-1, self.hidden_dim)
    logits = torch.nn.functional.linear(hidden_states.float(), self.weight.float())
    scores = logits.sigmoid()
    choice = scores + self.e_score_correction_bias
    per_group = self.num_experts // self.num_group
    group_scores = choice.view(-1, self.num_group, per_group).topk(2, dim=-1)[0].sum(dim=-1)
    group_idx = torch.topk(group_scores, k=self.topk_group, dim=-1, sorted=False)[1]
    mask = torch.zeros_like(group_scores).scatter_(1, group_idx, 1)
    mask = mask.unsqueeze(-1).expand(-1, self.num_group, per_group).reshape(-1, self.num_experts)
    choice = choice.masked_fill(~mask.bool(), 0.0)
    idx = torch.topk(choice, k=self.top_k, dim=-1, sorted=False)[1]
    w = scores.gather(1, idx)
    if self.norm_topk_prob:
        w = w / (w.sum(dim=-1, keepdim=True) + 1e-20)
    return logits, w * self.routed_scaling_factor, idx


def Run(spec, cfg, ref_dir, num_layers, prompts, greedy_tokens):
    base = _AllPromptLogits(ref_dir, num_layers, prompts)
    out = {}

    # Greedy decode (KV cache) vs one uncached forward over prompt + generated tokens.
    worst, argmax_ok = 0.0, True
    for ids, toks in zip(prompts, greedy_tokens):
        model = hf.LoadModel(ref_dir, torch.float32, num_layers)
        _, step_logits = hf.Greedy(model, ids, len(toks))
        full = hf.FullLogits(hf.LoadModel(ref_dir, torch.float32, num_layers), ids + toks[:-1])
        tail = full[len(ids) - 1:]
        worst = max(worst, float((tail - step_logits).abs().max()))
        argmax_ok &= tail.argmax(-1).tolist() == toks
    out["cached_decode_vs_uncached_forward_max_abs_diff"] = worst
    out["greedy_equals_uncached_argmax"] = argmax_ok

    model_type = cfg["model_type"]
    if model_type == "qwen2":
        def NoBias(model):
            for layer in model.model.layers:
                for proj in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj):
                    proj.bias.data.zero_()
        out["without_qkv_bias_max_abs_diff"] = _MaxDiff(
            base, _AllPromptLogits(ref_dir, num_layers, prompts, NoBias))
    if model_type in ("deepseek_v2", "deepseek_v3"):
        rope = hf.LoadModel(ref_dir, torch.float32, num_layers).config.rope_parameters
        if rope.get("rope_type", "default") != "default":
            plain = (cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"]) ** -0.5

            def NoMscale(model):
                for layer in model.model.layers:
                    layer.self_attn.scaling = plain
            out["without_softmax_mscale2_max_abs_diff"] = _MaxDiff(
                base, _AllPromptLogits(ref_dir, num_layers, prompts, NoMscale))

        def ScaleOne(model):
            for g in MoeGates(model):
                g.routed_scaling_factor = 1.0
        if cfg["routed_scaling_factor"] != 1.0:
            out["without_routed_scaling_factor_max_abs_diff"] = _MaxDiff(
                base, _AllPromptLogits(ref_dir, num_layers, prompts, ScaleOne))

        def NoGroupLimit(model):
            for g in MoeGates(model):
                g.topk_group = g.num_group
                if model_type == "deepseek_v2":
                    g.topk_method = "greedy"
        if (cfg.get("n_group") or 1) > 1:
            out["without_group_limit_max_abs_diff"] = _MaxDiff(
                base, _AllPromptLogits(ref_dir, num_layers, prompts, NoGroupLimit))

    if model_type == "deepseek_v3":
        def NoBias(model):
            for g in MoeGates(model):
                g.e_score_correction_bias.zero_()

        def ZeroMask(model):
            for g in MoeGates(model):
                g.forward = types.MethodType(_V3RouterZeroMask, g)
        out["without_e_score_correction_bias_max_abs_diff"] = _MaxDiff(
            base, _AllPromptLogits(ref_dir, num_layers, prompts, NoBias))
        out["group_mask_0.0_instead_of_-inf_max_abs_diff"] = _MaxDiff(
            base, _AllPromptLogits(ref_dir, num_layers, prompts, ZeroMask))
    return out


def Bf16RunFacts(model):
    """dtypes transformers keeps in a from_pretrained(dtype=bfloat16) model."""
    facts = {"embed_dtype": str(model.model.embed_tokens.weight.dtype),
             "rope_inv_freq_dtype": str(model.model.rotary_emb.inv_freq.dtype)}
    gates = MoeGates(model)
    if gates:
        w = gates[0].weight
        facts["router_weight_dtype"] = str(w.dtype)
        facts["router_weight_values_bf16_exact"] = bool(torch.equal(w, w.bfloat16().to(w.dtype)))
        if hasattr(gates[0], "e_score_correction_bias"):
            facts["e_score_correction_bias_dtype"] = str(gates[0].e_score_correction_bias.dtype)
        facts["experts_accumulator_dtype"] = "activation dtype (torch.zeros_like(hidden_states))"
    return facts


def _SelectionGap(gate, router_logits):
    """Per token: smallest margin of the router's discrete choices, in score units.

    min over (topk_group-th best group score - next group score) and (k-th chosen selection score -
    best unchosen allowed score), following the gate's HF algorithm. Small values mean a tiny
    numeric difference can flip the chosen experts.
    """
    k = gate.top_k
    n_group = gate.num_group or 1
    per_group = gate.num_experts // n_group
    if hasattr(gate, "e_score_correction_bias"):  # V3: sigmoid, bias for selection, top-2 sums
        choice = router_logits.sigmoid() + gate.e_score_correction_bias
        group_scores = choice.view(-1, n_group, per_group).topk(2, dim=-1)[0].sum(-1)
        fill = float("-inf")
    else:  # V2: softmax; group score is the max
        choice = router_logits.softmax(-1)
        group_scores = choice.view(-1, n_group, per_group).max(-1).values
        fill = 0.0
    gap = torch.full((choice.shape[0],), float("inf"))
    limited = n_group > 1 and (hasattr(gate, "e_score_correction_bias")
                               or gate.topk_method == "group_limited_greedy")
    if limited and gate.topk_group < n_group:
        gs = group_scores.sort(-1, descending=True).values
        gap = torch.minimum(gap, gs[:, gate.topk_group - 1] - gs[:, gate.topk_group])
        keep = torch.zeros_like(group_scores).scatter_(
            1, group_scores.topk(gate.topk_group, -1)[1], 1).bool()
        choice = choice.masked_fill(~keep.repeat_interleave(per_group, 1), fill)
    cs = choice.sort(-1, descending=True).values
    if cs.shape[1] > k:
        nxt = cs[:, k]
        gap = torch.minimum(gap, torch.where(torch.isinf(nxt), torch.full_like(nxt, float("inf")),
                                             cs[:, k - 1] - nxt))
    return gap


@torch.no_grad()
def Routing(model, ids):
    """(per-layer sorted expert ids [T, k], per-token min selection gap [T]) of one forward."""
    gates = MoeGates(model)
    captured = []

    def Hook(module, args, output):
        captured.append((module, output[0].detach(), output[2].detach()))
    handles = [g.register_forward_hook(Hook) for g in gates]
    try:
        hf.FullLogits(model, ids)
    finally:
        for h in handles:
            h.remove()
    experts = [idx.sort(-1).values for _, _, idx in captured]
    gap = torch.full((len(ids),), float("inf"))
    for gate, logits, _ in captured:
        gap = torch.minimum(gap, _SelectionGap(gate, logits.float()))
    return experts, gap
