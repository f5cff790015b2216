"""Sources and their precedence, nesting, lists and profiles."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, Field
from settings_support import AppSettings, write

from bricolage.settings import (
    ConfigFileError,
    ProfileError,
    Settings,
    SettingsConfigDict,
    SettingsValidationError,
)

LAYERS = ["base", "profile", "secret", "dotenv", "environment", "argument"]


def _set_name_in(layer: str, config: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Make ``layer`` supply ``name`` (value = the layer's name); return init arguments."""
    if layer == "base":
        write(config / "settings.toml", 'name = "base"\n')
    elif layer == "profile":
        write(config / "settings.dev.toml", 'name = "profile"\n')
    elif layer == "secret":
        write(config / "secrets" / "name", "secret\n")
    elif layer == "dotenv":
        write(config / ".env", "BRT_NAME=dotenv\n")
    elif layer == "environment":
        monkeypatch.setenv("BRT_NAME", "environment")
    else:
        return {"name": "argument"}
    return {}


@pytest.mark.parametrize("mask", range(1, 2 ** len(LAYERS)))
def test_the_highest_layer_that_sets_a_value_wins(
    mask: int, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    present = [layer for i, layer in enumerate(LAYERS) if mask >> i & 1]
    arguments: dict[str, str] = {}
    for layer in present:
        arguments |= _set_name_in(layer, config, monkeypatch)
    settings = AppSettings.load(**arguments)
    winner = present[-1]
    assert settings.name == winner
    assert settings.explain()["name"].kind == {"base": "file", "profile": "file"}.get(
        winner, winner
    )


def test_defaults_apply_when_nothing_is_set(config: Path) -> None:
    settings = AppSettings.load()
    assert settings.name == "app"
    assert settings.database.port == 5432
    assert {row.kind for row in settings.explain()} == {"default"}


def test_nested_values_merge_key_by_key_across_layers(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config / "settings.toml", '[database]\nhost = "base-host"\nport = 1\n')
    write(config / "settings.dev.toml", "[database]\nport = 2\n")
    monkeypatch.setenv("BRT_DATABASE__PORT", "3")
    settings = AppSettings.load()
    assert settings.database.host == "base-host"
    assert settings.database.port == 3
    explanation = settings.explain()
    assert explanation["database.host"].source == (
        f"file {Path('settings.toml')}, key database.host"
    )
    assert explanation["database.port"].source == "environment variable BRT_DATABASE__PORT"
    assert explanation["database.password"].source == "default"


def test_environment_json_object_for_a_nested_model_is_attributed_to_its_variable(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRT_DATABASE", '{"host": "json-host"}')
    settings = AppSettings.load()
    assert settings.database.host == "json-host"
    assert settings.explain()["database.host"].source == "environment variable BRT_DATABASE"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.com,b.com", ["a.com", "b.com"]),
        (" a.com , b.com ", ["a.com", "b.com"]),
        ('["a.com", "b,c"]', ["a.com", "b,c"]),
        ("single", ["single"]),
        ("", []),
        ("[]", []),
    ],
)
def test_lists_are_json_or_comma_separated_in_every_text_source(
    text: str, expected: list[str], config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRT_HOSTS", text)
    assert AppSettings.load().hosts == expected
    monkeypatch.delenv("BRT_HOSTS")
    write(config / ".env", f"BRT_HOSTS='{text}'\n")
    assert AppSettings.load().hosts == expected
    (config / ".env").unlink()
    write(config / "secrets" / "hosts", text)
    assert AppSettings.load().hosts == expected


def test_integer_lists_and_nested_list_variables(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRT_PORTS", "80, 443")
    assert AppSettings.load().ports == [80, 443]
    monkeypatch.setenv("BRT_PORTS", "8080")
    assert AppSettings.load().ports == [8080]


def test_dict_fields_take_json_or_nested_variables(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRT_LABELS", '{"team": "core"}')
    monkeypatch.setenv("BRT_LABELS__tier", "gold")
    settings = AppSettings.load()
    assert settings.labels == {"team": "core", "tier": "gold"}
    row = settings.explain()["labels"]
    assert row.kind == "environment"
    assert "BRT_LABELS__tier" in row.source


def test_a_dict_field_filled_by_several_sources_lists_them(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config / "settings.toml", '[labels]\nteam = "core"\n')
    monkeypatch.setenv("BRT_LABELS__tier", "gold")
    row = AppSettings.load().explain()["labels"]
    assert row.kind == "mixed"
    assert "key labels.team" in row.source
    assert "environment variable BRT_LABELS__tier" in row.source


def test_variables_are_case_insensitive_and_keep_their_spelling_in_explain(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("brt_Debug", "1")
    settings = AppSettings.load()
    assert settings.debug is True
    assert settings.explain()["debug"].source == "environment variable brt_Debug"


def test_case_sensitive_settings_ignore_other_spellings(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Strict(Settings):
        model_config = SettingsConfigDict(env_prefix="BRT_", case_sensitive=True)
        debug: bool = False

    monkeypatch.setenv("BRT_debug", "1")
    assert Strict.load().debug is True
    monkeypatch.delenv("BRT_debug")
    monkeypatch.setenv("BRT_DEBUG", "1")
    assert Strict.load().debug is False


def test_dotenv_ignores_unrelated_variables_but_refuses_unknown_prefixed_ones(
    config: Path,
) -> None:
    write(config / ".env", "OTHER_TOOL=1\nBRT_DEBUG=true\nBRT_PROFILE=dev\n")
    assert AppSettings.load().debug is True
    write(config / ".env", "BRT_DEBGU=true\n")
    with pytest.raises(SettingsValidationError) as info:
        AppSettings.load()
    (problem,) = info.value.problems
    assert problem.field == "brt_debgu"
    assert problem.source == "env file .env, variable BRT_DEBGU"
    assert "no such setting" in problem.expected


def test_unknown_keys_in_toml_are_refused_with_file_and_key(config: Path) -> None:
    write(config / "settings.toml", '[database]\nhots = "x"\n')
    with pytest.raises(SettingsValidationError) as info:
        AppSettings.load()
    (problem,) = info.value.problems
    assert problem.field == "database.hots"
    assert problem.source == "file settings.toml, key database.hots"
    assert problem.value == "(hidden: unknown key)"


def test_config_dir_from_the_class_and_from_the_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "conf" / "settings.toml", 'name = "from-class"\n')
    write(tmp_path / "other" / "settings.toml", 'name = "from-argument"\n')
    write(tmp_path / "conf" / ".env", "BRT_DEBUG=1\n")

    class Located(Settings):
        model_config = SettingsConfigDict(env_prefix="BRT_", config_dir="conf")
        name: str = "default"
        debug: bool = False

    assert Located.load().name == "from-class"
    assert Located.load().debug is True
    assert Located.load(config_dir=tmp_path / "other").name == "from-argument"


def test_absolute_env_file_and_secrets_dir(tmp_path: Path) -> None:
    env_file = write(tmp_path / "elsewhere" / "app.env", "BRT_NAME=absolute\n")
    write(tmp_path / "vault" / "token", "t0ken\n")

    class Absolute(Settings):
        model_config = SettingsConfigDict(
            env_prefix="BRT_", env_file=str(env_file), secrets_dir=str(tmp_path / "vault")
        )
        name: str = "default"
        token: str = ""

    settings = Absolute.load(config_dir=tmp_path / "nowhere")
    assert (settings.name, settings.token) == ("absolute", "t0ken")


def test_no_env_file_when_disabled(config: Path) -> None:
    class NoDotenv(Settings):
        model_config = SettingsConfigDict(env_prefix="BRT_", env_file=None)
        name: str = "default"

    write(config / ".env", "BRT_NAME=dotenv\n")
    assert NoDotenv.load().name == "default"


# ----------------------------------------------------------------------------- profiles


def test_profile_defaults_to_dev(config: Path) -> None:
    write(config / "settings.dev.toml", 'name = "dev"\n')
    write(config / "settings.prod.toml", 'name = "prod"\n')
    explanation = AppSettings.load().explain()
    assert (explanation.profile, explanation.profile_source) == ("dev", "default")
    assert explanation["name"].value == "'dev'"


def test_profile_from_the_environment_and_from_the_argument(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config / "settings.prod.toml", 'name = "prod"\n')
    write(config / "settings.test.toml", 'name = "test"\n')
    monkeypatch.setenv("BRT_PROFILE", "prod")
    settings = AppSettings.load()
    assert settings.name == "prod"
    assert settings.explain().profile_source == "environment variable BRT_PROFILE"
    by_argument = AppSettings.load(profile="test")
    assert by_argument.name == "test"
    assert by_argument.explain().profile_source == "argument"


def test_profile_variable_without_prefix_and_configured(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Bare(Settings):
        name: str = "default"

    class Named(Settings):
        model_config = SettingsConfigDict(profile_env="OTHER_ENV", default_profile="local")
        name: str = "default"

    write(config / "settings.stage.toml", 'name = "stage"\n')
    write(config / "settings.local.toml", 'name = "local"\n')
    monkeypatch.setenv("SETTINGS_PROFILE", "stage")
    assert Bare.load().name == "stage"
    assert Named.load().name == "local"
    monkeypatch.setenv("OTHER_ENV", "stage")
    assert Named.load().name == "stage"


@pytest.mark.parametrize("name", ["../etc", "a/b", ".hidden", "", "x..y", "a b"])
def test_unsafe_profile_names_are_refused(name: str, config: Path) -> None:
    with pytest.raises(ProfileError, match="not a safe file name"):
        AppSettings.load(profile=name)


def test_an_unknown_profile_is_refused_when_profiles_exist(config: Path) -> None:
    write(config / "settings.prod.toml", "")
    write(config / "settings.stage.toml", "")
    with pytest.raises(ProfileError) as info:
        AppSettings.load(profile="prdo")
    assert "unknown profile 'prdo'" in str(info.value)
    assert "available profiles: prod, stage" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_an_unknown_profile_is_fine_when_no_profile_file_exists(config: Path) -> None:
    assert AppSettings.load(profile="prod").explain().profile == "prod"


# ----------------------------------------------------------------------------- broken files


def test_a_toml_syntax_error_names_file_and_line(config: Path) -> None:
    write(config / "settings.toml", 'name = "ok"\ndebug = \n')
    with pytest.raises(ConfigFileError, match=r"settings\.toml: invalid TOML: .*line 2"):
        AppSettings.load()


def test_bad_utf8_and_directories_are_config_file_errors(config: Path) -> None:
    (config / "settings.toml").write_bytes(b'name = "\xff"\n')
    with pytest.raises(ConfigFileError, match="not valid UTF-8"):
        AppSettings.load()
    (config / "settings.toml").unlink()
    (config / "settings.toml").mkdir()
    with pytest.raises(ConfigFileError, match="is a directory"):
        AppSettings.load()


def test_an_unreadable_dotenv_is_a_config_file_error(config: Path) -> None:
    (config / ".env").write_bytes(b"BRT_NAME=\xff\n")
    with pytest.raises(ConfigFileError, match="cannot be read"):
        AppSettings.load()


def test_unreadable_files_are_config_file_errors(config: Path) -> None:
    loop = config / "settings.toml"
    loop.symlink_to(loop)  # reading it fails with "too many levels of symbolic links"
    with pytest.raises(ConfigFileError, match="cannot be read"):
        AppSettings.load()


def test_undecodable_text_for_a_union_is_reported_not_raised(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Union(Settings):
        model_config = SettingsConfigDict(env_prefix="BRT_")
        union: list[int] | dict[str, int] = Field(default_factory=list)
        model: dict[str, int] = Field(default_factory=dict)

    monkeypatch.setenv("BRT_UNION", "{not json")
    monkeypatch.setenv("BRT_MODEL", "{not json either")
    with pytest.raises(SettingsValidationError) as info:
        Union.load()
    fields = {p.field for p in info.value.problems}
    assert fields == {"union", "model"}
    assert all(p.source.startswith("environment variable BRT_") for p in info.value.problems)


def test_aliases_are_read_and_explained_by_field_name(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    class Aliased(Settings):
        model_config = SettingsConfigDict(env_prefix="BRT_")
        url: str = Field("default", validation_alias="OTHER_URL")

    monkeypatch.setenv("OTHER_URL", "https://example.invalid")
    settings = Aliased.load()
    assert settings.url == "https://example.invalid"
    assert settings.explain()["url"].source == "environment variable OTHER_URL"


def test_settings_are_frozen_values(config: Path) -> None:
    from pydantic import ValidationError

    settings = AppSettings.load()
    with pytest.raises(ValidationError):
        settings.name = "changed"
    assert AppSettings.load() == settings


def test_nested_model_defaults_are_explained_per_field(config: Path) -> None:
    class Inner(BaseModel):
        level: int = 1

    class Outer(Settings):
        model_config = SettingsConfigDict(env_prefix="BRT_")
        inner: Inner = Inner()

    assert [row.field for row in Outer.load().explain()] == ["inner.level"]


def test_several_env_files_later_ones_win(tmp_path: Path) -> None:
    write(tmp_path / "base.env", "BRT_NAME=base\nBRT_DEBUG=1\n")
    write(tmp_path / "local.env", "BRT_NAME=local\n")

    class Files(Settings):
        model_config = SettingsConfigDict(env_prefix="BRT_", env_file=["base.env", "local.env"])
        name: str = "default"
        debug: bool = False

    settings = Files.load(config_dir=tmp_path)
    assert (settings.name, settings.debug) == ("local", True)
    assert (
        settings.explain()["name"].source
        == f"env file {tmp_path / 'local.env'}, variable BRT_NAME"
    )


def test_no_decode_fields_get_the_raw_text(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typing import Annotated

    from pydantic import field_validator
    from pydantic_settings import NoDecode

    class Raw(Settings):
        model_config = SettingsConfigDict(env_prefix="BRT_")
        items: Annotated[list[int], NoDecode] = Field(default_factory=list)

        @field_validator("items", mode="before")
        @classmethod
        def split_on_semicolons(cls, value: object) -> object:
            return value.split(";") if isinstance(value, str) else value

    monkeypatch.setenv("BRT_ITEMS", "1;2;3")
    assert Raw.load().items == [1, 2, 3]


def test_secret_files_nested_prefixed_and_ignored(config: Path) -> None:
    write(config / "secrets" / "BRT_API_TOKEN", "prefixed\n")  # pydantic-settings' naming
    write(config / "secrets" / "labels__team", "core")  # a key of a dict field
    write(config / "secrets" / "database__hosts", "x")  # no such nested field: ignored
    write(config / "secrets" / "database__port", "[not json")  # reported, not raised
    (config / "secrets" / "..data").mkdir()  # Kubernetes' bookkeeping: ignored
    write(config / "secrets" / "ports", "1, 2")
    with pytest.raises(SettingsValidationError) as info:
        AppSettings.load()
    (problem,) = info.value.problems
    assert problem.field == "database.port"
    assert problem.source == f"secret file {Path('secrets') / 'database__port'}"
    (config / "secrets" / "database__port").unlink()
    settings = AppSettings.load()
    assert settings.api_token.get_secret_value() == "prefixed"
    assert settings.labels == {"team": "core"}
    assert settings.ports == [1, 2]


def test_an_unreadable_secret_file_is_a_config_file_error(config: Path) -> None:
    (config / "secrets").mkdir()
    (config / "secrets" / "api_token").write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigFileError, match="secret file cannot be read"):
        AppSettings.load()


def test_values_that_are_not_json_are_shown_as_text_in_json_output(tmp_path: Path) -> None:
    class WithPath(Settings):
        model_config = SettingsConfigDict(env_prefix="BRT_")
        root: Path = Path("/srv")

    row = WithPath.load(config_dir=tmp_path).explain()["root"]
    assert row.as_dict()["value"] == "/srv"


def test_calling_the_class_is_the_same_as_load(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "other" / "settings.prod.toml", 'name = "prod"\n')
    monkeypatch.setenv("BRT_DEBUG", "1")
    called = AppSettings(_profile="prod", _config_dir=tmp_path / "other", ports=[1])  # type: ignore[call-arg]
    loaded = AppSettings.load(profile="prod", config_dir=tmp_path / "other", ports=[1])
    assert called == loaded
    assert called.explain() == loaded.explain()
    assert (called.name, called.debug, called.ports) == ("prod", True, [1])
    # pydantic's model_validate goes through the same loading.
    assert AppSettings.model_validate({"ports": [1]}).debug is True
