"""On-disk side of the model fixtures: tensor names as real checkpoints store them, seeded random
weights, FP8 e4m3 128x128 block quantization / dequantization, and safetensors writing.

transformers 5.x keeps routed experts fused in memory (`mlp.experts.gate_up_proj [E, 2*Ie, H]`,
`mlp.experts.down_proj [E, H, Ie]`); real DeepSeek checkpoints store one tensor per expert
(`mlp.experts.<e>.{gate,up,down}_proj.weight`). The functions here convert between the two.
"""

import math
import re
import zlib

import torch
from safetensors.torch import save_file

FP8_BLOCK = 128
FP8_E4M3_MAX = 448.0

_FUSED_GATE_UP = re.compile(r"^(.*\.mlp\.experts)\.gate_up_proj$")
_FUSED_DOWN = re.compile(r"^(.*\.mlp\.experts)\.down_proj$")
_PER_EXPERT = re.compile(r"^(.*\.mlp\.experts)\.(\d+)\.(gate_proj|up_proj|down_proj)\.weight$")


def SeedFor(name):
    """Stable per-fixture seed (crc32 of the fixture name)."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def DiskShapesFromModel(model, tie_word_embeddings):
    """{on-disk tensor name: shape} for a transformers model, experts split per expert."""
    shapes = {}
    for name, tensor in model.state_dict().items():
        m_gu = _FUSED_GATE_UP.match(name)
        m_dn = _FUSED_DOWN.match(name)
        if m_gu:
            num_experts, two_ie, hidden = tensor.shape
            for e in range(num_experts):
                shapes[f"{m_gu.group(1)}.{e}.gate_proj.weight"] = (two_ie // 2, hidden)
                shapes[f"{m_gu.group(1)}.{e}.up_proj.weight"] = (two_ie // 2, hidden)
        elif m_dn:
            num_experts, hidden, ie = tensor.shape
            for e in range(num_experts):
                shapes[f"{m_dn.group(1)}.{e}.down_proj.weight"] = (hidden, ie)
        else:
            shapes[name] = tuple(tensor.shape)
    if tie_word_embeddings:
        shapes.pop("lm_head.weight", None)  # tied checkpoints do not store it
    return shapes


def FuseExperts(disk):
    """On-disk (per-expert) f32 tensors -> the names/shapes of transformers 5.x state_dict."""
    fused, experts = {}, {}
    for name, t in disk.items():
        m = _PER_EXPERT.match(name)
        if m:
            experts.setdefault(m.group(1), {}).setdefault(int(m.group(2)), {})[m.group(3)] = t
        else:
            fused[name] = t
    for prefix, per_e in experts.items():
        ids = sorted(per_e)
        assert ids == list(range(len(ids))), f"{prefix}: expert ids not contiguous"
        fused[f"{prefix}.gate_up_proj"] = torch.stack(
            [torch.cat([per_e[e]["gate_proj"], per_e[e]["up_proj"]], 0) for e in ids])
        fused[f"{prefix}.down_proj"] = torch.stack([per_e[e]["down_proj"] for e in ids])
    return fused


def _Kind(name):
    if name.endswith("e_score_correction_bias"):
        return "router_bias"
    if name.endswith("mlp.gate.weight"):
        return "router"
    if "norm" in name and name.endswith(".weight"):
        return "norm"
    if name.endswith("embed_tokens.weight"):
        return "embed"
    if name.endswith(".bias"):
        return "bias"
    if name.endswith("lm_head.weight") or name.endswith("shared_head.head.weight"):
        return "lm_head"
    return "linear"


def RandomWeights(shapes, seed, embed_scale=1.0, out_gain=1.0):
    """Seeded random f32 weights, scaled so activations stay O(1) and logits spread a few units.

    Tensors are drawn in sorted-name order from one torch.Generator, so the result depends only on
    (shapes, seed, embed_scale). Tied models use embed_scale != 1: rows are then rescaled to rms
    embed_scale, because with plain N(0, 1) rows the tied lm_head favours the current token and the
    largest-norm rows, and greedy decoding just repeats one token; out_gain (on o_proj/down_proj,
    the residual-branch outputs) lets the layers outweigh the token's own embedding.
    """
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name in sorted(shapes):
        shape = shapes[name]
        z = torch.randn(shape, generator=gen, dtype=torch.float32)
        kind = _Kind(name)
        if kind == "norm":
            t = 1.0 + 0.2 * z
        elif kind == "embed":
            t = z if embed_scale == 1.0 else embed_scale * z / z.pow(2).mean(-1, keepdim=True).sqrt()
        elif kind == "bias":
            t = 0.2 * z
        elif kind == "router":
            t = 2.0 * z / math.sqrt(shape[1])
        elif kind == "router_bias":
            t = 0.25 * z  # large enough to change the expert choice of many tokens
        elif kind == "lm_head":
            t = 3.0 * z / math.sqrt(shape[1])
        elif name.endswith(("o_proj.weight", "down_proj.weight")):
            t = out_gain * z / math.sqrt(shape[1])
        else:
            t = z / math.sqrt(shape[1])
        out[name] = t.contiguous()
    return out


def FP8Quantized(name):
    """Whether real DeepSeek-V3 FP8 checkpoints store this tensor as F8_E4M3 (+ weight_scale_inv)."""
    if not name.endswith(".weight") or _Kind(name) != "linear":
        return False
    return bool(re.search(r"\.(self_attn|mlp)\.", name)) and "mlp.gate.weight" not in name


def QuantizeFP8Blocks(w, block_multipliers_gen=None):
    """f32 [out, in] -> (F8_E4M3 [out, in], f32 scale_inv [ceil(out/128), ceil(in/128)]).

    Per 128x128 block (last row/column blocks may be partial): scale_inv = amax / 448, q =
    round_to_e4m3(w / scale_inv). If block_multipliers_gen is given and the matrix has more than one
    block, each block is first multiplied by 0.5, 1 or 2 (random) so neighbouring blocks have
    clearly different scales (catches swapped or mis-indexed scale lookups); the returned pair
    encodes the modified weight.
    """
    rows, cols = w.shape
    nbr, nbc = -(-rows // FP8_BLOCK), -(-cols // FP8_BLOCK)
    w = w.clone()
    if block_multipliers_gen is not None and nbr * nbc > 1:
        exps = torch.randint(-1, 2, (nbr, nbc), generator=block_multipliers_gen)
        for br in range(nbr):
            for bc in range(nbc):
                w[br * FP8_BLOCK:(br + 1) * FP8_BLOCK, bc * FP8_BLOCK:(bc + 1) * FP8_BLOCK] *= (
                    2.0 ** float(exps[br, bc]))
    q = torch.empty(rows, cols, dtype=torch.float8_e4m3fn)
    scale_inv = torch.empty(nbr, nbc, dtype=torch.float32)
    for br in range(nbr):
        for bc in range(nbc):
            rs = slice(br * FP8_BLOCK, min((br + 1) * FP8_BLOCK, rows))
            cs = slice(bc * FP8_BLOCK, min((bc + 1) * FP8_BLOCK, cols))
            block = w[rs, cs]
            amax = float(block.abs().max())
            s = amax / FP8_E4M3_MAX if amax > 0 else 1.0
            scale_inv[br, bc] = s
            q[rs, cs] = (block / torch.tensor(s, dtype=torch.float32)).to(torch.float8_e4m3fn)
    return q, scale_inv


def DequantizeFP8Blocks(q, scale_inv):
    """W[r, c] = float(q[r, c]) * scale_inv[r // 128, c // 128], computed in f32 (§1.d.3)."""
    rows, cols = q.shape
    s = scale_inv.repeat_interleave(FP8_BLOCK, 0).repeat_interleave(FP8_BLOCK, 1)[:rows, :cols]
    return q.to(torch.float32) * s


def MtpShapes(disk_shapes, num_layers, hidden, vocab):
    """Extra tensors of one MTP module at layer index num_layers (copied shapes of the last layer)."""
    last = f"model.layers.{num_layers - 1}."
    mtp = f"model.layers.{num_layers}."
    shapes = {mtp + n[len(last):]: s for n, s in disk_shapes.items() if n.startswith(last)}
    shapes.update({
        mtp + "embed_tokens.weight": (vocab, hidden),
        mtp + "enorm.weight": (hidden,),
        mtp + "hnorm.weight": (hidden,),
        mtp + "eh_proj.weight": (hidden, 2 * hidden),
        mtp + "shared_head.norm.weight": (hidden,),
        mtp + "shared_head.head.weight": (vocab, hidden),
    })
    return shapes


def WriteCheckpoint(path, tensors):
    """safetensors with metadata {"format": "pt"}, as transformers writes it."""
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path), metadata={"format": "pt"})


def StoreAs(weights_f32, storage, seed):
    """Turn f32 weights into what the file stores and the f32 values transformers must see.

    Returns (disk_tensors, effective_f32): effective_f32 are exactly the on-disk values widened to
    f32 (bf16 -> f32 is exact; FP8 -> f32 dequantized per block in f32).
    """
    disk, eff = {}, {}
    block_gen = torch.Generator().manual_seed(seed ^ 0x5EED)
    for name in sorted(weights_f32):
        w = weights_f32[name]
        if storage == "float32" or name.endswith("e_score_correction_bias"):
            disk[name], eff[name] = w, w
        elif storage == "bfloat16" or not FP8Quantized(name):
            disk[name] = w.to(torch.bfloat16)
            eff[name] = disk[name].to(torch.float32)
        else:
            q, s = QuantizeFP8Blocks(w, block_gen)
            disk[name], disk[name + "_scale_inv"] = q, s
            eff[name] = DequantizeFP8Blocks(q, s)
    return disk, eff
