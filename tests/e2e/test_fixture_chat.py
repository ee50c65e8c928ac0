"""`dsinfer run -p` and `dsinfer chat` on every transformers model fixture, using the tokenizer
and chat template tools/model_fixtures/add_fixture_tokenizers.py wrote there. Expected ids and
renders come from HF `tokenizers` + jinja2 (tokenizer_expected.json); no Python tokenizer runs
here."""
import json
import re
import subprocess

import pytest

from conftest import REPO

MODELS = REPO / "tests" / "data" / "models"
ALL_MODELS = sorted(p.name for p in MODELS.iterdir() if (p / "config.json").exists())
FIXTURES = [n for n in ALL_MODELS if (MODELS / n / "tokenizer_expected.json").exists()]
TURN = re.compile(r"\[(\d+) new prompt tokens \((\d+) reused from the cache\), (\d+) generated")


def expected(name):
    return json.loads((MODELS / name / "tokenizer_expected.json").read_text(encoding="utf-8"))


def ids(text):
    return [int(t) for t in text.split()]


def dsinfer_stdin(dsinfer, args, stdin):
    proc = subprocess.run([dsinfer, *map(str, args)], input=stdin, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode >= 0, f"dsinfer {args} died by signal {-proc.returncode}\n{proc.stderr}"
    return proc


def test_every_model_fixture_has_a_tokenizer():
    # make_fixtures.py recreates the directories: rerun add_fixture_tokenizers.py after it.
    assert FIXTURES == ALL_MODELS
    for name in FIXTURES:
        e = expected(name)
        config = json.loads((MODELS / name / "config.json").read_text())
        assert e["tokenizer_size"] <= config["vocab_size"] == e["config_vocab_size"], name


@pytest.mark.parametrize("name", FIXTURES)
def test_tokenize_matches_hf_tokenizers(run, name):
    for e in expected(name)["encode"]:
        plain = run("tokenize", MODELS / name, e["text"], "--ids-only", "--no-special")
        assert plain.rc == 0, plain.all
        assert ids(plain.out) == e["ids"], repr(e["text"])
        with_bos = run("tokenize", MODELS / name, e["text"], "--ids-only")
        assert with_bos.rc == 0, with_bos.all
        assert ids(with_bos.out) == e["ids_with_bos"], repr(e["text"])


@pytest.mark.parametrize("name", FIXTURES)
def test_rendered_chat_ids_match_jinja2_and_tokenizers(dsinfer, tmp_path, name):
    # The same steps as `dsinfer chat`: the directory's template and special tokens, then
    # encoding without BOS (the template writes it).
    for i, r in enumerate(expected(name)["renders"]):
        messages = tmp_path / f"messages{i}.json"
        messages.write_text(json.dumps(r["messages"], ensure_ascii=False), encoding="utf-8")
        rendered = dsinfer_stdin(dsinfer, ["render-chat", MODELS / name, messages,
                                           "--add-generation-prompt"], "")
        assert rendered.returncode == 0, rendered.stderr
        assert rendered.stdout == r["text"]
        tok = dsinfer_stdin(dsinfer, ["tokenize", MODELS / name, "-", "--ids-only", "--no-special"],
                            r["text"])
        assert tok.returncode == 0, tok.stderr
        assert ids(tok.stdout) == r["ids"]


@pytest.mark.parametrize("name", FIXTURES)
def test_run_generates_text_from_a_text_prompt(run, name):
    prompt = expected(name)["run_prompt"]
    r = run("run", MODELS / name, "-p", prompt["text"], "-n", 8, "--dtype", "f32")
    assert r.rc == 0, r.all
    assert r.out.startswith(prompt["text"]), r.out
    stats = re.search(r"prefill (\d+) tokens .* decode (\d+) tokens .* finish: (\w+)", r.err)
    assert stats, r.err
    assert int(stats.group(1)) == len(prompt["ids_with_bos"])  # BOS + the prompt's HF ids
    assert 1 <= int(stats.group(2)) <= 8 and stats.group(3) in ("length", "stop"), r.err
    assert r.out[len(prompt["text"]):].strip(), r.out  # some generated text was printed


@pytest.mark.parametrize("name", FIXTURES)
def test_chat_answers_two_turns_and_reuses_the_cache(dsinfer, name):
    e = expected(name)["chat"]
    proc = dsinfer_stdin(dsinfer, ["chat", MODELS / name, "-n", 8, "--temperature", 0,
                                   "--dtype", "f32"], "\n".join(e["turns"]) + "\n/exit\n")
    assert proc.returncode == 0, proc.stderr
    turns = [tuple(map(int, t)) for t in TURN.findall(proc.stderr)]
    assert len(turns) == 2, proc.stderr
    (new1, reused1, gen1), (new2, reused2, gen2) = turns
    assert (new1, reused1) == (len(e["turn1_prompt_ids"]), 0)  # the HF ids of the turn-1 prompt
    assert reused2 >= e["turn2_min_reuse"] and new2 >= 1, turns  # turn 2 kept turn 1's cache
    assert gen1 >= 1 and gen2 >= 1, turns
    answers = proc.stdout.split("> ")
    assert len(answers) == 4 and answers[0] == "" and answers[3] == "", proc.stdout
    assert answers[1].strip() and answers[2].strip(), proc.stdout
