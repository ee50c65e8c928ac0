#!/usr/bin/env python3
"""Gives every tiny model fixture in tests/data/models/ a tokenizer and a chat template.

For each fixture directory it writes
  tokenizer.json           byte-level BPE trained here (HF `tokenizers` BpeTrainer) on
                           models/dsv3-tiny-en-zh/heldout.txt, with the family's pipeline and
                           special tokens; tokenizer size <= config.json vocab_size
  tokenizer_config.json    bos/eos (+pad), LlamaTokenizerFast, add_bos_token, and the family's
                           real chat template (taken from tests/data/chat/templates.json)
  tokenizer_expected.json  oracle ids: `tokenizers` encodes of a few strings, jinja2 renders of
                           chats and their ids, versions (read by tests/e2e/test_fixture_chat.py)
config.json, generation_config.json and the model/expected files are never touched: the special
token ids follow generation_config.json's bos/eos ids.

Families:  Llama -> deepseek-llm pipeline + deepseek-llm-chat template; DeepseekV2 -> the same
(DeepSeek-V2-Chat uses the deepseek-llm template); DeepseekV3 -> DeepSeek-V3's own pipeline,
added tokens and template; Qwen2 -> DeepSeek-R1-Distill-Qwen pipeline, specials and template.
Fixtures with vocab 256 cannot hold all 256 byte symbols plus specials: they get a reduced byte
alphabet (printable ASCII, \\t \\n \\r, UTF-8 continuation bytes and the lead bytes C2 C3 E3-E9 EF);
other bytes are dropped by BPE (no unk token), as HF does.

Run from the repository root (after tools/model_fixtures/make_fixtures.py, which recreates the
fixture directories):  .venv/bin/python tools/model_fixtures/add_fixture_tokenizers.py
Needs tokenizers==0.23.3 and Jinja2==3.1.6 (requirements/tools.txt); when transformers is
installed the result is also cross-checked with AutoTokenizer.apply_chat_template.
"""
import argparse
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import sys

import jinja2
import tokenizers
from tokenizers import (Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors,
                        trainers)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The transformers-like jinja2 environment the chat-template fixtures are rendered with.
sys.path.insert(0, os.path.join(REPO, "tools", "chat_template"))
from gen_fixtures import make_environment  # noqa: E402
MODELS = os.path.join(REPO, "tests", "data", "models")
CORPUS = os.path.join(REPO, "models", "dsv3-tiny-en-zh", "heldout.txt")
TEMPLATES = os.path.join(REPO, "tests", "data", "chat", "templates.json")
V3_TOKENIZER = os.path.join(REPO, "tests", "data", "tokenizer", "deepseek-v3", "tokenizer.json")
PINNED = {"tokenizers": "0.23.3", "jinja2": "3.1.6"}

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"

# deepseek-llm / DeepSeek-V2 Split regexes (deepseek-models.md §3.2). The doc's copy of the
# cased-letter class went through NFC (reversed ranges such as U+1F5F-U+03CE); the original code
# points are restored here: U+1F7D, U+1FBE, U+1FD3, U+1FDB, U+2126, U+212A.
LLM_LETTERS = (
    "A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚ"
    "Ḁ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝ\u1f5f-\u1f7dᾀ-ᾴᾶ-ᾼ\u1fbeῂ-ῄῆ-ῌ\u1fd0-\u1fd3\u1fd6-\u1fdbῠ-Ῥῲ-ῴῶ-ῼ"
    "ℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212a-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ"
    "\U00010400-\U0001044f\U000104b0-\U000104d3\U000104d8-\U000104fb\U00010c80-\U00010cb2"
    "\U00010cc0-\U00010cf2\U000118a0-\U000118df\U0001e900-\U0001e943")
LLM_SPLITS = ["[\r\n]", "\\s?[" + LLM_LETTERS + "]+", "\\s?[!-/:-~！-／：-～‘-‟　-。]+", "\\s+$",
              "[一-龥ࠀ-一가-퟿]+"]
QWEN2_REGEX = ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
               "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")

V3_MARKERS = ["<｜fim▁hole｜>", "<｜fim▁begin｜>", "<｜fim▁end｜>", "<｜User｜>", "<｜Assistant｜>",
              "<|EOT|>", "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>",
              "<｜tool▁call▁end｜>", "<｜tool▁outputs▁begin｜>", "<｜tool▁outputs▁end｜>",
              "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>", "<｜tool▁sep｜>"]
# R1-Distill-Qwen's added tokens after <｜end▁of▁sentence｜> (151644-151649 there): (content,
# special, normalized) as in its tokenizer.json (deepseek-models.md §3.3).
R1_DISTILL_MARKERS = [("<｜User｜>", False, True), ("<｜Assistant｜>", False, True),
                      (BOS, True, False), ("<|EOT|>", False, True), ("<think>", False, False),
                      ("</think>", False, False)]

FAMILIES = {
    "LlamaForCausalLM": {"family": "deepseek-llm", "template": "deepseek-llm-chat"},
    "DeepseekV2ForCausalLM": {"family": "deepseek-llm", "template": "deepseek-llm-chat"},
    "DeepseekV3ForCausalLM": {"family": "deepseek-v3", "template": "deepseek-v3"},
    "Qwen2ForCausalLM": {"family": "r1-distill-qwen", "template": "deepseek-r1-distill-qwen"},
}

# Strings whose ids the e2e test compares with `dsinfer tokenize` (with and without BOS).
ENCODE_TEXTS = [
    "Hello world! The kernel's memory model, 12345 + 67 = 12412.",
    "我们的系统使用物理内存。你好，世界！",
    "  spaced   out\tand\ttabs\nnew\r\nlines  \n\n",
    "User: hi\n\nAssistant: ok",
    BOS + "hi" + EOS + " <｜User｜>a<｜Assistant｜><think>\nb</think>",
    "café naïve e\u0301 Ωmega ß 😀 \x07bell",
]
RUN_PROMPT = "The kernel memory model"
CHAT_TURNS = ["Hello there", "Tell me more"]
# Answers a model could give in turn 1: the turn-2 prompt keeps a common id prefix with the
# turn-1 prompt whatever the answer; its minimum over these is the reuse the test expects.
SAMPLE_ANSWERS = ["", "a", " b", "!!", "\n", "你好", "x</think>y", "Assistant:", "::", "12"]
CONVERSATIONS = [
    [{"role": "user", "content": CHAT_TURNS[0]}],
    [{"role": "system", "content": "You are a helpful assistant."},
     {"role": "user", "content": "What is 2+2?"},
     {"role": "assistant", "content": "<think>\nadd them</think>It is 4."},
     {"role": "user", "content": "谢谢！Thanks, and 3+3?"}],
]


def bytes_to_unicode():
    """GPT-2 byte -> printable character map of the ByteLevel pre-tokenizer (§3.1 step 3)."""
    keep = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(0x100 + extra)
            extra += 1
    return table


def reduced_alphabet_bytes():
    ascii_bytes = set(range(0x20, 0x7F)) | {0x09, 0x0A, 0x0D}
    continuation = set(range(0x80, 0xC0))
    leads = {0xC2, 0xC3, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEF}
    return ascii_bytes | continuation | leads


def family_components(family):
    """(normalizer JSON, pre_tokenizer JSON, post_processor JSON or None, decoder JSON)."""
    if family == "deepseek-v3":
        with open(V3_TOKENIZER, encoding="utf-8") as f:
            v3 = json.load(f)
        return v3["normalizer"], v3["pre_tokenizer"], v3["post_processor"], v3["decoder"]
    if family == "deepseek-llm":
        steps = [pre_tokenizers.Split(Regex(r), behavior="isolated", invert=False)
                 for r in LLM_SPLITS]
        steps += [pre_tokenizers.Digits(individual_digits=True),
                  pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True,
                                           use_regex=False)]
        normalizer = normalizers.Sequence([])
    else:
        steps = [pre_tokenizers.Split(Regex(QWEN2_REGEX), behavior="isolated", invert=False),
                 pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False,
                                          use_regex=False)]
        normalizer = normalizers.NFC()
    probe = Tokenizer(models.BPE())
    probe.normalizer = normalizer
    probe.pre_tokenizer = pre_tokenizers.Sequence(steps)
    probe.decoder = decoders.ByteLevel()
    j = json.loads(probe.to_str())
    return j["normalizer"], j["pre_tokenizer"], None, j["decoder"]


def added(content, token_id, special, normalized):
    return {"id": token_id, "content": content, "single_word": False, "lstrip": False,
            "rstrip": False, "normalized": normalized, "special": special}


def special_layout(family, gen_config):
    """(pinned {id: added-token entry} inside the BPE id range, appended [(content, special,
    normalized)] after it). Ids follow generation_config.json."""
    bos_id, eos_id = gen_config["bos_token_id"], gen_config["eos_token_id"]
    if family == "deepseek-llm":
        return {bos_id: added(BOS, bos_id, True, False),
                eos_id: added(EOS, eos_id, True, False)}, []
    if family == "deepseek-v3":
        assert (bos_id, eos_id) == (0, 1)
        return ({0: added(BOS, 0, True, False), 1: added(EOS, 1, True, False),
                 2: added("<｜▁pad▁｜>", 2, True, False)},
                [(m, m == "<|EOT|>", True) for m in V3_MARKERS])  # flags as in V3's file
    # R1-Distill: bos_token_id == eos_token_id in config (as the real config.json); the
    # tokenizer's BOS is its own token after the vocabulary, as there.
    return {eos_id: added(EOS, eos_id, True, False)}, list(R1_DISTILL_MARKERS)


def corpus_texts(allowed_bytes):
    with open(CORPUS, encoding="utf-8") as f:
        text = f.read()
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    if allowed_bytes is None:
        return paragraphs
    keep = lambda ch: all(b in allowed_bytes for b in ch.encode("utf-8"))  # noqa: E731
    return ["".join(ch for ch in p if keep(ch)) for p in paragraphs]


def build_tokenizer(name, config, gen_config, fam, tokens_total):
    """Trains the BPE and assembles tokenizer.json; returns its JSON text."""
    normalizer, pre_tok, post_proc, decoder = family_components(fam["family"])
    pinned, appended = special_layout(fam["family"], gen_config)
    full = tokens_total >= 256 + len(pinned) + len(appended) + 32  # room for >= 32 merges
    allowed = None if full else reduced_alphabet_bytes()
    byte_map = bytes_to_unicode()
    alphabet = sorted(byte_map[b] for b in (allowed if allowed is not None else range(256)))
    n_bpe = tokens_total - len(pinned) - len(appended)  # learned entries (alphabet + merges)

    trainee = Tokenizer.from_str(json.dumps(
        {**json.loads(Tokenizer(models.BPE()).to_str()), "normalizer": normalizer,
         "pre_tokenizer": pre_tok}, ensure_ascii=False))
    trainer = trainers.BpeTrainer(vocab_size=n_bpe, min_frequency=2, show_progress=False,
                                  initial_alphabet=alphabet, special_tokens=[])
    trainee.train_from_iterator(corpus_texts(allowed), trainer=trainer)
    trained = json.loads(trainee.to_str())["model"]
    learned = sorted(trained["vocab"], key=trained["vocab"].get)
    assert len(learned) == n_bpe, (name, len(learned), n_bpe)
    assert set(alphabet) <= set(learned) and len(trained["merges"]) == n_bpe - len(alphabet)

    # Final ids: pinned specials at their ids, learned entries filling the rest in trained
    # order, then the appended added tokens (ids never depend on merges, only on this table).
    vocab, it = {}, iter(learned)
    for i in range(len(pinned) + n_bpe):
        vocab[pinned[i]["content"] if i in pinned else next(it)] = i
    added_tokens = [pinned[i] for i in sorted(pinned)]
    for k, (content, special, normalized) in enumerate(appended):
        added_tokens.append(added(content, len(vocab) + k, special, normalized))
    model = dict(trained, vocab=vocab)
    out = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added_tokens,
           "normalizer": normalizer, "pre_tokenizer": pre_tok, "post_processor": post_proc,
           "decoder": decoder, "model": model}
    tok = Tokenizer.from_str(json.dumps(out, ensure_ascii=False))
    if post_proc is None:  # R1-Distill's file holds TemplateProcessing [BOS, $A]; same here
        tok.post_processor = bos_template(tok)
        out["post_processor"] = json.loads(tok.to_str())["post_processor"]
    assert tok.get_vocab_size(with_added_tokens=True) == tokens_total <= config["vocab_size"]
    return json.dumps(out, ensure_ascii=False, indent=1) + "\n", allowed is not None


def bos_template(tok):
    """What transformers' LlamaTokenizerFast.update_post_processor() installs
    (add_bos_token true, add_eos_token false)."""
    return processors.TemplateProcessing(single=f"{BOS}:0 $A:0", pair=f"{BOS}:0 $A:0 {BOS}:1 $B:1",
                                         special_tokens=[(BOS, tok.token_to_id(BOS))])


def token_entry(content):
    return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": True,
            "rstrip": False, "single_word": False}


def tokenizer_config(family, template):
    cfg = {"add_bos_token": True, "add_eos_token": False, "bos_token": token_entry(BOS),
           "eos_token": token_entry(EOS)}
    if family != "deepseek-llm":  # V3 and R1-Distill pad with EOS
        cfg["pad_token"] = token_entry(EOS)
    cfg.update({"clean_up_tokenization_spaces": False, "legacy": True,
                "tokenizer_class": "LlamaTokenizerFast", "chat_template": template})
    return cfg


def common_prefix(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def oracle(fixture_dir, template, specials):
    """Everything the e2e test compares with dsinfer, from `tokenizers` + jinja2 only."""
    tok = Tokenizer.from_file(os.path.join(fixture_dir, "tokenizer.json"))
    with_bos = Tokenizer.from_str(tok.to_str())
    with_bos.post_processor = bos_template(with_bos)  # the LlamaTokenizerFast behaviour
    compiled = make_environment().from_string(template)

    def enc(text, bos=False):
        return (with_bos if bos else tok).encode(text, add_special_tokens=bos).ids

    def render(messages, add_generation_prompt):
        return compiled.render(messages=messages, tools=None, documents=None,
                               add_generation_prompt=add_generation_prompt, **specials)

    turn1 = [{"role": "user", "content": CHAT_TURNS[0]}]
    turn1_ids = enc(render(turn1, True))
    reuse = min(common_prefix(turn1_ids, enc(render(
        turn1 + [{"role": "assistant", "content": a}, {"role": "user", "content": CHAT_TURNS[1]}],
        True))) for a in SAMPLE_ANSWERS)
    assert reuse >= len(enc(render(turn1, False))) > 1, reuse
    return {
        "encode": [{"text": t, "ids": enc(t), "ids_with_bos": enc(t, True)} for t in ENCODE_TEXTS],
        "run_prompt": {"text": RUN_PROMPT, "ids_with_bos": enc(RUN_PROMPT, True)},
        "chat": {"turns": CHAT_TURNS, "turn1_prompt_ids": turn1_ids, "turn2_min_reuse": reuse},
        "renders": [{"messages": m, "add_generation_prompt": True, "text": render(m, True),
                     "ids": enc(render(m, True))} for m in CONVERSATIONS],
    }


def cross_check_transformers(fixture_dir, expected):
    """Same ids and renders from transformers' AutoTokenizer (optional). transformers 5.x loads
    a file whose post_processor is ByteLevel (real DeepSeek-V3, our V3 fixtures) as
    TokenizersBackend and then prepends no BOS, unlike 4.x's LlamaTokenizerFast (and dsinfer):
    the with-BOS ids are compared only where it prepends one; what it did is recorded."""
    try:
        import transformers
        from transformers import AutoTokenizer
    except ImportError:
        return None
    hf = AutoTokenizer.from_pretrained(fixture_dir)
    prepends_bos = hf("a")["input_ids"][:1] == [hf.convert_tokens_to_ids(BOS)]
    for e in expected["encode"]:
        assert hf(e["text"], add_special_tokens=False)["input_ids"] == e["ids"], e["text"]
        with_special = hf(e["text"])["input_ids"]
        assert with_special == (e["ids_with_bos"] if prepends_bos else e["ids"]), e["text"]
    for r in expected["renders"]:
        text = hf.apply_chat_template(r["messages"], tokenize=False, add_generation_prompt=True)
        assert text == r["text"], (fixture_dir, text, r["text"])
        assert hf(text, add_special_tokens=False)["input_ids"] == r["ids"]
    return {"transformers": transformers.__version__, "class": type(hf).__name__,
            "add_special_tokens_prepends_bos": prepends_bos}


def compact_json(obj):
    """Indented JSON with lists of numbers on one line."""
    text = json.dumps(obj, ensure_ascii=False, indent=1)
    return re.sub(r"\[[\d,\s]*\]", lambda m: " ".join(m.group(0).split()), text) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", help="fixture names (default: all)")
    ap.add_argument("--no-transformers", action="store_true", help="skip the transformers check")
    args = ap.parse_args()
    for lib, version in PINNED.items():
        got = importlib.metadata.version(lib)
        if got != version:
            sys.exit(f"{lib} {got} installed, {version} required "
                     "(.venv/bin/pip install -r requirements/tools.txt)")
    with open(TEMPLATES, encoding="utf-8") as f:
        templates = json.load(f)["templates"]
    with open(CORPUS, "rb") as f:
        corpus_sha = hashlib.sha256(f.read()).hexdigest()
    names = sorted(n for n in os.listdir(MODELS)
                   if os.path.exists(os.path.join(MODELS, n, "config.json")))
    total_bytes = 0
    for name in names:
        if args.only and name not in args.only:
            continue
        d = os.path.join(MODELS, name)
        with open(os.path.join(d, "config.json")) as f:
            config = json.load(f)
        with open(os.path.join(d, "generation_config.json")) as f:
            gen_config = json.load(f)
        fam = FAMILIES[config["architectures"][0]]
        # V3 keeps unused embedding rows past the tokenizer, like 128815 ids -> 129280 rows.
        tokens_total = config["vocab_size"] - (8 if fam["family"] == "deepseek-v3" else 0)
        text, reduced = build_tokenizer(name, config, gen_config, fam, tokens_total)
        with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
            f.write(text)
        template = templates[fam["template"]]["template"]
        cfg = tokenizer_config(fam["family"], template)
        with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(cfg, f, ensure_ascii=False, indent=2)
            f.write("\n")
        specials = {"bos_token": BOS, "eos_token": EOS}
        if "pad_token" in cfg:
            specials["pad_token"] = EOS
        expected = oracle(d, template, specials)
        hf_check = None if args.no_transformers else cross_check_transformers(d, expected)
        tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        doc = {
            "format_version": 1, "fixture": name,
            "generator": {"script": "tools/model_fixtures/add_fixture_tokenizers.py",
                          "tokenizers": tokenizers.__version__, "jinja2": jinja2.__version__,
                          "markupsafe": importlib.metadata.version("markupsafe"),
                          "python": platform.python_version(),
                          "transformers_cross_check": hf_check},
            "family": fam["family"], "chat_template": fam["template"],
            "corpus": {"path": "models/dsv3-tiny-en-zh/heldout.txt", "sha256": corpus_sha},
            "byte_alphabet": "reduced" if reduced else "full",
            "tokenizer_size": tok.get_vocab_size(with_added_tokens=True),
            "config_vocab_size": config["vocab_size"],
            "bos_id": tok.token_to_id(BOS), "eos_id": tok.token_to_id(EOS),
            "generation_config_eos_token_id": gen_config["eos_token_id"],
            "note": "ids: tokenizers encode(add_special_tokens=False); ids_with_bos: with the "
                    "[BOS, $A] template LlamaTokenizerFast builds from add_bos_token; renders: "
                    "jinja2 as transformers renders chat templates, ids without BOS added; "
                    "chat.turn2_min_reuse: common id prefix of the turn-1 prompt and any turn-2 "
                    "prompt (minimum over sample answers)",
            **expected,
        }
        with open(os.path.join(d, "tokenizer_expected.json"), "w", encoding="utf-8") as f:
            f.write(compact_json(doc))
        size = sum(os.path.getsize(os.path.join(d, fn)) for fn in
                   ("tokenizer.json", "tokenizer_config.json", "tokenizer_expected.json"))
        total_bytes += size
        hf_note = ""
        if hf_check:
            hf_note = "  transformers agrees" + (
                "" if hf_check["add_special_tokens_prepends_bos"] else " (adds no BOS)")
        print(f"{name:20s} {fam['family']:16s} tokens {doc['tokenizer_size']:3d}/"
              f"{config['vocab_size']} bos {doc['bos_id']:3d} eos {doc['eos_id']:3d} "
              f"alphabet {doc['byte_alphabet']:7s} {size / 1024:6.1f} KiB{hf_note}")
    print(f"total {total_bytes / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
