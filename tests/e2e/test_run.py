"""`dsinfer run` end to end: greedy ids equal transformers' on every model fixture, the
shipped model writes text in the prompt's language, and bad checkpoints fail cleanly."""
import json
import re
import shutil

import pytest

from conftest import REPO

MODELS = REPO / "tests" / "data" / "models"
FIXTURES = sorted(p.name for p in MODELS.iterdir()
                  if (p / "config.json").exists() and (p / "expected.json").exists())
SHIPPED = REPO / "models" / "dsv3-tiny-en-zh"


@pytest.mark.parametrize("name", FIXTURES)
def test_greedy_ids_match_transformers(run, name):
    expected = json.loads((MODELS / name / "expected.json").read_text())
    prompt, tokens = expected["prompts"][-1], expected["greedy_tokens"][-1]
    r = run("run", MODELS / name, "--prompt-ids", " ".join(map(str, prompt)),
            "-n", len(tokens), "--dtype", "f32", "--ignore-eos")
    assert r.rc == 0, r.all
    assert [int(t) for t in r.out.split()] == tokens
    assert re.search(r"decode \d+ tokens in .* tok/s", r.err), r.err


@pytest.mark.parametrize("prompt,script", [("The kernel", r"[A-Za-z]{3,}"),
                                           ("我们的系统", r"[\u4e00-\u9fff]{2,}")])
def test_shipped_model_answers_in_the_prompt_language(run, prompt, script):
    r = run("run", SHIPPED, "-p", prompt, "-n", 24, "--ignore-eos")
    assert r.rc == 0, r.all
    generated = r.out[len(prompt):]
    assert re.search(script, generated), generated


def test_sampling_is_reproducible_per_seed(run):
    args = ("run", SHIPPED, "-p", "The", "-n", 12, "--temperature", "0.9", "--ignore-eos")
    a, b = run(*args, "--seed", 5), run(*args, "--seed", 5)
    assert a.rc == 0 and b.rc == 0, a.all + b.all
    assert a.out == b.out


def test_missing_tensor_is_named(run, tmp_path):
    src = MODELS / "llama_mha"
    shutil.copytree(src, tmp_path / "m")
    config = json.loads((src / "config.json").read_text())
    config["num_hidden_layers"] += 1  # the checkpoint lacks the extra layer
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    r = run("run", tmp_path / "m", "--prompt-ids", "1 2 3", "-n", 2)
    assert r.rc != 0
    assert re.search(r"model\.layers\.\d+\..*missing|missing.*model\.layers\.\d+", r.err), r.err


def test_prompt_ids_outside_vocab_are_refused(run):
    r = run("run", MODELS / "llama_mha", "--prompt-ids", "1 99999", "-n", 2)
    assert r.rc != 0 and "outside the vocabulary" in r.err, r.all


def test_perplexity_agrees_with_the_training_script(run):
    # tools/train_small_model evaluated the shipped model on heldout.txt (eval.json).
    expected = json.loads((SHIPPED / "eval.json").read_text())["perplexity"]
    r = run("perplexity", SHIPPED, "-f", SHIPPED / "heldout.txt", timeout=600)
    assert r.rc == 0, r.all
    ppl = float(re.search(r"perplexity ([0-9.]+)", r.out).group(1))
    scored = int(re.search(r"tokens_scored (\d+)", r.out).group(1))
    assert scored == expected["scored_tokens"]
    assert abs(ppl - expected["fp32_compute"]) / expected["fp32_compute"] < 0.01, r.out
    assert re.search(r"speed [0-9.]+ tok/s", r.out), r.out


def test_chat_keeps_the_kv_cache_between_turns(dsinfer):
    import subprocess
    proc = subprocess.run([dsinfer, "chat", SHIPPED, "-n", "8", "--seed", "1"],
                          input="Hello there\nTell me more\n/exit\n", capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    turns = re.findall(r"\[(\d+) new prompt tokens \((\d+) reused from the cache\)", proc.stderr)
    assert len(turns) == 2, proc.stderr
    assert int(turns[0][1]) == 0 and int(turns[1][1]) > 0, turns  # turn 2 reuses turn 1


def test_stop_string_ends_generation_before_it(run):
    free = run("run", SHIPPED, "-p", "The kernel module", "-n", 40, "--ignore-eos")
    assert free.rc == 0, free.all
    words = free.out[len("The kernel module"):].split()
    stop = words[len(words) // 2]  # a word the unconstrained run is known to produce
    r = run("run", SHIPPED, "-p", "The kernel module", "-n", 40, "--ignore-eos", "--stop", stop)
    assert r.rc == 0, r.all
    assert stop not in r.out[len("The kernel module"):]
    assert free.out.startswith(r.out.rstrip("\n"))
    assert "finish: stop" in r.err
