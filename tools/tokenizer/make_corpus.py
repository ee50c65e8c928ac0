#!/usr/bin/env python3
"""Assembles the tokenizer test corpus (tests/data/tokenizer/corpus.bin).

Each record is one "line" of the corpus: arbitrary bytes (it may hold newlines, \r\n, NUL and
invalid UTF-8). Sources: text written here, Debian gettext catalogs (.mo) for Chinese, Japanese,
Korean and other languages, /usr/share/doc and man pages for English, the Python standard library
for Python code, /usr/include and other installed files for code in several languages.
The selection is seeded, so a rerun on the same machine gives the same corpus; the committed file
is the reference either way (fixtures are generated from the committed corpus).

File format (binary-safe, read by tests and by the benchmark):
    header line "# dsinfer tokenizer corpus v1: <count> records\n"
    then per record: "<byte length>\n<bytes>\n"
"""
import argparse
import glob
import gettext
import gzip
import os
import random
import re
import sys

SEED = 20250107


def read_text(path, limit=200_000):
    try:
        with open(path, "rb") as f:
            data = f.read(limit)
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def mo_messages(locale, rng, count, min_chars=4, max_chars=400):
    """Translated strings from the installed gettext catalogs of one locale."""
    files = sorted(glob.glob(f"/usr/share/locale/{locale}/LC_MESSAGES/*.mo"))
    out = []
    for f in files:
        try:
            with open(f, "rb") as fp:
                cat = gettext.GNUTranslations(fp)._catalog
        except Exception:
            continue
        for key in sorted(cat, key=lambda k: str(k)):
            v = cat[key]
            if isinstance(v, str) and min_chars <= len(v) <= max_chars and "Project-Id" not in v:
                out.append(v)
    rng.shuffle(out)
    # Prefer messages that actually contain non-ASCII text.
    out.sort(key=lambda s: all(ord(c) < 128 for c in s))
    return out[:count]


def chunks_of_file(path, rng, max_lines=8, count=3):
    text = read_text(path)
    if not text:
        return []
    lines = text.splitlines(keepends=True)
    if not lines:
        return []
    res = []
    for _ in range(count):
        start = rng.randrange(len(lines))
        n = rng.randint(1, max_lines)
        chunk = "".join(lines[start:start + n])
        if chunk.strip():
            res.append(chunk)
    return res


def code_corpus(rng, pattern_globs, count, max_lines=8):
    files = []
    for g in pattern_globs:
        files.extend(sorted(glob.glob(g, recursive=True)))
    files = [f for f in files if os.path.isfile(f) and os.path.getsize(f) > 200]
    rng.shuffle(files)
    out = []
    for f in files:
        out.extend(chunks_of_file(f, rng, max_lines=max_lines, count=2))
        if len(out) >= count:
            break
    return out[:count]


def english_corpus(rng, count):
    files = sorted(glob.glob("/usr/share/doc/*/copyright")) + sorted(
        glob.glob("/usr/share/doc/*/README*"))
    files = [f for f in files if not f.endswith(".gz")]
    rng.shuffle(files)
    out = []
    for f in files:
        text = read_text(f)
        if not text:
            continue
        paras = [p for p in re.split(r"\n\s*\n", text) if 20 < len(p) < 1500]
        rng.shuffle(paras)
        out.extend(paras[:2])
        if len(out) >= count:
            break
    return out[:count]


def man_corpus(rng, lang, count):
    files = sorted(glob.glob(f"/usr/share/man/{lang}/man*/*.gz"))
    rng.shuffle(files)
    out = []
    for f in files:
        try:
            text = gzip.open(f, "rb").read(200_000).decode("utf-8")
        except Exception:
            continue
        lines = [l for l in text.splitlines() if len(l) > 10 and not l.startswith((".\\\"", "'\\\""))]
        rng.shuffle(lines)
        out.extend(lines[:3])
        if len(out) >= count:
            break
    return out[:count]


# ---------------------------------------------------------------------------------------------
# Text written for this corpus.

WRITTEN_EN = [
    "Hello world",
    " Hello world",
    "Hello World",
    "The quick brown fox jumps over the lazy dog.",
    "I've been 'there' and they're sure it's John's; we'll see, you'd agree, I'm done.",
    "DON'T SHOUT: IT'S, THEY'RE, WE'LL, I'D, YOU'VE, I'M",
    "Führer, Äpfel, Cửa Việt, naïve café, Ångström, São Paulo, Łódź, Øresund",
    "ied 4 ½ months",
    " discards",
    "  leading spaces and trailing spaces   ",
    "Tabs\tbetween\twords\t\tand\ttabs",
    "e-mail: someone@example.com, URL: https://example.org/path?q=1&r=[2]#frag",
    "Prices: $1,234.56, €7.89, £0.99, ¥1000, ₹250, ₿0.0001",
    "Markdown: **bold**, _italic_, `code`, [link](http://x.y), > quote, - item, 1. item",
    "LaTeX: $\\int_0^\\infty e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2}$ and \\(a^2+b^2=c^2\\)",
    "JSON: {\"name\": \"dsinfer\", \"version\": [0, 1, 0], \"ok\": true, \"none\": null}",
    "Ellipsis… em—dash – en-dash “curly quotes” ‘single’ «guillemets» „low“",
    "What?!?! No way!!! ...really??? (yes) [maybe] {never} <html> </html>",
    "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'VE 'M 'LL 'D 'ſ 'K",
    "O'Neil's cat's toy, rock'n'roll, '90s, y'all",
]

WRITTEN_ZH = [
    "你好，世界！今天天气很好，我们去公园散步吧。",
    "深度求索（DeepSeek）发布了新的大语言模型，支持中文和英文。",
    "机器学习是人工智能的一个分支，它使计算机能够从数据中学习。",
    "请把这段代码翻译成中文注释：for i in range(10): print(i)",
    "北京、上海、广州和深圳是中国最大的城市。",
    "他说：“这个问题很复杂，需要仔细考虑。”然后离开了。",
    "一二三四五六七八九十百千万亿",
    "繁體中文：這是一個測試句子，用來檢查分詞器的行為。",
    "数字混排：2024年1月7日，温度-3.5℃，价格￥128.00元。",
    "全角字符：ＡＢＣ１２３，！？（）【】《》",
    "龘靐齉爩 龥龦 〇 々 〆 㐀 㐁 𠀀 𠀁 𪚥",
]

WRITTEN_JA = [
    "こんにちは、世界！今日はいい天気ですね。",
    "東京タワーは日本の有名な観光地です。カタカナとひらがなと漢字が混ざっています。",
    "私はコンピューターサイエンスを勉強しています。",
    "ｶﾀｶﾅ（半角）とカタカナ（全角）、ーとｰの違い。",
    "「吾輩は猫である。名前はまだ無い。」と夏目漱石は書いた。",
    "ゟ ゠ ヿ ㇰ ㇱ ㋐ ㍻ ｱｲｳ",
]

WRITTEN_OTHER = [
    "안녕하세요, 세계! 한국어 문장입니다.",
    "Привет, мир! Это тестовое предложение на русском языке.",
    "Γειά σου Κόσμε! Αυτή είναι μια δοκιμή.",
    "مرحبا بالعالم! هذه جملة اختبار باللغة العربية.",
    "שלום עולם! זהו משפט בדיקה בעברית.",
    "नमस्ते दुनिया! यह हिंदी में एक परीक्षण वाक्य है।",
    "สวัสดีชาวโลก! นี่คือประโยคทดสอบภาษาไทย",
    "Xin chào thế giới! Đây là một câu kiểm tra tiếng Việt.",
    "ᚠᛇᚻ᛫ᛒᛦᚦ᛫ᚠᚱᚩᚠᚢᚱ᛫ᚠᛁᚱᚪ᛫ᚷᛖᚻᚹᛦᛚᚳᚢᛗ",
    "Ꭰ Ꭱ Ꭲ Ꭳ ꮜꮝ ⰀⰁ Ⴀ ა ֆ",
]

EMOJI = [
    "😀😃😄😁😆😅🤣😂🙂🙃😉😊😇",
    "👍🏻👍🏼👍🏽👍🏾👍🏿 👨‍👩‍👧‍👦 👩🏽‍💻 🏳️‍🌈 🇯🇵🇨🇳🇺🇸🇩🇪",
    "I ❤️ Unicode ✨🚀🔥💯 — ok 👌",
    "Math: 𝐀𝐁𝐂 𝑥𝑦𝑧 𝔸𝔹ℂ 𝟘𝟙𝟚 ∑∏∫∂∇ ≤≥≠≈ ∀∃∈∉",
    "Ancient: 𓀀𓁐𓂀 𒀀𒀁 𐎀𐎁 𝄞𝄢 🀄🃏",
    "New emoji (Unicode 15/16): 🫨 🩷 🩵 🩶 🫷 🫸 🪼 🪿 🫎 🫏 🪽 🪮 🫩 🫆 🪾 🫜 🪉",
    "Unicode 15/16 letters: 𑼄𑼅 𖵀𖵁 𞓐𞓑 𑛐 𐗀 Ᲊ ꟋꟌ 𐵐𐵑 and digits 𐵀𐵁 𖄰",
    "Keycaps: 1️⃣ 2️⃣ #️⃣ *️⃣, variation: ☺︎ ☺️, ZWJ: a\u200db, ZWNJ: a\u200cb",
]

SPECIAL_V3 = [
    "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>", "<｜User｜>",
    "<｜Assistant｜>", "<|EOT|>", "<｜fim▁hole｜>", "<｜fim▁begin｜>", "<｜fim▁end｜>",
    "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>",
    "<｜tool▁call▁end｜>", "<｜tool▁outputs▁begin｜>", "<｜tool▁outputs▁end｜>",
    "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>", "<｜tool▁sep｜>",
    "<｜place▁holder▁no▁0｜>", "<｜place▁holder▁no▁17｜>", "<｜place▁holder▁no▁797｜>",
    "<think>", "</think>", "<tool_call>", "</tool_call>",
]
PARTIAL_TOKENS = ["<｜User", "｜>", "<｜begin▁of", "<|EOT|", "<|User|>", "<think", "<｜ User｜>",
                  "<｜USER｜>", "<<｜User｜>>", "<｜Assistant｜><", "</think >"]


def digits_corpus(rng, count):
    out = ["3", "33", "333", "3333", "33333", "333333", "3333333", "0", "00", "000", "0000",
           "1234567890", "12,345,678.90", "3.14159265358979323846", "-42", "+7 (495) 123-45-67",
           "2024-01-07T12:34:56Z", "0x1F2E3D4C", "1e-10", "v1.2.3-rc4", "١٢٣٤٥٦٧٨٩٠", "۱۲۳",
           "１２３４５", "²³¹ ½¼¾ ⅓ ⅔", "ⅠⅡⅢⅣⅫ ⅰⅱ", "①②③ ⑴⑵ ⒈⒉", "𝟏𝟐𝟑", "〇一二三", "a1b22c333d4444"]
    while len(out) < count:
        n = rng.randint(1, 40)
        s = "".join(rng.choice("0123456789") for _ in range(n))
        style = rng.randrange(5)
        if style == 0:
            s = f"x{s}y"
        elif style == 1:
            s = " ".join([s, s[: rng.randint(1, len(s))]])
        elif style == 2:
            s = f"Total: {s} items, {rng.randint(0, 999)}.{rng.randint(0, 99)}%"
        elif style == 3:
            s = "".join(c + rng.choice(["", " ", ",", ".", "\n"]) for c in s)
        out.append(s)
    return out[:count]


def whitespace_corpus(rng, count):
    pieces = [" ", "  ", "   ", "\t", "\n", "\r\n", "\r", "\n\n", "\u00a0", "\u3000", "\u2028",
              "\u2003", "\u180e", "\u0085", "\x0b", "\x0c", " \n", "\n ", "\t\n"]
    words = ["word", "foo", "Bar", "数据", "テスト", "ok", "1", "!", "é", "—"]
    out = ["", " ", "\n", "\r\n", "\t", "    ", "\n\n\n", "\r\n\r\n", " \r\n ", "a\r\nb\nc\rd",
           "line one\r\nline two\nline three\r\n", "    indented\n\tTabbed\n  \n", "end   "]
    while len(out) < count:
        n = rng.randint(1, 12)
        s = ""
        for _ in range(n):
            if rng.random() < 0.5:
                s += rng.choice(words)
            s += "".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        out.append(s)
    return out[:count]


def special_corpus(rng, count, base_texts):
    out = ["<｜begin▁of▁sentence｜>Hello", "<｜User｜>What is 2+2?<｜Assistant｜><think>\n",
           "<｜begin▁of▁sentence｜><｜User｜>你好<｜Assistant｜>你好！<｜end▁of▁sentence｜>",
           "text<|EOT|>more", " <｜User｜> spaced <｜Assistant｜> ",
           "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
           "```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>"]
    while len(out) < count:
        base = rng.choice(base_texts)
        parts = []
        for _ in range(rng.randint(1, 4)):
            cut = rng.randint(0, len(base))
            parts.append(base[:cut])
            tok = rng.choice(SPECIAL_V3 if rng.random() < 0.8 else PARTIAL_TOKENS)
            parts.append(rng.choice(["", " ", "\n", "  "]) + tok + rng.choice(["", " ", "\n"]))
            base = base[cut:]
        parts.append(base)
        out.append("".join(parts))
    return out[:count]


def random_soup(rng, count):
    blocks = [(0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF),
              (0x590, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F), (0x1100, 0x11FF), (0x1E00, 0x1FFF),
              (0x2000, 0x206F), (0x2100, 0x22FF), (0x2E80, 0x2FDF), (0x3000, 0x30FF),
              (0x3130, 0x318F), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF),
              (0xFE00, 0xFE0F), (0xFF00, 0xFFEF), (0x10000, 0x1007F), (0x1D400, 0x1D7FF),
              (0x1F300, 0x1FAFF), (0x20000, 0x2A6DF), (0xE0000, 0xE007F), (0xF0000, 0xF0010)]
    out = []
    while len(out) < count:
        n = rng.randint(1, 60)
        s = []
        for _ in range(n):
            lo, hi = rng.choice(blocks)
            c = rng.randint(lo, hi)
            if 0xD800 <= c <= 0xDFFF:
                continue
            s.append(chr(c))
            if rng.random() < 0.15:
                s.append(rng.choice([" ", "\n", "  ", "\t", "'s", "'LL"]))
        out.append("".join(s))
    return out


def combining_corpus(rng, count):
    """Decomposed sequences that NFC composes, Hangul jamo, stacked marks."""
    out = ["e\u0301", "cafe\u0301", "A\u030a", "\u212b", "\u1100\u1161\u11a8", "\u0041\u0308\u0304",
           "Z\u0351\u0364\u036b\u0327a\u0317\u0325l\u0334g\u035co", "\uff76\uff9e", "\u0e01\u0e34\u0e4a",
           "\u00c5 vs A\u030a vs \u212b", "\u1e9b\u0323", "\u0931 \u0928\u093c", "\u2126 \u03a9",
           "\u01c4 \u01c5 \u01c6 \ufb01 \ufb02", "\u00bd \u2153 \u2460 \u3392"]
    bases = "aeiouAEIOUnNcCsSzZ"
    marks = [0x300, 0x301, 0x302, 0x303, 0x308, 0x30A, 0x30C, 0x327, 0x328, 0x323, 0x331]
    while len(out) < count:
        s = []
        for _ in range(rng.randint(1, 12)):
            s.append(rng.choice(bases))
            for _ in range(rng.randint(0, 3)):
                s.append(chr(rng.choice(marks)))
            if rng.random() < 0.3:
                s.append(" ")
        if rng.random() < 0.3:  # Hangul jamo syllables
            s.append(chr(0x1100 + rng.randint(0, 18)) + chr(0x1161 + rng.randint(0, 20)))
        out.append("".join(s))
    return out[:count]


def corrupt(rng, data: bytes) -> bytes:
    """Inserts or substitutes invalid UTF-8 sequences."""
    bad = [b"\xff", b"\xfe", b"\xc0\x80", b"\xc1\xbf", b"\xe0\x80\x80", b"\xed\xa0\x80",
           b"\xed\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\x80", b"\xbf", b"\xe4\xb8",
           b"\xf0\x9f\x98", b"\xf0\x9f", b"\xc3", b"\xe2\x82", b"\x00", b"\xf8\x88\x80\x80\x80"]
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        pos = rng.randint(0, len(data))
        kind = rng.randrange(3)
        if kind == 0:
            data[pos:pos] = rng.choice(bad)
        elif kind == 1 and len(data) > 0:  # truncate a multi-byte character
            idx = [i for i, b in enumerate(data) if b >= 0xC0]
            if idx:
                i = rng.choice(idx)
                del data[i + 1:i + 2]
        else:
            data[pos:pos] = bytes([rng.randint(0x80, 0xFF)])
    return bytes(data)


def long_lines(rng, texts, count):
    out = []
    for _ in range(count):
        n = rng.randint(20, 60)
        out.append("".join(rng.choice(texts) for _ in range(n)))
    out.append("a" * 3000)
    out.append(" " * 2000 + "x")
    out.append("\n" * 500)
    out.append("9" * 1001)
    out.append("汉" * 1500)
    out.append("!" * 700 + "?" * 300)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "tests",
                                                  "data", "tokenizer", "corpus.bin"))
    args = ap.parse_args()
    rng = random.Random(SEED)

    records = []
    def add(items, tag):
        for s in items:
            records.append(s.encode("utf-8") if isinstance(s, str) else s)
        print(f"{tag:>12}: {len(items)}", file=sys.stderr)

    english = english_corpus(rng, 260) + man_corpus(rng, "man1", 60)
    add(WRITTEN_EN + english, "english")
    zh = mo_messages("zh_CN", rng, 180) + mo_messages("zh_TW", rng, 60) + man_corpus(rng, "zh_CN", 30)
    add(WRITTEN_ZH + zh, "chinese")
    ja = mo_messages("ja", rng, 190) + man_corpus(rng, "ja", 20)
    add(WRITTEN_JA + ja, "japanese")
    other = []
    for loc in ["ko", "ru", "de", "fr", "el", "ar", "he", "hi", "th", "vi", "uk", "es", "pl", "tr"]:
        other += mo_messages(loc, rng, 18)
    add(WRITTEN_OTHER + other, "other langs")
    py = code_corpus(rng, ["/usr/lib/python3.11/*.py", "/usr/lib/python3.11/*/*.py"], 230)
    add(py, "python")
    c = code_corpus(rng, ["/usr/include/*.h", "/usr/include/c++/12/bits/*.h"], 120)
    add(c, "c/c++")
    misc = code_corpus(rng, ["/usr/share/doc/git/contrib/**/*.go", "/usr/share/javascript/**/*.js",
                             "/usr/share/perl5/**/*.pm", "/usr/share/cmake-3.25/Modules/*.cmake",
                             "/usr/share/doc/**/*.html", "/usr/bin/*-config", "/etc/*.conf"], 180)
    add(misc, "other code")
    add(digits_corpus(rng, 110), "digits")
    add(whitespace_corpus(rng, 110), "whitespace")
    add(EMOJI + random_soup(rng, 150), "emoji/soup")
    add(combining_corpus(rng, 80), "combining")
    textual = [r.decode("utf-8") for r in records if 10 < len(r) < 300]
    add(special_corpus(rng, 170, textual), "special")
    # Mixed newlines: join random lines with \r\n and \n.
    mixed = []
    for _ in range(60):
        parts = [rng.choice(textual) for _ in range(rng.randint(2, 5))]
        mixed.append("".join(p + rng.choice(["\n", "\r\n", "\r\n\r\n", "\n\n", " \r\n"]) for p in parts))
    add(mixed, "newlines")
    add(long_lines(rng, textual, 6), "long")
    valid = list(records)
    bad = [corrupt(rng, rng.choice(valid)) for _ in range(130)]
    bad += [b"\xff", b"\x80", b"abc\xe4\xb8", b"\xf0\x9f\x98\x80\xf0\x9f\x98", b"\xc0\xaf", b"\x00\x00"]
    add(bad, "invalid utf8")

    out = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "wb") as f:
        f.write(f"# dsinfer tokenizer corpus v1: {len(records)} records\n".encode())
        for r in records:
            f.write(f"{len(r)}\n".encode())
            f.write(r)
            f.write(b"\n")
    total = sum(len(r) for r in records)
    print(f"wrote {out}: {len(records)} records, {total} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
