#!/usr/bin/env python3
"""Trains a small byte-level BPE vocabulary with DeepSeek-V3's exact tokenizer pipeline.

Only the BPE vocabulary and merges are learned (HF `tokenizers` BpeTrainer on train.jsonl). The
normalizer, pre-tokenizer (three Split regexes + ByteLevel), post-processor, decoder, the added
tokens' flags and the chat template are copied verbatim from DeepSeek-V3's tokenizer.json /
tokenizer_config.json (--v3-dir). Layout mirrors V3: ids 0,1,2 = <｜begin▁of▁sentence｜>,
<｜end▁of▁sentence｜>, <｜▁pad▁｜> inside the BPE range, the learned tokens after them, then the
added marker tokens (<think>, </think> as in R1, FIM, <｜User｜>, <｜Assistant｜>, <|EOT|>,
tool-call markers) right after the BPE vocabulary. The V3 <｜place▁holder▁no▁N｜> tokens are left out.

Writes tokenizer.json and tokenizer_config.json into --out and checks the result with
`tokenizers` and `transformers`.
"""
import argparse
import copy
import json
import os

from tokenizers import Tokenizer, models, pre_tokenizers, trainers

SPECIAL_IN_BPE = ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>"]
# Marker tokens in V3's order (ids 128800-128814 there); <think>/</think> first, as in R1
# (128798/128799 there, where V3 has placeholders).
MARKERS = ["<think>", "</think>", "<｜fim▁hole｜>", "<｜fim▁begin｜>", "<｜fim▁end｜>",
           "<｜User｜>", "<｜Assistant｜>", "<|EOT|>",
           "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>",
           "<｜tool▁call▁end｜>", "<｜tool▁outputs▁begin｜>", "<｜tool▁outputs▁end｜>",
           "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>", "<｜tool▁sep｜>"]


def texts(path, limit_bytes):
    total = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)["text"]
            total += len(t.encode())
            if limit_bytes and total > limit_bytes:
                return
            yield t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="train.jsonl from make_corpus.py")
    ap.add_argument("--v3-dir", required=True, help="DeepSeek-V3 tokenizer.json + tokenizer_config.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab-size", type=int, default=12000,
                    help="BPE vocabulary incl. the 3 specials at ids 0-2 (markers come after)")
    ap.add_argument("--min-frequency", type=int, default=2)
    ap.add_argument("--limit-mb", type=float, default=0, help="train on the first N MB only (0 = all)")
    args = ap.parse_args()

    with open(os.path.join(args.v3_dir, "tokenizer.json"), encoding="utf-8") as f:
        v3 = json.load(f)
    with open(os.path.join(args.v3_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        v3_cfg = json.load(f)

    # Train with V3's own pre-tokenizer object (loaded from its JSON, not re-typed).
    probe = json.loads(Tokenizer(models.BPE()).to_str())
    probe["pre_tokenizer"] = v3["pre_tokenizer"]
    tok = Tokenizer.from_str(json.dumps(probe, ensure_ascii=False))
    trainer = trainers.BpeTrainer(
        vocab_size=args.vocab_size, min_frequency=args.min_frequency, show_progress=False,
        special_tokens=SPECIAL_IN_BPE, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts(args.corpus, int(args.limit_mb * 1e6)), trainer=trainer)

    out = json.loads(tok.to_str())
    model = out["model"]
    vocab = model["vocab"]
    for i, s in enumerate(SPECIAL_IN_BPE):
        assert vocab[s] == i, (s, vocab[s])
    n_bpe = len(vocab)
    assert max(vocab.values()) == n_bpe - 1

    # Everything except the learned vocab/merges comes from V3's file.
    res = {"version": v3["version"], "truncation": None, "padding": None}
    v3_added = {a["content"]: a for a in v3["added_tokens"]}
    added = []
    for i, s in enumerate(SPECIAL_IN_BPE):
        a = copy.deepcopy(v3_added[s])
        a["id"] = i
        added.append(a)
    for j, s in enumerate(MARKERS):
        if s in v3_added:
            a = copy.deepcopy(v3_added[s])
        else:  # <think>, </think>: same flags as V3's other chat markers (as in R1: non-special)
            a = copy.deepcopy(v3_added["<｜User｜>"])
            a["content"] = s
        a["id"] = n_bpe + j
        added.append(a)
    res["added_tokens"] = added
    for key in ("normalizer", "pre_tokenizer", "post_processor", "decoder"):
        res[key] = v3[key]
    new_model = {k: v for k, v in v3["model"].items() if k not in ("vocab", "merges")}
    new_model["vocab"] = vocab
    new_model["merges"] = model["merges"]
    res["model"] = new_model

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "tokenizer.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(res, f, ensure_ascii=False, indent=1)
        f.write("\n")

    cfg = {k: v for k, v in v3_cfg.items() if k != "added_tokens_decoder"}
    cfg["model_max_length"] = 2048  # = max_position_embeddings
    with open(os.path.join(args.out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=2)
        f.write("\n")

    # Checks: identical pre-tokenization to V3, specials atomic, round trip, transformers load.
    mine = Tokenizer.from_file(path)
    ref = Tokenizer.from_file(os.path.join(args.v3_dir, "tokenizer.json"))
    samples = ["Hello world 12345 你好世界, the kernel's   API!\n\n  x",
               "内存模型：FLATMEM 和 SPARSEMEM。\tTab\r\nend 3.14159 ひらがな カタカナ",
               "<｜User｜>hi<｜Assistant｜><think>\nok</think><｜end▁of▁sentence｜>"]
    for s in samples:
        a = mine.pre_tokenizer.pre_tokenize_str(s)
        b = ref.pre_tokenizer.pre_tokenize_str(s)
        assert a == b, (s, a, b)
        assert mine.decode(mine.encode(s).ids, skip_special_tokens=False) == s, s
    enc = mine.encode(samples[2]).ids
    ids = {s: mine.token_to_id(s) for s in SPECIAL_IN_BPE + MARKERS}
    for s in ("<｜User｜>", "<｜Assistant｜>", "<think>", "</think>", "<｜end▁of▁sentence｜>"):
        assert ids[s] in enc, s

    from transformers import AutoTokenizer
    hf = AutoTokenizer.from_pretrained(args.out)
    chat = hf.apply_chat_template([{"role": "user", "content": "你好"}], tokenize=False,
                                  add_generation_prompt=True)
    assert chat == "<｜begin▁of▁sentence｜><｜User｜>你好<｜Assistant｜>", chat
    assert hf.bos_token_id == 0 and hf.eos_token_id == 1
    en = mine.encode("The kernel memory model describes physical memory.").ids
    zh = mine.encode("系统中的物理内存可以用不同的方式进行寻址。").ids
    print(f"train_tokenizer: {n_bpe} BPE ids + {len(MARKERS)} markers = {n_bpe + len(MARKERS)} ids; "
          f"merges {len(model['merges'])}; en sample {len(en)} tokens, zh sample {len(zh)} tokens")
    print("  marker ids:", {s: ids[s] for s in MARKERS})


if __name__ == "__main__":
    main()
