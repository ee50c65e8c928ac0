#!/usr/bin/env python3
"""Writes the chat-template fixtures of dsinfer's C++ renderer (src/chat_template/).

The oracle is Python jinja2 configured the way Hugging Face transformers renders chat
templates (transformers/utils/chat_template_utils.py, _compile_jinja_template):
  ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                extensions=[<generation tag>, jinja2.ext.loopcontrols])
  filters["tojson"] = json.dumps(x, ensure_ascii=False, indent, separators, sort_keys)
  globals["raise_exception"] raises TemplateError(message)
  globals["strftime_now"] = datetime.now().strftime   (a fixed time here, for determinism)
and apply_chat_template's context: messages, tools, documents, add_generation_prompt plus
the tokenizer's special tokens and extra template kwargs.

Outputs (tests/data/chat/):
  templates.json      the DeepSeek chat templates, their special tokens and provenance
  conversations.json  OpenAI-format conversations (system, multi-turn, tool calls, <think>)
  renders.json        expected render (or error) of every template x conversation x
                      add_generation_prompt
  features.json       small templates exercising each supported Jinja feature, with the
                      expected output or error (phase, type, message, line)

Run from the repository root:  .venv/bin/python tools/chat_template/gen_fixtures.py
Requires jinja2==3.1.6 (MarkupSafe 3.0.4); versions are recorded in every output file.
"""

import datetime
import json
import os
import platform
import sys
import traceback

import jinja2
import jinja2.ext
import jinja2.nodes
import importlib.metadata
from jinja2.sandbox import ImmutableSandboxedEnvironment

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conversations import CONVERSATIONS  # noqa: E402
from features import FEATURES  # noqa: E402

PINNED_JINJA2 = "3.1.6"
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_DIR = os.path.join(ROOT, "tests", "data", "chat")
TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
SHARED_V3 = os.path.join(ROOT, "..", "shared", "data", "deepseek-v3-tokenizer",
                         "tokenizer_config.json")
# What strftime_now() returns the time of; the C++ test injects the same time.
FIXED_TIME = datetime.datetime(2025, 3, 9, 14, 5, 7)

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"

FAMILIES = {
    "deepseek-v3": {
        "file": None,  # read from the shared DeepSeek-V3 tokenizer_config.json
        "special_tokens": {"bos_token": BOS, "eos_token": EOS, "pad_token": EOS},
        "provenance": "chat_template of DeepSeek-V3 tokenizer_config.json (shared/data/"
                      "deepseek-v3-tokenizer, sha256 637bcd1a...), verbatim",
    },
    "deepseek-r1": {
        "file": "deepseek-r1.jinja",
        "special_tokens": {"bos_token": BOS, "eos_token": EOS, "pad_token": EOS},
        "provenance": "DeepSeek-R1 tokenizer_config.json chat_template (revision with "
                      "'tool_calls' in message and the '<think>\\n' generation prompt) as "
                      "quoted verbatim by two public sources (a model-template table in a "
                      "Python project and a blog copy of the file); the two copies agree",
    },
    "deepseek-r1-distill-qwen": {
        "file": "deepseek-r1-distill-qwen.jinja",
        "special_tokens": {"bos_token": BOS, "eos_token": EOS, "pad_token": EOS},
        "provenance": "DeepSeek-R1-Distill-Qwen tokenizer_config.json chat_template (later "
                      "revision, generation prompt '<｜Assistant｜><think>\\n'), quoted "
                      "verbatim in public notes; matches the facts of deepseek-models.md §3.4",
    },
    "deepseek-llm-chat": {
        "file": "deepseek-llm-chat.jinja",
        "special_tokens": {"bos_token": BOS, "eos_token": EOS},
        "provenance": "deepseek-llm-7b-chat / DeepSeek-V2-Chat template, verbatim as quoted "
                      "by llama.cpp tests/test-chat-template.cpp ('DeepSeek-V2') and a model "
                      "card; '\\n\\n' kept as a Jinja escape (same render as raw newlines)",
    },
    "deepseek-coder-instruct": {
        "file": "deepseek-coder-instruct.jinja",
        "special_tokens": {"bos_token": BOS, "eos_token": "<|EOT|>"},
        "provenance": "deepseek-coder-33b-instruct tokenizer_config.json chat_template, "
                      "verbatim as quoted by llama.cpp tests/test-chat-template.cpp and "
                      "huggingface.js jinja tests",
    },
    "deepseek-v3.1-llamacpp": {
        "file": "deepseek-v3.1-llamacpp.jinja",
        "special_tokens": {"bos_token": BOS, "eos_token": EOS},
        "provenance": "llama.cpp models/templates/deepseek-ai-DeepSeek-V3.1.jinja (a "
                      "reformatted multi-line copy of V3.1's template with thinking flags); "
                      "exercises whitespace control, lstrip/trim and newlines in literals",
    },
    "deepseek-v3.2-llamacpp": {
        "file": "deepseek-v3.2-llamacpp.jinja",
        "special_tokens": {"bos_token": BOS, "eos_token": EOS},
        "provenance": "llama.cpp models/templates/DeepSeek-V3.2.jinja (llama.cpp's own V3.2 "
                      "template: macros, namespaces, tojson, dict methods, DSML tool calls)",
    },
}


# ---- the transformers-like environment -------------------------------------------------

class GenerationTag(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %} renders its body, as transformers'
    AssistantTracker does when no assistant mask is requested."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        call = self.call_method("_render_body")
        return jinja2.nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _render_body(self, caller):
        return caller()


def make_environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def strftime_now(format):
        return FIXED_TIME.strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def template_line(exc):
    """The template line an exception was raised at (jinja rewrites tracebacks)."""
    if isinstance(exc, jinja2.exceptions.TemplateSyntaxError):
        return exc.lineno
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            line = frame.lineno
    return line


def run(env, source, context):
    """Returns {"expected": text} or {"error": {phase, type, message, line}}."""
    try:
        compiled = env.from_string(source)
    except Exception as exc:  # noqa: BLE001 - any compile failure is an expected error
        return {"error": {"phase": "parse", "type": type(exc).__name__, "message": str(exc),
                          "line": template_line(exc)}}
    try:
        return {"expected": compiled.render(**context)}
    except Exception as exc:  # noqa: BLE001
        return {"error": {"phase": "render", "type": type(exc).__name__, "message": str(exc),
                          "line": template_line(exc)}}


# ---- fixtures --------------------------------------------------------------------------

def load_templates():
    templates = {}
    for name, fam in FAMILIES.items():
        if fam["file"] is None:
            with open(SHARED_V3, encoding="utf-8") as f:
                source = json.load(f)["chat_template"]
        else:
            # Byte-exact template text (the files carry no editor newline at the end).
            with open(os.path.join(TEMPLATE_DIR, fam["file"]), encoding="utf-8", newline="") as f:
                source = f.read()
        templates[name] = {"template": source, "special_tokens": fam["special_tokens"],
                           "provenance": fam["provenance"]}
    return templates


def context_for(special_tokens, conversation, add_generation_prompt):
    """apply_chat_template(tokenize=False): {**special_tokens_map, **kwargs} plus the
    explicit messages / tools / documents / add_generation_prompt."""
    ctx = dict(special_tokens)
    ctx.update(conversation.get("extra", {}))
    ctx.update(messages=conversation["messages"], tools=conversation.get("tools"),
               documents=None, add_generation_prompt=add_generation_prompt)
    return ctx


def meta():
    return {
        "generator": "tools/chat_template/gen_fixtures.py",
        "jinja2_version": jinja2.__version__,
        "markupsafe_version": importlib.metadata.version("markupsafe"),
        "python_version": platform.python_version(),
        "environment": "ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, "
                       "extensions=[generation, loopcontrols]) + transformers' tojson, "
                       "raise_exception, strftime_now",
        "fixed_time": FIXED_TIME.isoformat(),
    }


def write_json(name, data):
    path = os.path.join(OUT_DIR, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(path, ROOT)}")


def main():
    if jinja2.__version__ != PINNED_JINJA2:
        print(f"warning: jinja2 {jinja2.__version__} installed, fixtures are pinned to "
              f"{PINNED_JINJA2}", file=sys.stderr)
    os.makedirs(OUT_DIR, exist_ok=True)
    env = make_environment()
    templates = load_templates()

    ids = [c["id"] for c in CONVERSATIONS]
    assert len(ids) == len(set(ids)), "duplicate conversation id"
    cases = []
    for family, t in templates.items():
        for conv in CONVERSATIONS:
            for agp in (False, True):
                result = run(env, t["template"], context_for(t["special_tokens"], conv, agp))
                cases.append({"family": family, "conversation": conv["id"],
                              "add_generation_prompt": agp, **result})
    errors = sum(1 for c in cases if "error" in c)
    print(f"{len(cases)} renders, {errors} of them errors")

    names = [f[0] for f in FEATURES]
    assert len(names) == len(set(names)), "duplicate feature name"
    features = []
    for name, source, context in FEATURES:
        features.append({"name": name, "template": source, "context": context,
                         **run(env, source, context)})
    print(f"{len(features)} feature cases, "
          f"{sum(1 for f in features if 'error' in f)} expect an error")

    write_json("templates.json", {**meta(), "templates": templates})
    write_json("conversations.json", {**meta(), "conversations": CONVERSATIONS})
    write_json("renders.json", {**meta(), "cases": cases})
    write_json("features.json", {**meta(), "cases": features})


if __name__ == "__main__":
    main()
