"""dsinfer's command line: help for every subcommand, clear errors for bad options."""
import re


def subcommands(help_text):
    """Names listed under "Subcommands:" in CLI11's help."""
    names, inside = [], False
    for line in help_text.splitlines():
        if line.strip().lower().startswith("subcommands"):
            inside = True
            continue
        if inside:
            m = re.match(r"^\s{2,}([a-z][a-z0-9-]*)\s", line + " ")
            if m:
                names.append(m.group(1))
            elif line.strip() and not line.startswith(" "):
                break
    return names


def test_main_help_lists_subcommands(run):
    r = run("--help")
    assert r.rc == 0, r.all
    names = subcommands(r.out)
    for expected in ("info", "inspect", "random-checkpoint"):
        assert expected in names, r.out


def test_every_subcommand_has_help(run):
    names = subcommands(run("--help").out)
    assert names
    for name in names:
        r = run(name, "--help")
        assert r.rc == 0, f"{name} --help: {r.all}"
        assert "--help" in r.out and "Options" in r.out, f"{name} --help does not describe options"


def test_inspect_and_random_checkpoint_help_describe_their_options(run):
    inspect = run("inspect", "--help").out
    for option in ("--json", "--tensors", "model_dir", "Exit status"):
        assert option in inspect
    rc = run("random-checkpoint", "--help").out
    for option in ("--seed", "--dtype", "--shards", "config", "out_dir"):
        assert option in rc


def test_unknown_option_fails_clearly(run, tmp_path):
    r = run("inspect", str(tmp_path), "--no-such-option")
    assert r.rc != 0
    assert "--no-such-option" in r.err
    r = run("no-such-command")
    assert r.rc != 0
    # CLI11 reports the missing subcommand before the stray word (main.cpp's setup).
    assert "no-such-command" in r.err or "subcommand is required" in r.err
    r = run("random-checkpoint", "x.json", tmp_path / "o", "--dtype", "int4")
    assert r.rc != 0
    assert "int4" in r.err
    r = run("random-checkpoint", "x.json", tmp_path / "o", "--shards", "0")
    assert r.rc != 0
    r = run("inspect")  # model_dir is required
    assert r.rc != 0
    assert "model_dir" in r.err


def test_unknown_command_is_named(run):
    r = run("rnu", "x")
    assert r.rc == 2, r.all
    assert "unknown command 'rnu'" in r.err and " run " in r.err, r.all
