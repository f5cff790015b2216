"""The ``bricolage-tfidf`` command as a user runs it: a real process on real files."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from bricolage.tfidf import SimilarityIndex, main

SCRIPT = Path(sys.executable).with_name("bricolage-tfidf")
COLOUR = re.compile(rb"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7])(?:;[0-9;]*)?m")


@pytest.fixture
def folder(tmp_path: Path, cranfield_docs: tuple[str, ...]) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, text in enumerate(cranfield_docs[:300]):
        (docs / f"cran-{i:04}.txt").write_text(text)
    return docs


def command(
    *argv: str, env: Mapping[str, str] | None = None, module: bool = False, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    program = [sys.executable, "-m", "bricolage.tfidf"] if module else [str(SCRIPT)]
    return subprocess.run(
        [*program, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def in_terminal(*argv: str, env: Mapping[str, str]) -> tuple[int, bytes]:
    """The console script with a pseudo-terminal as its standard streams."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [str(SCRIPT), *argv],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, **env},
    )
    os.close(slave)
    output = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed: the process has exited
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    return process.wait(timeout=120), output


def test_the_console_script_without_a_terminal(folder: Path, tmp_path: Path) -> None:
    index = tmp_path / "cran.btfidf"
    done = command("index", str(folder), "-o", str(index))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"indexed 300 documents, {_terms(index)} terms -> {index}\n"
    done = command("search", str(index), "boundary", "layer", "-k", "2", module=True)
    assert done.returncode == 0
    assert "┃ rank ┃" in done.stdout
    assert "\x1b" not in done.stdout  # a pipe: no colour, no cursor control
    done = command("similar", str(index), "cran-0000.txt", "--json")
    assert [hit["rank"] for hit in json.loads(done.stdout)] == list(range(1, 11))
    done = command("repl", str(index), "-k", "1", stdin="slipstream\n:quit\n")
    assert done.returncode == 0
    assert "cran-0000.txt" in done.stdout


def _terms(index: Path) -> int:
    from bricolage.tfidf import SimilarityIndex

    return len(SimilarityIndex.load(index).vectorizer.get_feature_names_out())


def test_a_terminal_gets_a_progress_bar_and_colour_unless_no_color(
    folder: Path, tmp_path: Path
) -> None:
    index = tmp_path / "cran.btfidf"
    code, output = in_terminal("index", str(folder), "-o", str(index), env={"TERM": "xterm"})
    assert code == 0
    assert b"indexed 300 documents" in output
    assert b"fitting" in output or b"saving" in output  # the bar, cleared when done
    assert b"\x1b[" in output
    code, output = in_terminal("search", str(index), "wing", env={"TERM": "xterm"})
    assert code == 0
    assert COLOUR.search(output)
    code, output = in_terminal(
        "search", str(index), "wing", env={"TERM": "xterm", "NO_COLOR": "1"}
    )
    assert code == 0
    assert b"cran-" in output
    assert not COLOUR.search(output)


def test_errors_have_statuses_and_no_traceback(folder: Path, tmp_path: Path) -> None:
    done = command("search", str(tmp_path / "missing.btfidf"), "x")
    assert done.returncode == 3
    assert "is not an index file" in done.stderr
    assert "Traceback" not in done.stderr
    done = command("index", str(folder), "-o", str(tmp_path / "x"), "--ngram", "2")
    assert done.returncode == 2
    assert "--ngram" in done.stderr
    done = command("index", str(folder), "-o", str(tmp_path / "x"), "--ngram", "2", "1")
    assert done.returncode == 2
    assert "ngram_range" in done.stderr
    assert command("nonsense").returncode == 2


def test_interrupted_is_130(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(SimilarityIndex, "from_documents", interrupted)
    assert main(["index", str(folder), "-o", str(tmp_path / "i")]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not (tmp_path / "i").exists()


def test_help_version_and_shell_completion() -> None:
    done = command("--help")
    assert done.returncode == 0
    assert "Exit status" in done.stdout
    for name in ("index", "search", "similar", "terms", "report", "repl", "completion"):
        assert name in done.stdout
    assert command("--version").stdout.startswith("bricolage-tfidf, version 0.2")
    done = command("completion", "zsh")
    assert "_BRICOLAGE_TFIDF_COMPLETE=zsh_complete" in done.stdout
    done = command(
        env={
            "_BRICOLAGE_TFIDF_COMPLETE": "bash_complete",
            "COMP_WORDS": "bricolage-tfidf si",
            "COMP_CWORD": "1",
        }
    )
    assert done.stdout.split() == ["plain,similar"]


def test_without_the_cli_extra_the_error_names_it_and_the_repl_still_works() -> None:
    code = (
        "import sys; sys.modules['rich'] = None\n"
        "import io\n"
        "from bricolage.tfidf import SimilarityIndex, main, run_repl\n"
        "index = SimilarityIndex.from_documents(['red apple', 'green apple'])\n"
        "run_repl(index, stdin=io.StringIO('green\\n'), stdout=sys.stdout, prompt='')\n"
        "sys.exit(main(['--help']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "1. 0.8148  1" in done.stdout
    assert 'pip install "bricolage-tfidf[cli]"' in done.stderr
    assert "Traceback" not in done.stderr
