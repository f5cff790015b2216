"""Malformed ``.env`` lines are refused with the file, the line and the reason.

Before 0.2 python-dotenv dropped them with a warning naming no file, and an unterminated
quoted value silently left the setting at its default.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from settings_support import AppSettings, write

from bricolage.settings import ConfigFileError


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('BRT_NAME="unterminated\nBRT_DEBUG=1\n', 1, 'opens a " quote that is never closed'),
        ("BRT_DEBUG=1\nBRT_NAME='half\n", 2, "opens a ' quote that is never closed"),
        ('BRT_NAME="closed" trailing\n', 1, "followed by more text"),
        ("BRT_DEBUG=1\n\n# fine\nBRT NAME=x\n", 4, "'BRT NAME' is not a variable name"),
        ("=value\n", 1, "'' is not a variable name"),
        ("BRT_DEBUG=1\nBRT_NAME\n", 2, "'BRT_NAME' has no '='"),
    ],
)
def test_regression_malformed_dotenv_line_names_file_line_and_reason(
    config: Path, text: str, line: int, reason: str
) -> None:
    env_file = write(config / ".env", text)
    with pytest.raises(ConfigFileError) as info:
        AppSettings.load()
    message = str(info.value)
    shown_file, _, rest = message.partition(", ")
    assert Path(shown_file).resolve() == env_file.resolve(), message
    assert rest.startswith(f"line {line}: "), message
    assert reason in message


def test_regression_unterminated_quote_no_longer_falls_back_to_the_default(
    config: Path,
) -> None:
    write(config / ".env", 'BRT_NAME="prod-db\n')
    with pytest.raises(ConfigFileError, match=re.escape(".env, line 1: the value of BRT_NAME")):
        AppSettings.load()
    write(config / ".env", 'BRT_NAME="prod-db"\n')
    assert AppSettings.load().name == "prod-db"


def test_everything_python_dotenv_reads_is_still_read(config: Path) -> None:
    write(
        config / ".env",
        "# a comment\n"
        "\n"
        "export BRT_NAME=exported # trailing comment\n"
        "BRT_DEBUG = true\n"
        "BRT_HOSTS='a, b'\n"
        "BRT_EMPTY=\n",
    )
    settings = AppSettings.load()
    assert settings.name == "exported"
    assert settings.debug is True


def test_a_multi_line_quoted_value_is_fine(config: Path) -> None:
    write(config / ".env", 'BRT_NAME="first\nsecond"\nBRT_DEBUG=1\n')
    assert AppSettings.load().name == "first\nsecond"
