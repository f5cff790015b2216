"""The ``bricolage-search`` command, driven as a user drives it: real PDFs, real processes."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from bricolage.search import Index, Schema, TextField
from bricolage.search import _app as app
from bricolage.search._cli import main

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("BRICOLAGE_DATA", ROOT.parent / "shared" / "data"))
PDFS = DATA / "pdfs"
SCRIPT = Path(sys.executable).with_name("bricolage-search")
COLOUR = re.compile(rb"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7])(?:;[0-9;]*)?m")  # a colour

SAMPLES = [
    "004-pdflatex-4-pages_pdflatex-4-pages.pdf",
    "005-libreoffice-writer-password_libreoffice-writer-password.pdf",
    "011-google-doc-document_google-doc-document.pdf",
    "019-grayscale-image_grayscale-image.pdf",
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "nested").mkdir(parents=True)
    for name in SAMPLES:
        (docs / "nested" / name).symlink_to(PDFS / name)
    (docs / "notes.txt").write_text("not a pdf")
    return docs


@pytest.fixture
def indexed(tmp_path: Path, folder: Path) -> Path:
    idx = tmp_path / "idx"
    assert run("index", str(idx), str(folder), "--password", f"{SAMPLES[1]}=openpassword")[0] == 0
    return idx


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def command(
    *argv: str, env: Mapping[str, str] | None = None, module: bool = False
) -> subprocess.CompletedProcess[str]:
    """The installed console script (or ``python -m``) in a process of its own, no terminal."""
    program = [sys.executable, "-m", "bricolage.search"] if module else [str(SCRIPT)]
    return subprocess.run(
        [*program, *argv],
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


def test_index_query_stats(tmp_path: Path, indexed: Path) -> None:
    idx = str(indexed)
    code, text = run("query", idx, '"PDF Example"', "--limit", "3")
    assert code == 0
    assert "page 1" in text
    assert "**Example**" in text
    code, text = run("query", idx, "example", "--json", "--weight", "title=3", "--k1", "1.5")
    records = [json.loads(line) for line in text.splitlines()]
    assert records
    assert records[0]["page"] == 1
    assert records[0]["rank"] == 1
    code, text = run("query", idx, "example document", "--and", "--b", "0.5")
    assert code == 0
    assert "match(es); showing" in text
    code, text = run("stats", idx)
    assert code == 0
    assert re.search(r"documents\s+│\s+\d+", text)
    assert re.search(r"│ text\s+│\s+[\d,]+ │", text)
    code, text = run("stats", idx, "--json")
    stats = json.loads(text)
    assert stats["documents"] == len(Index.open(idx))
    assert stats["fields"]["text"]["terms"] > 0
    assert stats["size_bytes"] > 0


def test_the_console_script_indexes_real_pdfs_without_a_terminal(
    tmp_path: Path, folder: Path
) -> None:
    idx = tmp_path / "idx"
    done = command("index", str(idx), str(folder), "--password", f"{SAMPLES[1]}=openpassword")
    assert done.returncode == 0, done.stderr
    assert "[            ok] 004-pdflatex-4-pages" in done.stdout
    assert "[       no_text] 019-grayscale" in done.stdout
    assert "from 3 of 4 file(s)" in done.stdout
    # a pipe is not a terminal: no colour, no cursor movement, no progress bar
    assert "\x1b" not in done.stdout
    assert "━" not in done.stdout
    done = command("stats", str(idx), module=True)
    assert done.returncode == 0
    assert "┃ field" in done.stdout
    assert "\x1b" not in done.stdout


def test_a_terminal_gets_colour_and_a_progress_bar_unless_no_color(
    tmp_path: Path, folder: Path
) -> None:
    idx = tmp_path / "idx"
    code, output = in_terminal("index", str(idx), str(folder), env={"TERM": "xterm-256color"})
    assert code == 0
    assert COLOUR.search(output)
    assert b"indexing" in output or b"committing" in output
    assert b"from 2 of 4 file(s)" in output  # no password: the encrypted file fails
    code, output = in_terminal("stats", str(idx), env={"TERM": "xterm-256color", "NO_COLOR": "1"})
    assert code == 0
    assert b"documents" in output
    assert not COLOUR.search(output)


def test_exit_codes(tmp_path: Path, folder: Path, indexed: Path) -> None:
    # 3: nothing there
    done = command("stats", str(tmp_path / "nothing"))
    assert done.returncode == 3
    assert "holds no index" in done.stderr
    assert "Traceback" not in done.stderr
    assert command("index", str(tmp_path / "i2"), str(folder / "missing")).returncode == 3
    # 2: usage errors, from click and from the query parser
    done = command("query", str(indexed), "a AND")
    assert done.returncode == 2
    assert "column 6" in done.stderr
    done = command("index", str(tmp_path / "i3"), str(folder), "--password", "nonsense")
    assert done.returncode == 2
    assert "NAME=VALUE" in done.stderr
    assert command("query", str(indexed), "x", "--limit", "-1").returncode == 2
    assert command("query", str(indexed), "x", "--weight", "text=heavy").returncode == 2
    assert command("frobnicate").returncode == 2
    # 1: the index is damaged
    (indexed / "CURRENT").write_text("{not json")
    done = command("query", str(indexed), "x")
    assert done.returncode == 1
    assert "damaged" in done.stderr
    assert "Traceback" not in done.stderr


def test_refused_as_unsafe_while_another_writer_holds_the_index(
    tmp_path: Path, folder: Path
) -> None:
    idx = tmp_path / "idx"
    assert command("index", str(idx), str(folder)).returncode == 0
    writer = Index.open(idx).writer()
    try:
        done = command("index", str(idx), str(folder))
    finally:
        writer.close()
    assert done.returncode == 4
    assert "another writer" in done.stderr
    other = tmp_path / "other"
    Index.create(other, Schema(TextField("body")))
    done = command("index", str(other), str(folder))
    assert done.returncode == 4
    assert "another schema" in done.stderr
    assert Index.open(other).schema == Schema(TextField("body"))  # untouched


def test_interrupted_is_130(
    tmp_path: Path,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def interrupted(*args: object, **kwargs: object) -> list[object]:
        raise KeyboardInterrupt

    monkeypatch.setattr(app, "index_pdfs", interrupted)
    assert run("index", str(tmp_path / "idx"), str(folder))[0] == 130
    assert "interrupted" in capsys.readouterr().err


def test_help_version_and_shell_completion() -> None:
    done = command("--help")
    assert done.returncode == 0
    assert "Exit status" in done.stdout
    for name in ("index", "query", "stats", "completion"):
        assert name in done.stdout
    assert command("--version").stdout.startswith("bricolage-search, version 0.2")
    done = command("completion", "bash")
    assert done.returncode == 0
    assert "_BRICOLAGE_SEARCH_COMPLETE=bash_complete" in done.stdout
    done = command(
        env={
            "_BRICOLAGE_SEARCH_COMPLETE": "bash_complete",
            "COMP_WORDS": "bricolage-search st",
            "COMP_CWORD": "1",
        }
    )
    assert done.stdout.split() == ["plain,stats"]
    assert command("completion", "tcsh").returncode == 2


def test_without_the_cli_extra_the_error_names_it() -> None:
    code = (
        "import sys; sys.modules['click'] = None\n"
        "from bricolage.search._cli import main\n"
        "sys.exit(main(['stats', '.']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert 'pip install "bricolage-search[cli]"' in done.stderr
    assert "Traceback" not in done.stderr
