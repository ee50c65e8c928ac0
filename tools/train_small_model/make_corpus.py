#!/usr/bin/env python3
"""Builds the English + Chinese training corpus for the shipped tiny DeepSeek-V3 model.

Sources are text files installed by Debian packages (see PACKAGES; reproduce.sh installs them):
English technical prose from the Linux kernel documentation (reStructuredText) and the Python
3.11 documentation sources; Chinese from the kernel's zh_CN/zh_TW translations, the Chinese man
pages (roff), the Debian Reference (plain text) and the Chinese fortune files (poems, quotes).
Markup is stripped, whitespace normalized, repeated paragraphs and documents dropped, documents
cut into chunks of at most --chunk-chars characters, and a seeded 2% of the chunks held out.

Output (in --out): train.jsonl, heldout.jsonl (one {"src", "text"} object per line) and
manifest.json (package versions, per-source counts, byte totals).
"""
import argparse
import glob
import gzip
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import unicodedata

PACKAGES = ["linux-doc-6.1", "python3.11-doc", "manpages-zh", "debian-reference-zh-cn", "fortunes-zh"]
KDOC = "/usr/share/doc/linux-doc-6.1/Documentation"
PYDOC = "/usr/share/doc/python3.11/html/_sources"
MANZH = "/usr/share/man/zh_CN"
DEBREF = "/usr/share/debian-reference/debian-reference.zh-cn.txt.gz"
FORTUNES = "/usr/share/games/fortunes"
SEED = 20250311


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


# ---------------------------------------------------------------------------------------------
# Markup stripping

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
CJK_WRAP = re.compile(r"(?<=[\u4e00-\u9fff，、（“])\n(?=[\u4e00-\u9fff（“])")
RST_ROLE = re.compile(r":[A-Za-z0-9_.+-]+(?::[A-Za-z0-9_.+-]+)?:`([^`]*)`")
RST_LINK = re.compile(r"`([^`<]*?)\s*<[^`>]*>`_{1,2}")
RST_INTERP = re.compile(r"`([^`]+)`_{0,2}")
RST_LITERAL = re.compile(r"``([^`]+)``")
RST_UNDERLINE = re.compile(r"^\s*([=\-~^\"'`#*+_.:<>])\1{2,}\s*$")
RST_TABLE_BORDER = re.compile(r"^\s*[+|][-=+|: ]+[+|]?\s*$")
RST_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([A-Za-z0-9_:-]+)::(.*)$")
RST_FIELD = re.compile(r"^\s+:[A-Za-z0-9 _-]+:.*$")


def strip_role_text(text):
    """:ref:`Title <target>` -> Title; :c:func:`foo` -> foo; ``x`` -> x."""
    def role(m):
        inner = m.group(1)
        mm = re.match(r"^(.*?)\s*<[^<>]*>$", inner, re.S)
        if mm and mm.group(1):
            inner = mm.group(1)
        return inner.lstrip("~!")
    text = RST_ROLE.sub(role, text)
    text = RST_LITERAL.sub(r"\1", text)
    text = RST_LINK.sub(r"\1", text)
    text = RST_INTERP.sub(r"\1", text)
    return text


def clean_rst(text):
    out = []
    skip_indent = None  # inside a directive's option block / comment: skip while indented deeper
    keep_body = False
    for line in text.splitlines():
        if skip_indent is not None:
            indent = len(line) - len(line.lstrip())
            if line.strip() == "":
                if keep_body:
                    out.append("")
                continue
            if indent > skip_indent:
                if keep_body and not RST_FIELD.match(line):
                    out.append(strip_role_text(line))
                continue
            skip_indent = None
        m = RST_DIRECTIVE.match(line)
        if m:
            name, arg = m.group(2), m.group(3).strip()
            # Prose-bearing directives keep their body; others (toctree, image, include, index,
            # kernel-doc, raw, ...) are dropped with their options/bodies.
            keep_body = name in ("note", "warning", "attention", "tip", "important", "hint",
                                 "code-block", "code", "caution", "admonition", "versionadded",
                                 "versionchanged", "deprecated", "function", "method", "class",
                                 "attribute", "data", "exception", "describe", "c:function",
                                 "c:type", "c:macro", "c:struct", "option")
            if keep_body and arg and name not in ("code-block", "code"):
                out.append(strip_role_text(arg))
            skip_indent = len(m.group(1))
            continue
        if re.match(r"^\s*\.\.(\s|$)", line):  # comment, target (.. _label:), substitution
            skip_indent = len(line) - len(line.lstrip())
            keep_body = False
            continue
        if line.startswith("SPDX-License-Identifier") or RST_UNDERLINE.match(line) \
                or RST_TABLE_BORDER.match(line):
            continue
        if line.rstrip().endswith("::"):
            line = line.rstrip()[:-1] if not line.strip() == "::" else ""
        out.append(strip_role_text(line))
    return "\n".join(out)


ROFF_ESC = [
    (r"\\f\[[A-Za-z]*\]", ""), (r"\\f\([A-Za-z]{2}", ""), (r"\\f[A-Za-z1-4P]", ""),
    (r"\\\(em", "—"), (r"\\\(en", "–"), (r"\\\(lq", "“"), (r"\\\(rq", "”"), (r"\\\(oq", "‘"),
    (r"\\\(cq", "’"), (r"\\\(bu", "•"), (r"\\\(co", "©"), (r"\\\(aq", "'"), (r"\\\(dq", '"'),
    (r"\\\(ti", "~"), (r"\\\(ha", "^"), (r"\\\(rs", "\\\\"), (r"\\\([A-Za-z]{2}", ""),
    (r"\\\*\([A-Za-z]{2}", ""), (r"\\\*\[[^\]]*\]", ""), (r"\\\*[A-Za-z]", ""),
    (r"\\s[+-]?\d", ""), (r"\\[,/&:%|^]", ""), (r"\\-", "-"), (r"\\ ", " "), (r"\\~", " "),
    (r"\\e", "\\\\"), (r"\\\.", "."), (r"\\'", "'"), (r"\\`", "`"), (r"\\c$", ""),
]
ROFF_ESC = [(re.compile(a), b) for a, b in ROFF_ESC]


def roff_inline(s):
    for pat, rep in ROFF_ESC:
        s = pat.sub(rep, s)
    return s.replace("\\\\", "\\")


def roff_args(s):
    """Macro arguments: quoted strings or words."""
    return [a[1:-1] if a.startswith('"') else a for a in re.findall(r'"[^"]*"|\S+', s)]


def clean_roff(text):
    out = []
    nofill = False
    for line in text.splitlines():
        if line.startswith(('.\\"', "'\\\"", '\\"')) or line.strip() in (".", "'"):
            continue
        if line.startswith((".", "'")) and len(line) > 1:
            parts = line[1:].split(None, 1)
            if not parts:
                continue
            req, rest = parts[0], (parts[1] if len(parts) > 1 else "")
            if req in ("SH", "SS"):
                out += ["", roff_inline(" ".join(roff_args(rest))), ""]
            elif req in ("PP", "P", "LP", "sp", "br", "RS", "RE", "HP"):
                out.append("")
            elif req in ("IP", "TP"):
                out.append("")
                if rest and req == "IP":
                    tag = roff_args(rest)
                    if tag and tag[0] not in ("\\(bu", "\\[bu]"):
                        out.append(roff_inline(tag[0]))
            elif req in ("B", "I", "SM", "SB"):
                out.append(roff_inline(" ".join(roff_args(rest))))
            elif req in ("BR", "RB", "IR", "RI", "BI", "IB"):
                out.append(roff_inline("".join(roff_args(rest))))
            elif req in ("nf", "EX"):
                nofill = True
            elif req in ("fi", "EE"):
                nofill = False
            continue  # TH, ft, ad, na, in, ti, ds, de, so, ... are dropped
        out.append(roff_inline(line))
    del nofill
    return "\n".join(out)


def normalize(text):
    """Whitespace/character normalization shared by all sources."""
    text = ANSI.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = text.replace("\u3000", " ").replace("\ufeff", "").expandtabs(4)
    text = "".join(c for c in text if c == "\n" or unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cs"))
    lines = []
    for line in text.split("\n"):
        line = line.rstrip()
        indent = len(line) - len(line.lstrip(" "))
        body = re.sub(r" {2,}", " ", line.strip())
        lines.append(" " * min(indent, 8) + body if body else "")
    text = "\n".join(lines)
    # Hard-wrapped Chinese prose (rst sources wrap mid-sentence): rejoin a line break between two
    # Han characters (poem lines end with 。/？ and stay separate).
    text = CJK_WRAP.sub("", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n")


# ---------------------------------------------------------------------------------------------
# Sources (each yields (source_name, document_text))

def kernel_docs(lang):
    if lang == "en":
        files = sorted(f for f in glob.glob(KDOC + "/**/*.rst.gz", recursive=True)
                       if "/translations/" not in f)
    else:
        files = sorted(glob.glob(f"{KDOC}/translations/{lang}/**/*.rst.gz", recursive=True))
    for f in files:
        t = read(f)
        if t:
            yield f"linux-doc/{lang}", clean_rst(t)


def python_docs():
    for f in sorted(glob.glob(PYDOC + "/**/*.rst.txt", recursive=True)):
        t = read(f)
        if t:
            yield "python3.11-doc", clean_rst(t)


def man_zh():
    for f in sorted(glob.glob(MANZH + "/man*/*.gz")):
        t = read(f)
        if t and not t.lstrip().startswith(".so "):
            yield "manpages-zh", clean_roff(t)


def debian_reference():
    t = read(DEBREF)
    # One big document: split at chapter headings ("Chapter N." / "第 N 章"), chunking does the rest.
    for part in re.split(r"\n(?=第 ?\d+ ?章)", t):
        yield "debian-reference-zh-cn", part


def fortunes():
    for name in ("chinese", "tang300", "song100"):
        t = read(os.path.join(FORTUNES, name))
        for entry in t.split("\n%\n"):
            # Poems: title and author lines stay separate from the verse (see CJK_WRAP).
            entry = re.sub(r"^((?:\x1b\[[0-9;]*m)?(?:题目|《|作者).*)$", r"\1\n", ANSI.sub("", entry),
                           flags=re.M)
            yield f"fortunes-zh/{name}", entry


def cjk_fraction(text):
    n = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    return n / max(1, len(text))


def chunks(text, limit):
    """Splits at paragraph boundaries into pieces of <= limit chars (a longer paragraph is cut
    at line boundaries)."""
    paras, cur, size = [], [], 0
    for p in text.split("\n\n"):
        if size + len(p) > limit and cur:
            paras.append("\n\n".join(cur))
            cur, size = [], 0
        while len(p) > limit:
            cut = p.rfind("\n", 0, limit)
            cut = cut if cut > 0 else limit
            paras.append(p[:cut])
            p = p[cut:].lstrip("\n")
        cur.append(p)
        size += len(p) + 2
    if cur:
        paras.append("\n\n".join(cur))
    return [c for c in paras if c.strip()]


def package_versions():
    out = {}
    for p in PACKAGES:
        try:
            v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", p], capture_output=True,
                               text=True, check=True).stdout
        except (subprocess.CalledProcessError, FileNotFoundError):
            v = None
        out[p] = v
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--english-mb", type=float, default=14.0,
                    help="cap on English text (UTF-8 MB, after cleaning); Chinese is taken whole")
    ap.add_argument("--chunk-chars", type=int, default=4000)
    ap.add_argument("--heldout-frac", type=float, default=0.02)
    args = ap.parse_args()

    versions = package_versions()
    missing = [p for p, v in versions.items() if not v]
    if missing:
        sys.exit(f"make_corpus: Debian packages not installed: {' '.join(missing)} "
                 f"(apt-get install {' '.join(missing)})")

    rng = random.Random(SEED)
    seen_docs, seen_paras = set(), set()
    stats = {}
    en_docs, zh_docs = [], []
    gens = [kernel_docs("en"), python_docs(), kernel_docs("zh_CN"), kernel_docs("zh_TW"),
            man_zh(), debian_reference(), fortunes()]
    for gen in gens:
        for src, text in gen:
            text = normalize(text)
            kept = []
            for p in text.split("\n\n"):
                key = hashlib.sha1(re.sub(r"\s+", " ", p.strip()).encode()).digest()
                if len(p) >= 40 and key in seen_paras:
                    continue  # repeated paragraph (license headers, boilerplate)
                seen_paras.add(key)
                kept.append(p)
            text = "\n\n".join(kept).strip("\n")
            dkey = hashlib.sha1(text.encode()).digest()
            if len(text) < 20 or dkey in seen_docs:
                continue
            seen_docs.add(dkey)
            st = stats.setdefault(src, {"docs": 0, "chars": 0, "bytes": 0})
            st["docs"] += 1
            st["chars"] += len(text)
            st["bytes"] += len(text.encode())
            (zh_docs if src.startswith(("manpages-zh", "debian-reference", "fortunes", "linux-doc/zh"))
             else en_docs).append((src, text))

    # English is larger than needed: a seeded sample of whole documents up to the cap.
    rng.shuffle(en_docs)
    cap, total, en_keep = args.english_mb * 1e6, 0, []
    for src, text in en_docs:
        if total >= cap:
            break
        en_keep.append((src, text))
        total += len(text.encode())

    records = []
    for src, text in en_keep + zh_docs:
        for c in chunks(text, args.chunk_chars):
            records.append({"src": src, "text": c})
    rng.shuffle(records)
    n_held = max(1, int(round(len(records) * args.heldout_frac)))
    heldout, train = records[:n_held], records[n_held:]

    os.makedirs(args.out, exist_ok=True)
    for name, recs in (("train.jsonl", train), ("heldout.jsonl", heldout)):
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            for r in recs:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")

    def summary(recs):
        by = {}
        for r in recs:
            s = by.setdefault(r["src"], {"chunks": 0, "bytes": 0})
            s["chunks"] += 1
            s["bytes"] += len(r["text"].encode())
        return by
    manifest = {
        "packages": versions, "seed": SEED, "english_mb_cap": args.english_mb,
        "chunk_chars": args.chunk_chars, "heldout_frac": args.heldout_frac,
        "sources_after_dedupe": stats,
        "train": summary(train), "heldout": summary(heldout),
        "train_bytes": sum(len(r["text"].encode()) for r in train),
        "heldout_bytes": sum(len(r["text"].encode()) for r in heldout),
        "train_cjk_fraction": cjk_fraction("".join(r["text"] for r in train[:2000])),
    }
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
    print(f"make_corpus: {len(train)} train chunks ({manifest['train_bytes'] / 1e6:.1f} MB), "
          f"{len(heldout)} held-out chunks ({manifest['heldout_bytes'] / 1e6:.2f} MB)")
    for src, s in sorted(summary(train).items()):
        print(f"  {src:28s} {s['chunks']:6d} chunks {s['bytes'] / 1e6:7.2f} MB")


if __name__ == "__main__":
    main()
