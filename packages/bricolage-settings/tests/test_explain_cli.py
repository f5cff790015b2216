"""``explain()`` output and ``python -m bricolage.settings explain``."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from settings_support import AppSettings, write

from bricolage.settings import Explanation, FieldExplanation
from bricolage.settings._cli import main

APP_MODULE = """
from pydantic import BaseModel, SecretStr
from bricolage.settings import Settings, SettingsConfigDict

class Database(BaseModel):
    host: str = "localhost"
    port: int = 5432

class AppSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="BRT_", secrets_dir="secrets")
    debug: bool = False
    database: Database = Database()
    api_token: SecretStr

class NotSettings:
    pass
"""


@pytest.fixture
def project(config: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("cliapp", "brokenapp", "loadsatimport"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    write(config / "cliapp.py", APP_MODULE)
    write(config / "brokenapp.py", "raise RuntimeError('boom')\n")
    write(
        config / "loadsatimport.py",
        "from bricolage.settings import Settings\n"
        "class Needs(Settings):\n"
        "    port: int\n"
        "SETTINGS = Needs.load(port='x')\n",
    )
    write(config / "settings.toml", '[database]\nhost = "db.internal"\n')
    write(config / "secrets" / "api_token", "hunter2\n")
    return config


def test_explain_lists_every_field_with_its_source(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config / "settings.toml", 'name = "from-file"\n')
    monkeypatch.setenv("BRT_DEBUG", "true")
    explanation = AppSettings.load(ports=[1]).explain()
    assert isinstance(explanation, Explanation)
    assert [row.field for row in explanation] == [
        "debug",
        "name",
        "database.host",
        "database.port",
        "database.password",
        "hosts",
        "ports",
        "labels",
        "api_token",
    ]
    assert len(explanation) == 9
    assert explanation["debug"] == FieldExplanation(
        "debug", "True", "environment variable BRT_DEBUG", "environment", False, True
    )
    assert explanation["ports"].source == "argument ports"
    assert explanation["name"].source == "file settings.toml, key name"
    with pytest.raises(KeyError):
        explanation["nope"]
    lines = str(explanation).splitlines()
    assert lines[0] == "AppSettings, profile 'dev' (default)"
    assert lines[1] == "files read: settings.toml"
    assert lines[2].split() == ["field", "value", "source"]
    assert lines[4].split(maxsplit=2) == ["debug", "True", "environment variable BRT_DEBUG"]
    data = explanation.as_dict()
    assert data["profile"] == "dev"
    assert {"path": "settings.toml", "exists": True} in data["files"]  # type: ignore[operator]
    json.dumps(data)


def test_long_values_are_shortened_in_the_table_only(config: Path) -> None:
    long = "x" * 100
    explanation = AppSettings.load(name=long).explain()
    assert explanation["name"].value == repr(long)
    assert "..." in str(explanation)
    assert long not in str(explanation)


def test_explain_after_model_copy_reports_updated_fields_as_arguments(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRT_DEBUG", "1")
    copy = AppSettings.load().model_copy(update={"name": "copied"})
    assert copy.explain()["name"].source == "argument name"
    assert copy.explain()["debug"].source == "environment variable BRT_DEBUG"
    plain = AppSettings.load().model_copy()
    assert plain.explain()["debug"].source == "environment variable BRT_DEBUG"


def test_explain_on_a_constructed_object_knows_only_values(config: Path) -> None:
    built = AppSettings.model_construct(name="constructed")
    assert built.explain()["name"].value == "'constructed'"
    assert built.explain()["name"].source == "default"


def test_the_command_prints_the_table(project: Path) -> None:
    out = io.StringIO()
    assert main(["explain", "cliapp:AppSettings"], stdout=out) == 0
    text = out.getvalue()
    assert re.search(
        r"database\.host +'db\.internal' +file settings\.toml, key database\.host", text
    )
    assert re.search(r"api_token +'\*{10}' +secret file secrets/api_token", text)
    assert "hunter2" not in text
    assert "\x1b" not in text  # not a terminal: no colour or control characters
    assert text.splitlines()[0] == "AppSettings, profile 'dev' (default)"


def test_the_command_prints_json_with_profile_and_config_dir(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project / "settings.prod.toml", "debug = true\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(project))
    out = io.StringIO()
    code = main(
        [
            "explain",
            "cliapp:AppSettings",
            "--json",
            "--profile",
            "prod",
            "--config-dir",
            str(project),
        ],
        stdout=out,
    )
    assert code == 0
    data = json.loads(out.getvalue())
    assert data["profile"] == "prod"
    rows = {row["field"]: row for row in data["fields"]}
    assert rows["debug"]["value"] is True
    assert rows["debug"]["source"] == f"file {project / 'settings.prod.toml'}, key debug"
    assert rows["api_token"]["value"] == "**********"


@pytest.mark.parametrize(
    ("target", "code", "message"),
    [
        ("nocolon", 2, "expected module:Class"),
        ("missing_module_xyz:Settings", 3, "cannot import module 'missing_module_xyz'"),
        ("brokenapp:Settings", 1, "cannot import module 'brokenapp': RuntimeError: boom"),
        ("loadsatimport:Settings", 1, "source:   argument port"),
        ("cliapp:Nope", 3, "has no attribute 'Nope'"),
        ("cliapp:NotSettings", 2, "is not a bricolage.settings.Settings subclass"),
    ],
)
def test_bad_targets_exit_with_the_shared_codes_and_a_message(
    project: Path, target: str, code: int, message: str
) -> None:
    err = io.StringIO()
    assert main(["explain", target], stderr=err) == code
    assert message in err.getvalue()
    assert err.getvalue().startswith("error: ")


def test_invalid_settings_exit_1_with_the_report_and_no_traceback(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "secrets" / "api_token").unlink()
    monkeypatch.setenv("BRT_DATABASE__PORT", "eighty")
    monkeypatch.setenv("BRT_DEBUG", "hunter2")
    result = subprocess.run(
        [sys.executable, "-m", "bricolage.settings", "explain", "cliapp:AppSettings"],
        capture_output=True,
        text=True,
        cwd=project,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: AppSettings (profile 'dev'): 3 invalid settings")
    assert "source:   environment variable BRT_DATABASE__PORT" in result.stderr
    assert "api_token\n  value:    (missing)" in result.stderr


def test_a_bad_profile_is_not_found_and_a_broken_file_fails(project: Path) -> None:
    write(project / "settings.prod.toml", "")
    err = io.StringIO()
    assert main(["explain", "cliapp:AppSettings", "--profile", "prdo"], stderr=err) == 3
    assert "unknown profile 'prdo'" in err.getvalue()
    err = io.StringIO()
    assert main(["explain", "cliapp:AppSettings", "--profile", "../x"], stderr=err) == 2
    assert "not a safe file name" in err.getvalue()
    write(project / "settings.toml", "[database\n")
    err = io.StringIO()
    assert main(["explain", "cliapp:AppSettings"], stderr=err) == 1
    assert "settings.toml: invalid TOML" in err.getvalue()


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    err = io.StringIO()
    assert main([], stderr=err) == 2
    assert main(["explain"], stderr=err) == 2
    assert "Missing argument 'MODULE:CLASS'" in err.getvalue()
    assert main(["explian", "x:y"], stderr=err) == 2
    assert "No such command 'explian'" in err.getvalue()


def test_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--help"]) == 0
    text = capsys.readouterr().out
    assert "Exit codes: 0 ok, 1 the settings failed to load, 2 usage" in text
    assert "--config-dir" in text


def test_the_console_script_is_declared() -> None:
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="bricolage-settings")
    assert script.value == "bricolage.settings._cli:main"


def test_without_click_the_command_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "click", None)
    monkeypatch.delitem(sys.modules, "bricolage.settings._commands", raising=False)
    err = io.StringIO()
    assert main(["explain", "cliapp:AppSettings"], stderr=err) == 1
    assert 'pip install "bricolage-settings[cli]"' in err.getvalue()


def test_an_interrupt_exits_130(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bricolage.settings import _commands

    def interrupted(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(_commands, "import_target", interrupted)
    err = io.StringIO()
    assert main(["explain", "cliapp:AppSettings"], stderr=err) == 130
    assert "interrupted" in err.getvalue()


def test_the_module_entry_point_runs_main(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    monkeypatch.setattr(sys, "argv", ["bricolage.settings", "explain", "cliapp:AppSettings"])
    monkeypatch.delitem(sys.modules, "bricolage.settings.__main__")
    with pytest.raises(SystemExit) as info:
        runpy.run_module("bricolage.settings", run_name="__main__", alter_sys=True)
    assert info.value.code == 0


def test_a_closed_output_pipe_ends_quietly(project: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bricolage.settings", "explain", "cliapp:AppSettings"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=project,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()  # like `| head -0`: nobody reads the table
    error = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=60) in (0, 1)
    assert "Traceback" not in error


def _run_on_a_terminal(project: Path, env: dict[str, str]) -> str:
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "bricolage.settings", "explain", "cliapp:AppSettings"],
            stdout=follower,
            stderr=subprocess.PIPE,
            cwd=project,
            env={**os.environ, "TERM": "xterm-256color", **env},
            timeout=60,
            check=True,
        )
        assert process.returncode == 0
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode()
    finally:
        os.close(leader)


def test_colour_on_a_terminal_and_none_with_no_color(project: Path) -> None:
    coloured = _run_on_a_terminal(project, {})
    assert "\x1b[" in coloured
    assert "database.host" in coloured
    plain = _run_on_a_terminal(project, {"NO_COLOR": "1"})
    assert "database.host" in plain
    assert "\x1b[3" not in plain  # no foreground colours


def test_shell_completion_offers_the_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("_BRICOLAGE_SETTINGS_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", "bricolage-settings ex")
    monkeypatch.setenv("COMP_CWORD", "1")
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 0
    assert "explain" in capsys.readouterr().out
