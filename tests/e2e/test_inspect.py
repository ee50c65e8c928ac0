"""`dsinfer random-checkpoint` + `dsinfer inspect` on every family: parameter counts against
closed-form formulas written here, and damaged checkpoints / configs that must fail by name
(never by a crash)."""
import json
import pathlib
import shutil

import pytest
from conftest import CONFIGS, TINY_CONFIGS, edit_checkpoint, read_safetensors


def closed_form(cfg):
    """(total, active) parameters from deepseek-models.md §1; active leaves out embed_tokens."""
    v, h, layers = cfg["vocab_size"], cfg["hidden_size"], cfg["num_hidden_layers"]
    heads = cfg["num_attention_heads"]
    arch = cfg["architectures"][0]
    dense_mlp = 3 * h * cfg.get("intermediate_size", 0)
    moe_total = moe_active = 0
    n_dense = layers
    if arch in ("LlamaForCausalLM", "Qwen2ForCausalLM"):
        kv = cfg.get("num_key_value_heads") or heads
        hd = cfg.get("head_dim") or h // heads
        attn = h * heads * hd * 2 + h * kv * hd * 2
        if arch == "Qwen2ForCausalLM":
            attn += heads * hd + 2 * kv * hd
    else:
        ql, kvl = cfg["q_lora_rank"] or 0, cfg["kv_lora_rank"]
        nope, rope, vd = cfg["qk_nope_head_dim"], cfg["qk_rope_head_dim"], cfg["v_head_dim"]
        q = (h * ql + ql + ql * heads * (nope + rope)) if ql else h * heads * (nope + rope)
        attn = q + h * (kvl + rope) + kvl + kvl * heads * (nope + vd) + heads * vd * h
        expert = 3 * h * cfg["moe_intermediate_size"]
        e = cfg["n_routed_experts"]
        router = e * h + (e if arch == "DeepseekV3ForCausalLM" else 0)
        shared = (cfg.get("n_shared_experts") or 0) * expert
        moe_total = router + e * expert + shared
        moe_active = router + cfg["num_experts_per_tok"] * expert + shared
        n_dense = cfg["first_k_dense_replace"]
    common = layers * (attn + 2 * h) + n_dense * dense_mlp + h
    n_moe = layers - n_dense
    tied = cfg.get("tie_word_embeddings", False)
    total = v * h + common + n_moe * moe_total + (0 if tied else v * h)
    active = common + n_moe * moe_active + v * h
    return total, active


@pytest.mark.parametrize("name", TINY_CONFIGS)
def test_inspect_counts_parameters(run, checkpoints, name):
    cfg = json.loads((CONFIGS / f"{name}.json").read_text())
    r = run("inspect", checkpoints[name], "--json")
    assert r.rc == 0, r.all
    report = r.json()
    total, active = closed_form(cfg)
    assert report["parameters"]["total"] == total
    assert report["parameters"]["active"] == active
    assert report["parameters"]["active_with_embedding"] == active + cfg["vocab_size"] * cfg["hidden_size"]
    assert report["status"].startswith("OK")
    assert report["checkpoint"]["matched_tensors"] == report["checkpoint"]["tensors"]
    assert not any(report["problems"].values())
    human = run("inspect", checkpoints[name])
    assert human.rc == 0, human.all
    assert f"total {total:,}" in human.out
    assert f"active per token {active:,}" in human.out


def test_random_checkpoint_reads_with_reference_safetensors(run, checkpoints, tmp_path):
    from safetensors import safe_open
    out = tmp_path / "f32"
    r = run("random-checkpoint", CONFIGS / "qwen2.json", out, "--dtype", "f32", "--seed", 9)
    assert r.rc == 0, r.all
    with safe_open(str(out / "model.safetensors"), framework="numpy") as f:
        keys = set(f.keys())
        w = f.get_tensor("model.layers.1.self_attn.q_proj.bias")
        assert w.shape == (64,) and w.dtype.name == "float32"
        assert 0.0 < abs(w).max() <= 0.0347
        norm = f.get_tensor("model.norm.weight")
        assert abs(norm - 1.0).max() <= 0.1
    assert len(keys) == 1 + 2 * 12 + 2
    assert json.loads((out / "config.json").read_text())["torch_dtype"] == "float32"
    with safe_open(str(checkpoints["deepseek_v3_fp8"] / "model.safetensors"), framework="numpy") as f:
        s = f.get_slice("model.layers.0.mlp.gate_proj.weight_scale_inv")
        assert s.get_shape() == [2, 1]  # ceil(160 / 128), ceil(64 / 128)


def test_sharded_random_checkpoint(run, tmp_path):
    out = tmp_path / "sharded"
    r = run("random-checkpoint", CONFIGS / "deepseek_v2.json", out, "--shards", 3)
    assert r.rc == 0, r.all
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert sorted(set(index["weight_map"].values())) == [
        f"model-0000{i}-of-00003.safetensors" for i in (1, 2, 3)]
    r = run("inspect", out, "--json")
    assert r.rc == 0, r.all
    assert r.json()["checkpoint"]["files"] == 3
    r = run("random-checkpoint", CONFIGS / "deepseek_v2.json", out)
    assert r.rc != 0 and "already holds" in r.err


def test_missing_tensor_is_named(run, checkpoints, tmp_path):
    gone = "model.layers.1.mlp.experts.3.down_proj.weight"
    bad = edit_checkpoint(checkpoints["deepseek_v2_lite"], tmp_path / "missing",
                          lambda t: t.pop(gone))
    r = run("inspect", bad)
    assert r.rc == 2, r.all
    assert gone in r.out and "missing" in r.out
    assert run("inspect", bad, "--json").json()["problems"]["missing"] == [gone]


def test_wrong_shape_is_named(run, checkpoints, tmp_path):
    name = "model.layers.1.mlp.down_proj.weight"  # [64, 96] bf16 in llama.json

    def shrink(t):
        dtype, shape, blob = t[name]
        t[name] = (dtype, [64, 32], blob[:64 * 32 * 2])
    bad = edit_checkpoint(checkpoints["llama"], tmp_path / "shape", shrink)
    r = run("inspect", bad)
    assert r.rc == 2, r.all
    assert f"{name}: shape [64, 32] expected [64, 96]" in r.out


def test_unexpected_and_ignored_tensors(run, checkpoints, tmp_path):
    def add(t):
        t["model.layers.3.eh_proj.weight"] = ("BF16", [64, 128], bytes(64 * 128 * 2))  # MTP
        t["model.layers.0.self_attn.rotary_emb.inv_freq"] = ("F32", [4], bytes(16))
    ok = edit_checkpoint(checkpoints["deepseek_v3"], tmp_path / "mtp", add)
    r = run("inspect", ok, "--json")
    assert r.rc == 0, r.all
    assert {t["name"] for t in r.json()["ignored"]} == {
        "model.layers.3.eh_proj.weight", "model.layers.0.self_attn.rotary_emb.inv_freq"}

    bad = edit_checkpoint(checkpoints["llama"], tmp_path / "extra",
                          lambda t: t.__setitem__("model.layers.0.self_attn.o_proj.bias",
                                                  ("BF16", [64], bytes(128))))
    r = run("inspect", bad)
    assert r.rc == 2 and "model.layers.0.self_attn.o_proj.bias" in r.out


@pytest.mark.parametrize("damage", ["truncate", "empty", "garbage", "huge_header", "bad_json"])
def test_corrupt_safetensors_fails_by_name(run, checkpoints, tmp_path, damage):
    bad = tmp_path / damage
    shutil.copytree(checkpoints["llama"], bad)
    path = bad / "model.safetensors"
    raw = path.read_bytes()
    if damage == "truncate":
        raw = raw[:len(raw) // 2]
    elif damage == "empty":
        raw = b""
    elif damage == "garbage":
        raw = bytes((i * 37) % 251 for i in range(4096))
    elif damage == "huge_header":
        raw = (1 << 62).to_bytes(8, "little") + raw[8:]
    elif damage == "bad_json":
        raw = raw[:8] + b"{" * 8 + raw[16:]
    path.write_bytes(raw)
    r = run("inspect", bad)
    assert r.rc == 2, r.all
    assert "model.safetensors" in r.err
    r = run("inspect", bad, "--json")
    assert r.rc == 2
    assert "model.safetensors" in r.json()["error"]


def test_config_errors(run, checkpoints, tmp_path):
    bad = tmp_path / "malformed"
    shutil.copytree(checkpoints["llama"], bad)
    (bad / "config.json").write_text('{"architectures": ["LlamaForCausalLM"], "hidden_size": 64,')
    r = run("inspect", bad)
    assert r.rc == 2
    assert "config.json" in r.err and "malformed JSON" in r.err

    cfg = json.loads((CONFIGS / "llama.json").read_text())
    del cfg["num_attention_heads"]
    (bad / "config.json").write_text(json.dumps(cfg))
    r = run("inspect", bad)
    assert r.rc == 2 and "field 'num_attention_heads' is missing" in r.err

    cfg = json.loads((CONFIGS / "llama.json").read_text())
    cfg["architectures"] = ["MixtralForCausalLM"]
    (bad / "config.json").write_text(json.dumps(cfg))
    r = run("inspect", bad)
    assert r.rc == 2 and "architecture MixtralForCausalLM is not supported" in r.err

    (bad / "config.json").unlink()
    r = run("inspect", bad)
    assert r.rc == 2 and "config.json" in r.err

    r = run("inspect", tmp_path / "does-not-exist")
    assert r.rc == 2 and "does-not-exist" in r.err


def test_unsupported_feature_exits_3(run, checkpoints, tmp_path):
    d = tmp_path / "sliding"
    shutil.copytree(checkpoints["qwen2"], d)
    cfg = json.loads((d / "config.json").read_text())
    cfg["use_sliding_window"] = True
    (d / "config.json").write_text(json.dumps(cfg))
    r = run("inspect", d)
    assert r.rc == 3, r.all
    assert "sliding window" in r.out


def test_config_only_inspect_of_real_models(run):
    r = run("inspect", CONFIGS / "real" / "deepseek_v3.json", "--json")
    assert r.rc == 0, r.all
    report = r.json()
    assert abs(report["parameters"]["total"] - 671e9) < 0.01 * 671e9
    assert abs(report["parameters"]["active"] - 37e9) < 0.03 * 37e9
    # MLA cache: 61 layers x (512 + 64) values x 2 bytes
    assert report["memory"]["kv_cache_bytes_per_token"]["bf16"] == 61 * 576 * 2
    assert "checkpoint" not in report


def test_rank_plan_of_a_layout(run):
    """--tp/--pp: what each rank holds (checked against real loads in the C++ rank_plan test)."""
    r = run("inspect", CONFIGS / "real" / "deepseek_v3.json", "--json", "--tp", "8", "--pp", "4")
    assert r.rc == 0, r.all
    report = r.json()
    plan = report["rank_plan"]
    ranks = plan["ranks"]
    assert len(ranks) == plan["ranks_per_replica"] == 32
    # Stages cover the 61 layers in order; ranks are tp innermost.
    assert ranks[0]["layers"][0] == 0 and ranks[-1]["layers"][1] == 61
    assert [k["pp_rank"] for k in ranks] == [k // 8 for k in range(32)]
    bf16 = report["memory"]["weights_bf16_bytes"]
    total = sum(k["weight_bytes"] for k in ranks)
    # Replicated pieces (norms, routers, MLA down-projections) make the sum exceed one copy.
    assert bf16 <= total < 1.05 * bf16
    for k in ranks:
        assert 0.8 * bf16 / 32 < k["weight_bytes"] < 1.2 * bf16 / 32, k
    # MLA caches the latent on every tp rank: each stage holds its layers' 576 values.
    layers = ranks[0]["layers"][1] - ranks[0]["layers"][0]
    assert ranks[0]["kv_cache_bytes_per_token"] == layers * 576 * 2
    bad = run("inspect", CONFIGS / "real" / "deepseek_v3.json", "--tp", "3")
    assert bad.rc == 2 and "num_attention_heads 128 is not divisible by tensor parallel size 3" in bad.err, bad.all
