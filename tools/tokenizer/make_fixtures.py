#!/usr/bin/env python3
"""Writes the expected token ids that src/tokenizer tests compare against (HF `tokenizers`).

Reads tests/data/tokenizer/corpus.bin (make_corpus.py) and writes under tests/data/tokenizer/:
  deepseek-v3/            copy of the real DeepSeek-V3 tokenizer files (+ LICENSE, README.md)
  deepseek-v3.expected    ids of every corpus record (add_special_tokens=False)
  deepseek-v3.extra.json  BOS-prepend check, split_special_tokens, skip_special_tokens decodes
  qwen2-style/            a small byte-level BPE trained here with the Qwen2 / R1-Distill pipeline
                          (NFC normalizer, Qwen2 Split regex, ByteLevel) and R1-Distill-like
                          added tokens + TemplateProcessing BOS, with its tokenizer_config.json
  qwen2-style.expected, qwen2-style.extra.json
  variants/<name>/tokenizer.json + expected.json: small tokenizers exercising the other
                          components (GPT-2 ByteLevel regex, Digits, every Split behaviour,
                          invert, byte_fallback, unk, subword prefix/suffix, ignore_merges,
                          added-token flags, normalizers, decoders)
  normalization.json      HF NFC/NFD/NFKC/NFKD of every code point with a decomposition

Invalid UTF-8 in a record is decoded with errors="replace" before it reaches HF (HF takes str);
the C++ tokenizer must do the same replacement itself (see src/tokenizer/utf8.h).

Run: .venv/bin/pip install -r requirements/tools.txt
     .venv/bin/python tools/tokenizer/make_fixtures.py --v3-dir ../shared/data/deepseek-v3-tokenizer
"""
import argparse
import json
import os
import shutil
import sys
import unicodedata

import tokenizers
from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models, normalizers,
                        pre_tokenizers, processors, trainers)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "tests", "data", "tokenizer")
BOS_V3 = "<｜begin▁of▁sentence｜>"
EOS_V3 = "<｜end▁of▁sentence｜>"
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def read_corpus(path):
    with open(path, "rb") as f:
        data = f.read()
    header_end = data.index(b"\n") + 1
    pos, records = header_end, []
    while pos < len(data):
        nl = data.index(b"\n", pos)
        n = int(data[pos:nl])
        records.append(data[nl + 1:nl + 1 + n])
        pos = nl + 1 + n + 1
    return records


def as_text(record):
    return record.decode("utf-8", errors="replace")


def header(name, tok_path):
    return [f"# expected ids for {name} ({tok_path}), one corpus record per line",
            f"# tokenizers {tokenizers.__version__}, encode(text, add_special_tokens=False), "
            "text = record.decode('utf-8', errors='replace')",
            "# generator: tools/tokenizer/make_fixtures.py"]


def write_expected(path, lines_header, encodings):
    with open(path, "w") as f:
        f.write("\n".join(lines_header) + "\n")
        for ids in encodings:
            f.write(" ".join(map(str, ids)) + "\n")


def check_roundtrip(tok, texts, encodings, name):
    """HF itself must satisfy decode(encode(x)) == x for the oracle to be usable."""
    bad = 0
    for t, ids in zip(texts, encodings):
        if tok.decode(ids, skip_special_tokens=False) != t:
            bad += 1
    print(f"{name}: HF roundtrip mismatches: {bad}", file=sys.stderr)
    return bad


def llama_template(tok, bos, eos, add_bos=True, add_eos=False):
    """What transformers' LlamaTokenizerFast.update_post_processor() installs."""
    single = (f"{bos}:0 " if add_bos else "") + "$A:0" + (f" {eos}:0" if add_eos else "")
    pair = single + (f" {bos}:1" if add_bos else "") + " $B:1" + (f" {eos}:1" if add_eos else "")
    special = []
    if add_bos:
        special.append((bos, tok.token_to_id(bos)))
    if add_eos:
        special.append((eos, tok.token_to_id(eos)))
    return processors.TemplateProcessing(single=single, pair=pair, special_tokens=special)


def extras(tok, texts, name, bos, eos):
    """BOS-prepend ids, split_special_tokens ids and skip_special_tokens decodes."""
    contents = [t.content for t in tok.get_added_tokens_decoder().values()]
    with_special = [i for i, t in enumerate(texts) if any(c in t for c in contents)]
    probe = list(range(0, len(texts), 97))[:20] + with_special[:20]
    saved = tok.post_processor
    tok.post_processor = llama_template(tok, bos, eos)
    bos_ids = {i: tok.encode(texts[i], add_special_tokens=True).ids for i in probe}
    tok.post_processor = saved
    tok.encode_special_tokens = True
    split_ids = {i: tok.encode(texts[i], add_special_tokens=False).ids for i in with_special}
    tok.encode_special_tokens = False
    skip = {}
    for i in with_special:
        ids = tok.encode(texts[i], add_special_tokens=False).ids
        skip[i] = tok.decode(ids, skip_special_tokens=True)
    return {"tokenizers_version": tokenizers.__version__,
            "note": "bos: encode(add_special_tokens=True) with the post_processor that "
                    "LlamaTokenizerFast builds from tokenizer_config.json (add_bos_token)",
            "bos": {str(k): v for k, v in bos_ids.items()},
            "split_special": {str(k): v for k, v in split_ids.items()},
            "decode_skip_special": {str(k): v for k, v in skip.items()}}


def deepseek_v3(records, texts, v3_dir):
    dst = os.path.join(DATA, "deepseek-v3")
    os.makedirs(dst, exist_ok=True)
    for fn in ["tokenizer.json", "tokenizer_config.json", "LICENSE", "README.md"]:
        shutil.copyfile(os.path.join(v3_dir, fn), os.path.join(dst, fn))
    tok = Tokenizer.from_file(os.path.join(dst, "tokenizer.json"))
    enc = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    assert check_roundtrip(tok, texts, enc, "deepseek-v3") == 0
    write_expected(os.path.join(DATA, "deepseek-v3.expected"),
                   header("DeepSeek-V3", "deepseek-v3/tokenizer.json"), enc)
    ex = extras(tok, texts, "v3", BOS_V3, EOS_V3)
    # What Python's errors="replace" made of each invalid record (the C++ side must agree).
    ex["replaced"] = {str(i): t for i, (r, t) in enumerate(zip(records, texts))
                      if t.encode("utf-8") != r}
    with open(os.path.join(DATA, "deepseek-v3.extra.json"), "w") as f:
        json.dump(ex, f, ensure_ascii=False)


def train_bpe(texts, vocab_size, pre_tokenizer, normalizer=None, **trainer_kw):
    tok = Tokenizer(models.BPE())
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False, **trainer_kw)
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def qwen2_style(texts):
    dst = os.path.join(DATA, "qwen2-style")
    os.makedirs(dst, exist_ok=True)
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)])
    valid = [t for t in texts if "\ufffd" not in t]
    tok = train_bpe(valid, 6000, pre, normalizers.NFC(),
                    initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), min_frequency=2)
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    # R1-Distill-Qwen's added tokens, same order and flags kinds (ids follow the small vocab).
    tok.add_special_tokens([AddedToken(EOS_V3, special=True, normalized=False)])
    tok.add_tokens([AddedToken("<｜User｜>", normalized=True, special=False),
                    AddedToken("<｜Assistant｜>", normalized=True, special=False)])
    tok.add_special_tokens([AddedToken(BOS_V3, special=True, normalized=False)])
    tok.add_tokens([AddedToken("<|EOT|>", normalized=True, special=False),
                    AddedToken("<think>", normalized=False, special=False),
                    AddedToken("</think>", normalized=False, special=False)])
    tok.add_special_tokens([AddedToken("<|vision_start|>", special=True, normalized=False),
                            AddedToken("<|vision_end|>", special=True, normalized=False)])
    tok.add_tokens([AddedToken("<tool_call>", normalized=False, special=False),
                    AddedToken("</tool_call>", normalized=False, special=False),
                    AddedToken("<|fim_prefix|>", normalized=False, special=False)])
    tok.post_processor = llama_template(tok, BOS_V3, EOS_V3)
    tok.save(os.path.join(dst, "tokenizer.json"))
    config = {
        "add_bos_token": True, "add_eos_token": False,
        "bos_token": {"__type": "AddedToken", "content": BOS_V3, "lstrip": False,
                      "normalized": True, "rstrip": False, "single_word": False},
        "eos_token": {"__type": "AddedToken", "content": EOS_V3, "lstrip": False,
                      "normalized": True, "rstrip": False, "single_word": False},
        "pad_token": EOS_V3, "clean_up_tokenization_spaces": False, "legacy": True,
        "model_max_length": 16384, "tokenizer_class": "LlamaTokenizerFast",
        "_comment": "synthetic: a small BPE trained by tools/tokenizer/make_fixtures.py with the "
                    "DeepSeek-R1-Distill-Qwen pipeline (NFC, Qwen2 regex, ByteLevel)"}
    with open(os.path.join(dst, "tokenizer_config.json"), "w") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
    tok = Tokenizer.from_file(os.path.join(dst, "tokenizer.json"))
    enc = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    # NFC changes some records, so the roundtrip holds only for NFC-stable text.
    nfc_stable = [(t, e) for t, e in zip(texts, enc) if unicodedata.normalize("NFC", t) == t]
    assert check_roundtrip(tok, [t for t, _ in nfc_stable], [e for _, e in nfc_stable], "qwen2") == 0
    write_expected(os.path.join(DATA, "qwen2-style.expected"),
                   header("Qwen2-style", "qwen2-style/tokenizer.json"), enc)
    with open(os.path.join(DATA, "qwen2-style.extra.json"), "w") as f:
        json.dump(extras(tok, texts, "qwen2", BOS_V3, EOS_V3), f, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# Variants: a small byte-level BPE (or a SentencePiece-like BPE) with swapped components.

ADDED_FLAG_INPUTS = [
    "a [MASK] b", "a  [MASK]  b", "[MASK]", "x[MASK]y", " [MASK][MASK] ", "\t[MASK]\n",
    "<sw> alone", "word<sw>word", "<sw>", "a <sw>, b", "_<sw>_", "é<sw>", "(<sw>)",
    "Hello HELLO hello hElLo", "WORLD world World", "café CAFÉ cafe\u0301", "zz xx yy  xx",
    "text<eot>  next", "<EOT> <eot>", "ab abc cab ab, ab.", " ab  ab ", "para1\n\npara2\n\n\npara3",
    "[MASK] xx<eot>", "ß ẞ İ Σ", "[mask] [Mask]",
]
SPLIT_INPUTS = ["a.b..c...d", "  spaced   out  ", "x1y22z333", "a--b!!c??", "baaac aaa", "",
                "...", "1 2  3", "αβγ δ", "mixed: 12ab,.;CD 34"]


def save_variant(name, tok, records, texts, extra_inputs, split_special=False, config=None):
    """`config`: a tokenizer_config.json to save beside; with a Llama tokenizer_class, the BOS /
    EOS ids come from the template transformers builds from it (as for DeepSeek)."""
    dst = os.path.join(DATA, "variants", name)
    os.makedirs(dst, exist_ok=True)
    path = os.path.join(dst, "tokenizer.json")
    tok.save(path)
    tok = Tokenizer.from_file(path)  # what the C++ side loads
    if config is not None:
        with open(os.path.join(dst, "tokenizer_config.json"), "w") as f:
            json.dump(config, f, ensure_ascii=False, indent=2)
        tok.post_processor = llama_template(tok, config["bos_token"], config["eos_token"],
                                            config["add_bos_token"], config["add_eos_token"])
    idx = list(range(0, len(records), 13))
    idx = [i for i in idx if len(records[i]) < 2500]
    inputs = [texts[i] for i in idx] + extra_inputs
    # To keep the file small, null stands for "same as": ids_bos -> ids, decoded -> the input
    # text, decoded_skip_special -> decoded.
    res = {"tokenizers_version": tokenizers.__version__, "records": idx, "extra_inputs": extra_inputs,
           "null_means": "ids_bos: same as ids; decoded: same as input; decoded_skip_special: "
                         "same as decoded",
           "ids": [], "ids_bos": [], "decoded": [], "decoded_skip_special": []}
    for t in inputs:
        ids = tok.encode(t, add_special_tokens=False).ids
        ids_bos = tok.encode(t, add_special_tokens=True).ids
        dec = tok.decode(ids, skip_special_tokens=False)
        dec_skip = tok.decode(ids, skip_special_tokens=True)
        res["ids"].append(ids)
        res["ids_bos"].append(None if ids_bos == ids else ids_bos)
        res["decoded"].append(None if dec == t else dec)
        res["decoded_skip_special"].append(None if dec_skip == dec else dec_skip)
    if split_special:
        tok.encode_special_tokens = True
        res["ids_split_special"] = [tok.encode(t, add_special_tokens=False).ids for t in inputs]
    with open(os.path.join(dst, "expected.json"), "w") as f:
        json.dump(res, f, ensure_ascii=False, separators=(",", ":"))
    print(f"variant {name}: {len(inputs)} inputs", file=sys.stderr)


def variants(records, texts):
    valid = [t for t in texts if "\ufffd" not in t]
    base = train_bpe(valid, 1000, pre_tokenizers.ByteLevel(add_prefix_space=False),
                     initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    base_json = base.to_str()

    def fresh():
        return Tokenizer.from_str(base_json)

    def bl(**kw):
        return pre_tokenizers.ByteLevel(**{"add_prefix_space": False, "use_regex": False, **kw})

    t = fresh()
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    t.post_processor = processors.ByteLevel(trim_offsets=True)
    t.decoder = decoders.ByteLevel()
    save_variant("gpt2", t, records, texts, SPLIT_INPUTS)

    t = fresh()
    t.normalizer = normalizers.NFKC()
    t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                               bl(use_regex=True)])
    t.decoder = decoders.ByteLevel()
    save_variant("digits_nfkc", t, records, texts, SPLIT_INPUTS)

    t = fresh()
    t.normalizer = normalizers.NFD()
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\s+"), "removed"),
        pre_tokenizers.Split(".", "merged_with_previous"),
        pre_tokenizers.Split(Regex("a*"), "isolated"), bl()])
    t.decoder = decoders.ByteLevel()
    save_variant("split_removed_prev", t, records, texts, SPLIT_INPUTS)

    t = fresh()
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\p{N}+"), "merged_with_next"),
        pre_tokenizers.Split(Regex(r"[\p{P}\p{S}]"), "contiguous"),
        pre_tokenizers.Digits(individual_digits=False),
        pre_tokenizers.Split(Regex(r"\s"), "isolated", invert=True), bl()])
    t.decoder = decoders.ByteLevel()
    save_variant("split_next_contiguous_invert", t, records, texts, SPLIT_INPUTS)

    t = fresh()
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"[\p{L}\p{M}]+"), "merged_with_previous", invert=True),
        pre_tokenizers.Split(Regex(r"(?i:[aeiou])"), "merged_with_next", invert=True),
        pre_tokenizers.Split(Regex(r"\d"), "removed", invert=True), bl()])
    t.decoder = decoders.ByteLevel()
    save_variant("split_invert_merged", t, records, texts, SPLIT_INPUTS)

    t = fresh()
    d = json.loads(t.to_str())
    d["model"]["ignore_merges"] = True
    t = Tokenizer.from_str(json.dumps(d))
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    t.decoder = decoders.ByteLevel()
    save_variant("ignore_merges", t, records, texts, SPLIT_INPUTS)

    t = fresh()
    t.normalizer = normalizers.Lowercase()
    t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    t.decoder = decoders.ByteLevel()
    t.add_special_tokens([AddedToken("[MASK]", lstrip=True, rstrip=True, normalized=False, special=True),
                          AddedToken("<eot>", rstrip=True, normalized=True, special=True)])
    t.add_tokens([AddedToken("<sw>", single_word=True, normalized=False),
                  AddedToken("Hello", normalized=True), AddedToken("WORLD", normalized=False),
                  AddedToken("CAFÉ", normalized=True), AddedToken(" xx", rstrip=True, normalized=False),
                  AddedToken("ab", single_word=True, lstrip=True, normalized=False),
                  AddedToken("\n\n", normalized=False)])
    save_variant("added_flags", t, records, texts, ADDED_FLAG_INPUTS, split_special=True)

    t = fresh()
    t.normalizer = normalizers.Sequence([
        normalizers.NFD(), normalizers.StripAccents(), normalizers.Lowercase(),
        normalizers.Replace(Regex(r"\s+"), " "), normalizers.Replace("ing", "ING"),
        normalizers.Strip(left=True, right=True), normalizers.NFKC()])
    t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), bl()])
    t.decoder = decoders.ByteLevel()
    save_variant("normalizers_wsplit", t, records, texts, SPLIT_INPUTS)

    # SentencePiece-like: no pre-tokenizer, "▁" for spaces, byte fallback + unk, decoder chain.
    sp = train_bpe(valid, 1200, pre_tokenizers.Metaspace(), special_tokens=["<unk>", "<s>", "</s>"],
                   limit_alphabet=150)
    d = json.loads(sp.to_str())
    vocab = d["model"]["vocab"]
    next_id = max(vocab.values()) + 1
    for b in range(256):
        key = f"<0x{b:02X}>"
        if key not in vocab:
            vocab[key] = next_id
            next_id += 1
    d["model"].update({"byte_fallback": True, "unk_token": "<unk>", "fuse_unk": True})
    sp = Tokenizer.from_str(json.dumps(d))
    sp.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    sp.pre_tokenizer = None
    sp.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(),
                                    decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    sp.post_processor = processors.TemplateProcessing(
        single="<s>:0 $A:0", pair="<s>:0 $A:0 <s>:1 $B:1", special_tokens=[("<s>", 1)])
    save_variant("sentencepiece_byte_fallback", sp, records, texts, SPLIT_INPUTS,
                 config={"add_bos_token": True, "add_eos_token": True, "bos_token": "<s>",
                         "eos_token": "</s>", "tokenizer_class": "LlamaTokenizerFast"})

    # Same model without byte fallback: unknown characters become <unk> (fused).
    d["model"].update({"byte_fallback": False})
    sp2 = Tokenizer.from_str(json.dumps(d))
    sp2.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    sp2.pre_tokenizer = None
    sp2.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    save_variant("sentencepiece_unk", sp2, records, texts, SPLIT_INPUTS)

    # Subword prefix / end-of-word suffix with unk (not fused), Whitespace pre-tokenizer.
    wp = train_bpe(valid, 1500, pre_tokenizers.Whitespace(), special_tokens=["[UNK]"],
                   continuing_subword_prefix="##", end_of_word_suffix="</w>", limit_alphabet=120)
    d = json.loads(wp.to_str())
    d["model"].update({"unk_token": "[UNK]", "fuse_unk": False,
                       "continuing_subword_prefix": "##", "end_of_word_suffix": "</w>"})
    wp = Tokenizer.from_str(json.dumps(d))
    wp.normalizer = normalizers.Sequence([normalizers.NFKD(), normalizers.StripAccents(),
                                          normalizers.Lowercase()])
    wp.decoder = decoders.BPEDecoder(suffix="</w>")
    save_variant("subword_affixes_unk", wp, records, texts, SPLIT_INPUTS)


def normalization_fixture():
    cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and
           unicodedata.decomposition(chr(c)) != ""]
    # Plus every combining mark (StripAccents) and every numeric character.
    marks = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and
             unicodedata.category(chr(c)).startswith("M")]
    chunks = ["".join(chr(c) for c in cps[i:i + 32]) for i in range(0, len(cps), 32)]
    chunks += ["a" + "a".join(chr(c) for c in marks[i:i + 32]) for i in range(0, len(marks), 32)]
    chunks += ["e\u0301", "\u1100\u1161\u11a8", "A\u0308\u0304", "\u0041\u030a\u0301",
               "a\u0328\u0301", "\u0fb2\u0f80\u0f71", "\u0f77", "\u00c5\u212b"]
    norms = {"NFC": normalizers.NFC(), "NFD": normalizers.NFD(), "NFKC": normalizers.NFKC(),
             "NFKD": normalizers.NFKD(), "Lowercase": normalizers.Lowercase(),
             "StripAccents": normalizers.StripAccents()}
    out = {"tokenizers_version": tokenizers.__version__, "inputs": chunks}
    for k, n in norms.items():
        out[k] = [n.normalize_str(s) for s in chunks]
    with open(os.path.join(DATA, "normalization.json"), "w") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))


def ranges(cps):
    res = []
    for c in sorted(cps):
        if res and res[-1][1] == c - 1:
            res[-1][1] = c
        else:
            res.append([c, c])
    return res


def char_classes_fixture():
    """Rust character predicates as HF uses them, over every code point: char::is_numeric
    (Digits), char::is_whitespace (WhitespaceSplit), combining marks (StripAccents) and
    char::to_lowercase (Lowercase)."""
    cps = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    interleaved = "a" + "a".join(chr(c) for c in cps) + "a"
    numeric = [cps[(s - 1) // 2] for p, (s, e) in
               pre_tokenizers.Digits(individual_digits=True).pre_tokenize_str(interleaved)
               if e - s == 1 and s % 2 == 1]
    kept = set()
    for p, (s, e) in pre_tokenizers.WhitespaceSplit().pre_tokenize_str(interleaved):
        kept.update(range(s, e))
    whitespace = [cps[(i - 1) // 2] for i in range(1, len(interleaved), 2) if i not in kept]
    all_text = "".join(chr(c) for c in cps)
    stripped = normalizers.StripAccents().normalize_str(all_text)
    removed = sorted(set(cps) - set(ord(ch) for ch in stripped))
    lower = normalizers.Lowercase()
    lowercase = {str(c): lower.normalize_str(chr(c)) for c in cps
                 if lower.normalize_str(chr(c)) != chr(c)}
    out = {"tokenizers_version": tokenizers.__version__, "is_numeric": ranges(numeric),
           "is_whitespace": ranges(whitespace), "strip_accents_removes": ranges(removed),
           "lowercase": lowercase}
    with open(os.path.join(DATA, "char_classes.json"), "w") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--v3-dir", default=os.path.join(ROOT, "..", "shared", "data",
                                                     "deepseek-v3-tokenizer"))
    args = ap.parse_args()
    records = read_corpus(os.path.join(DATA, "corpus.bin"))
    texts = [as_text(r) for r in records]
    print(f"{len(records)} records", file=sys.stderr)
    deepseek_v3(records, texts, args.v3_dir)
    qwen2_style(texts)
    variants(records, texts)
    normalization_fixture()
    char_classes_fixture()


if __name__ == "__main__":
    main()
