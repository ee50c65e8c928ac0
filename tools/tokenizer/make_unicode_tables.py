#!/usr/bin/env python3
"""Generates the Unicode tables that make the C++ tokenizer agree with HF tokenizers.

HF `tokenizers` compiles pre-tokenizer regexes with Oniguruma, whose Unicode tables are newer than
the PCRE2 on this machine (Debian 12: PCRE2 10.42 = Unicode 14.0). The difference is characters
assigned after Unicode 14 (e.g. new emoji are \\p{S} for HF, unassigned for PCRE2) and U+180E
(\\s for PCRE2, not for HF). This script measures, for each class name the regex translator knows,
the set HF matches (by running a `tokenizers` Split over every code point) and the set PCRE2
matches (through ctypes, with the same compile options as src/tokenizer/regex.cpp), and writes:

  src/tokenizer/unicode_extras.inc           per class: PCRE2 base expression + extra ranges
  tests/data/tokenizer/unicode_classes.json  HF's exact sets for a list of test expressions
  src/tokenizer/rust_char_tables.inc         the Rust character predicates HF relies on, as
                                             measured through HF: char::is_numeric (Digits),
                                             regex \w (Whitespace, single_word), the combining
                                             marks StripAccents removes, char::to_lowercase

Run with --rust-only to regenerate just rust_char_tables.inc (seconds instead of minutes).

Run: .venv/bin/python tools/tokenizer/make_unicode_tables.py   (needs tokenizers, see
requirements/tools.txt, and libpcre2-8.so).
"""
import ctypes
import json
import os
import sys

import tokenizers
from tokenizers import Regex, normalizers, pre_tokenizers

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CPS = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
ALL_TEXT = "".join(chr(c) for c in CPS)

GENERAL_CATEGORIES = ["L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl",
                      "No", "P", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk",
                      "So", "Z", "Zs", "Zl", "Zp", "Cf"]
SCRIPTS = ["Han", "Hiragana", "Katakana", "Hangul", "Latin", "Greek", "Cyrillic", "Arabic",
           "Hebrew", "Thai", "Devanagari"]
# name -> (Oniguruma expression for HF, PCRE2 base expression used by the translator)
CLASSES = {gc: (f"\\p{{{gc}}}", f"\\p{{{gc}}}") for gc in GENERAL_CATEGORIES}
CLASSES.update({sc: (f"\\p{{{sc}}}", f"\\p{{sc:{sc}}}") for sc in SCRIPTS})
CLASSES["d"] = ("\\d", "\\p{Nd}")
CLASSES["w"] = ("\\w", "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}")

# Expressions whose HF sets the C++ test compares against the translated PCRE2 regex.
TEST_EXPRESSIONS = ["\\s", "\\S", "\\p{L}", "\\p{N}", "\\p{P}", "\\p{S}", "\\p{M}", "\\p{Lu}",
                    "\\p{Nd}", "\\d", "\\D", "\\w", "\\W", "\\h", "\\p{Han}", "\\p{Hiragana}",
                    "\\p{Katakana}", "\\p{Hangul}", "\\P{L}", "\\p{^N}", "[^\\s\\p{L}\\p{N}]",
                    "[^\\r\\n\\p{L}\\p{P}\\p{S}]", "[\\p{L}\\p{M}]", "[\\p{P}\\p{S}]", "[\\s\\d]",
                    "[^\\S\\r\\n]", ".", "(?i:k)", "(?i:s)", "[一-龥぀-ゟ゠-ヿ]",
                    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~]"]


def hf_set(expr):
    """Code points matched by `expr` under tokenizers' Oniguruma."""
    pieces = pre_tokenizers.Split(Regex(expr), "removed").pre_tokenize_str(ALL_TEXT)
    unmatched = set()
    for _, (s, e) in pieces:
        unmatched.update(CPS[s:e])
    return [c for c in CPS if c not in unmatched]


class Pcre2:
    UTF, UCP, MULTILINE = 0x00080000, 0x00020000, 0x00000400

    def __init__(self):
        lib = ctypes.CDLL("libpcre2-8.so.0")
        lib.pcre2_compile_8.restype = ctypes.c_void_p
        lib.pcre2_compile_8.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint32,
                                        ctypes.POINTER(ctypes.c_int),
                                        ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p]
        lib.pcre2_match_data_create_8.restype = ctypes.c_void_p
        lib.pcre2_match_data_create_8.argtypes = [ctypes.c_uint32, ctypes.c_void_p]
        lib.pcre2_match_8.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                      ctypes.c_size_t, ctypes.c_uint32, ctypes.c_void_p,
                                      ctypes.c_void_p]
        lib.pcre2_get_ovector_pointer_8.restype = ctypes.POINTER(ctypes.c_size_t)
        lib.pcre2_get_ovector_pointer_8.argtypes = [ctypes.c_void_p]
        lib.pcre2_config_8.argtypes = [ctypes.c_uint32, ctypes.c_void_p]
        self.lib = lib
        self.subject = ALL_TEXT.encode("utf-8")
        # byte offset -> code point
        self.offset_cp = {}
        off = 0
        for c in CPS:
            self.offset_cp[off] = c
            off += len(chr(c).encode("utf-8"))

    def version(self):
        buf = ctypes.create_string_buffer(64)
        self.lib.pcre2_config_8(11, buf)  # PCRE2_CONFIG_VERSION
        ver = buf.value.decode()
        self.lib.pcre2_config_8(10, buf)  # PCRE2_CONFIG_UNICODE_VERSION
        return ver, buf.value.decode()

    def members(self, class_body):
        """Code points matched by the single-character class `[class_body]`."""
        pat = f"[{class_body}]+".encode()
        err, off = ctypes.c_int(), ctypes.c_size_t()
        code = self.lib.pcre2_compile_8(pat, len(pat), self.UTF | self.UCP | self.MULTILINE,
                                        ctypes.byref(err), ctypes.byref(off), None)
        if not code:
            raise RuntimeError(f"PCRE2 rejects {pat!r}")
        md = self.lib.pcre2_match_data_create_8(1, None)
        out, start = [], 0
        while start < len(self.subject):
            rc = self.lib.pcre2_match_8(code, self.subject, len(self.subject), start, 0, md, None)
            if rc < 0:
                break
            ov = self.lib.pcre2_get_ovector_pointer_8(md)
            s, e = ov[0], ov[1]
            pos = s
            while pos < e:
                c = self.offset_cp[pos]
                out.append(c)
                pos += len(chr(c).encode("utf-8"))
            start = e if e > s else e + 1
        return out


def ranges(cps):
    res = []
    for c in sorted(cps):
        if res and res[-1][1] == c - 1:
            res[-1][1] = c
        else:
            res.append([c, c])
    return res


def class_items(rngs):
    return "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in rngs)


def rust_char_sets():
    """Measures HF's Rust-side character predicates over every code point."""
    interleaved = "a" + "a".join(chr(c) for c in CPS) + "a"  # code point k at offset 2k+1
    numeric = [CPS[(s - 1) // 2] for _, (s, e) in
               pre_tokenizers.Digits(individual_digits=True).pre_tokenize_str(interleaved)
               if e - s == 1 and s % 2 == 1]
    # Whitespace keeps runs of \w and runs of other non-space characters apart; with "a" (a
    # word character) between all code points, every non-word character stands alone.
    word = set(CPS)
    for piece, (s, e) in pre_tokenizers.Whitespace().pre_tokenize_str(interleaved):
        if e - s == 1 and s % 2 == 1:
            word.discard(CPS[(s - 1) // 2])
    kept = set()
    for _, (s, e) in pre_tokenizers.WhitespaceSplit().pre_tokenize_str(interleaved):
        kept.update(range(s, e))
    whitespace = {CPS[(i - 1) // 2] for i in range(1, len(interleaved), 2) if i not in kept}
    word -= whitespace
    stripped = normalizers.StripAccents().normalize_str(ALL_TEXT)
    marks = sorted(set(CPS) - set(ord(ch) for ch in stripped))
    lower = normalizers.Lowercase()
    lowercase = {c: lower.normalize_str(chr(c)) for c in CPS if lower.normalize_str(chr(c)) != chr(c)}
    return {"numeric": sorted(numeric), "word": sorted(word), "whitespace": sorted(whitespace),
            "marks": marks, "lowercase": lowercase}


def write_rust_tables(sets):
    def table(name, cps):
        rows = [f"{{0x{a:x}, 0x{b:x}}}," for a, b in ranges(cps)]
        body = "\n".join("    " + " ".join(rows[i:i + 6]) for i in range(0, len(rows), 6))
        return f"constexpr CodePointRange {name}[] = {{\n{body}\n}};"
    def cstr(text):
        return '"' + "".join(f"\\x{b:02x}" for b in text.encode("utf-8")) + '"'
    lower_rows = [f"{{0x{c:x}, {cstr(t)}}}," for c, t in sorted(sets["lowercase"].items())]
    lower_body = "\n".join("    " + " ".join(lower_rows[i:i + 3]) for i in range(0, len(lower_rows), 3))
    text = "\n".join([
        "// Generated by tools/tokenizer/make_unicode_tables.py; do not edit.",
        f"// Rust character predicates measured through tokenizers {tokenizers.__version__}.",
        table("kRustNumeric", sets["numeric"]),
        table("kRustWord", sets["word"]),
        "// What StripAccents removes (HF's normalization tables are Unicode 9.0).",
        table("kHfCombiningMarks", sets["marks"]),
        "// char::to_lowercase for every character it changes.",
        f"constexpr LowercaseEntry kRustLowercase[] = {{\n{lower_body}\n}};",
    ])
    with open(os.path.join(ROOT, "src", "tokenizer", "rust_char_tables.inc"), "w") as f:
        f.write(text + "\n")


def main():
    if "--rust-only" in sys.argv:
        write_rust_tables(rust_char_sets())
        return
    write_rust_tables(rust_char_sets())
    pcre = Pcre2()
    pcre_version, pcre_unicode = pcre.version()
    lines = [
        "// Generated by tools/tokenizer/make_unicode_tables.py; do not edit.",
        f"// Oniguruma sets measured through tokenizers {tokenizers.__version__}; PCRE2 "
        f"{pcre_version} (Unicode {pcre_unicode}).",
        "// Each row: a class name as written in \\p{..} (or d / w for \\d / \\w), the PCRE2",
        "// expression the translator emits for it, and the characters HF matches that this",
        "// expression misses (assigned after PCRE2's Unicode version); see [NOTE: unicode extras].",
    ]
    rows, unfixable = [], []
    for name, (onig, base) in CLASSES.items():
        hf = set(hf_set(onig))
        pc = set(pcre.members(base))
        extra = ranges(hf - pc)
        only_pcre = sorted(pc - hf)
        if only_pcre:
            unfixable.append((name, [hex(c) for c in only_pcre[:8]], len(only_pcre)))
        base_c = base.replace("\\", "\\\\")
        rows.append(f'    {{"{name}", "{base_c}", "{class_items(extra).replace(chr(92), chr(92) * 2)}"}},')
        print(f"{name:>10}: extra {len(hf - pc):5d} in {len(extra):3d} ranges; pcre-only {len(only_pcre)}",
              file=sys.stderr)
    lines.append("// PCRE2 matches these characters HF does not (left as PCRE2 has them):")
    for name, sample, n in unfixable:
        lines.append(f"//   {name}: {n} code points, e.g. {' '.join(sample)}")
    lines.append("constexpr UnicodeClassRow kUnicodeClassRows[] = {")
    lines.extend(rows)
    lines.append("};")
    with open(os.path.join(ROOT, "src", "tokenizer", "unicode_extras.inc"), "w") as f:
        f.write("\n".join(lines) + "\n")

    fixture = {
        "generator": "tools/tokenizer/make_unicode_tables.py",
        "tokenizers_version": tokenizers.__version__,
        "classes": {e: ranges(hf_set(e)) for e in TEST_EXPRESSIONS},
    }
    path = os.path.join(ROOT, "tests", "data", "tokenizer", "unicode_classes.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"), ensure_ascii=False)
    print(f"wrote unicode_extras.inc and {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
