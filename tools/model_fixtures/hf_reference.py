"""transformers side of the model fixtures: load a fixture directory exactly as a user would
(eager attention, eager experts loop) and compute reference logits and greedy continuations.

Every prompt is run on a freshly loaded model so that stateful RoPE variants (dynamic NTK keeps
its recomputed inv_freq between calls) start from the state of a newly loaded checkpoint.
"""

import json
import os
import re
import shutil
import tempfile

import torch
import transformers
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, GenerationConfig

import fixture_io

ATTN_IMPLEMENTATION = "eager"
EXPERTS_IMPLEMENTATION = "eager"

_MTP_PREFIX = re.compile(r"^model\.layers\.(\d+)\.")


def Versions():
    import safetensors
    return {"transformers": transformers.__version__, "torch": torch.__version__,
            "safetensors": safetensors.__version__}


def LoadModel(model_dir, dtype, num_layers):
    """from_pretrained with eager attention/experts; fails on any missing or mismatched tensor.

    Unexpected tensors are allowed only at layer index >= num_layers (MTP modules, which
    transformers ignores as the engine must).
    """
    model, info = AutoModelForCausalLM.from_pretrained(
        model_dir, dtype=dtype, attn_implementation=ATTN_IMPLEMENTATION,
        experts_implementation=EXPERTS_IMPLEMENTATION, output_loading_info=True)
    bad_unexpected = [k for k in info.get("unexpected_keys", [])
                      if not (_MTP_PREFIX.match(k) and int(_MTP_PREFIX.match(k).group(1)) >= num_layers)]
    if info.get("missing_keys") or info.get("mismatched_keys") or bad_unexpected:
        raise RuntimeError(f"{model_dir}: loading problems: missing={info.get('missing_keys')} "
                           f"mismatched={info.get('mismatched_keys')} unexpected={bad_unexpected}")
    model.eval()
    return model


class ReferenceDir:
    """A directory transformers can load for computing references.

    For plain fixtures it is the fixture itself. For FP8 fixtures it is a temporary copy whose
    model.safetensors holds the block-dequantized f32 weights (our own dequantization, §1.d.3) and
    whose config has no quantization_config: transformers 5.24's CPU FP8 path would dequantize
    with a block size derived from the scale-grid shape, which is wrong for partial blocks.
    """

    def __init__(self, fixture_dir, effective_f32=None):
        self.fixture_dir = fixture_dir
        self.effective_f32 = effective_f32
        self.tmp = None

    def __enter__(self):
        with open(os.path.join(self.fixture_dir, "config.json")) as f:
            cfg = json.load(f)
        if "quantization_config" not in cfg:
            return self.fixture_dir
        self.tmp = tempfile.mkdtemp(prefix="fixture_ref_")
        cfg.pop("quantization_config")
        cfg["torch_dtype"] = "float32"
        with open(os.path.join(self.tmp, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        shutil.copy(os.path.join(self.fixture_dir, "generation_config.json"), self.tmp)
        eff = self.effective_f32
        if eff is None:
            eff = DequantizedFromDisk(os.path.join(self.fixture_dir, "model.safetensors"))
        n = cfg["num_hidden_layers"]
        eff = {k: v for k, v in eff.items()
               if not (_MTP_PREFIX.match(k) and int(_MTP_PREFIX.match(k).group(1)) >= n)}
        fixture_io.WriteCheckpoint(os.path.join(self.tmp, "model.safetensors"), eff)
        return self.tmp

    def __exit__(self, *exc):
        if self.tmp:
            shutil.rmtree(self.tmp)


def DequantizedFromDisk(path):
    """Read a fixture file and widen every tensor to f32, dequantizing F8_E4M3 + weight_scale_inv."""
    raw = load_file(path)
    out = {}
    for name, t in raw.items():
        if name.endswith("_scale_inv"):
            continue
        if t.dtype == torch.float8_e4m3fn:
            out[name] = fixture_io.DequantizeFP8Blocks(t, raw[name + "_scale_inv"])
        else:
            out[name] = t.to(torch.float32)
    return out


@torch.no_grad()
def FullLogits(model, ids):
    """One forward over the whole prompt (no cache reuse) -> [len, vocab] f32."""
    out = model(torch.tensor([ids]), use_cache=False)
    return out.logits[0].to(torch.float32)


@torch.no_grad()
def Greedy(model, ids, max_new_tokens):
    """generate(do_sample=False, use_cache=True), EOS ignored -> (tokens, step logits [n, vocab])."""
    model.generation_config.eos_token_id = None
    gen_cfg = GenerationConfig(max_new_tokens=max_new_tokens, min_new_tokens=0, do_sample=False,
                               use_cache=True, eos_token_id=None, pad_token_id=0,
                               bos_token_id=None, num_beams=1)
    out = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                         generation_config=gen_cfg, return_dict_in_generate=True, output_logits=True)
    tokens = out.sequences[0, len(ids):].tolist()
    logits = torch.stack([l[0] for l in out.logits]).to(torch.float32)
    if len(tokens) != max_new_tokens:
        raise RuntimeError(f"generate returned {len(tokens)} tokens, expected {max_new_tokens}")
    if tokens != logits.argmax(-1).tolist():
        raise RuntimeError("generate tokens differ from argmax of its own step logits")
    return tokens, logits


def Margins(step_logits):
    """Per step: top-1 minus top-2 logit."""
    top2 = step_logits.topk(2, dim=-1).values
    return (top2[:, 0] - top2[:, 1]).tolist()


def ModelFacts(model):
    """Constants transformers derived from the config, recorded for engine debugging."""
    inner = model.model
    attn = inner.layers[0].self_attn
    facts = {"softmax_scale": float(attn.scaling),
             "rope_attention_scaling": float(inner.rotary_emb.attention_scaling),
             "rope_inv_freq": inner.rotary_emb.inv_freq.to(torch.float32).tolist(),
             "rope_parameters": {k: v for k, v in model.config.rope_parameters.items()}}
    return facts


def StateDictMatches(model, effective_f32):
    """Max |diff| between the loaded model's parameters and the expected (fused) f32 weights."""
    expected = fixture_io.FuseExperts(effective_f32)
    sd = model.state_dict()
    worst = 0.0
    for name, t in expected.items():
        if _MTP_PREFIX.match(name) and int(_MTP_PREFIX.match(name).group(1)) >= model.config.num_hidden_layers:
            continue
        if name not in sd:
            raise RuntimeError(f"tensor {name} not in loaded model")
        worst = max(worst, float((sd[name].to(torch.float32) - t).abs().max()))
    return worst
