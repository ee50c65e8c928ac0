"""`dsinfer tokenize` end to end on the real DeepSeek-V3 tokenizer: ids as HF tokenizers gives
them (first line of the committed fixture), and a clear error for a directory without one."""
from conftest import REPO

V3 = REPO / "tests" / "data" / "tokenizer" / "deepseek-v3"


def test_ids_match_hf(run):
    r = run("tokenize", V3, "Hello world", "--ids-only", "--no-special")
    assert r.rc == 0, r.all
    assert r.out.split() == ["19923", "2058"]


def test_missing_tokenizer_is_a_clear_error(run, tmp_path):
    r = run("tokenize", tmp_path, "Hello")
    assert r.rc != 0
    assert "tokenizer.json" in r.err, r.all
