"""One report for every bad field; secrets never leak anywhere."""

from __future__ import annotations

import logging
import pickle
import string
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, Secret, SecretStr
from settings_support import AppSettings, write

from bricolage.settings import Settings, SettingsConfigDict, SettingsValidationError
from bricolage.settings.testing import from_values


def test_every_bad_field_is_reported_at_once_with_value_source_and_expectation(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config / "settings.toml", '[database]\nport = "eighty"\n')
    write(config / ".env", "BRT_DEBUG=maybe\n")
    monkeypatch.setenv("BRT_PORTS", "80,https")
    with pytest.raises(SettingsValidationError) as info:
        AppSettings.load(name=["not", "a", "string"])
    error = info.value
    assert isinstance(error, ValueError)
    by_field = {p.field: p for p in error.problems}
    assert set(by_field) == {"database.port", "debug", "ports.1", "name"}
    port = by_field["database.port"]
    assert port.value == "'eighty'"
    assert port.source == "file settings.toml, key database.port"
    assert port.expected.startswith("int: Input should be a valid integer")
    assert by_field["debug"].source == "env file .env, variable BRT_DEBUG"
    assert by_field["debug"].value == "'maybe'"
    assert by_field["ports.1"].source == "environment variable BRT_PORTS"
    assert by_field["ports.1"].value == "'https'"
    assert by_field["ports.1"].expected.startswith("list[int]: ")
    assert by_field["name"].source == "argument name"
    text = str(error)
    assert text.startswith("AppSettings (profile 'dev'): 4 invalid settings\n")
    assert "  source:   file settings.toml, key database.port" in text


def test_a_missing_required_field_says_where_it_can_be_set(config: Path) -> None:
    class Required(Settings):
        model_config = SettingsConfigDict(env_prefix="BRT_", secrets_dir="/run/secrets")
        api_token: SecretStr

    with pytest.raises(SettingsValidationError) as info:
        Required.load()
    (problem,) = info.value.problems
    assert problem.value == "(missing)"
    assert "environment variable BRT_API_TOKEN" in problem.source
    assert "key api_token in settings.toml" in problem.source
    assert "file api_token in /run/secrets" in problem.source
    assert problem.expected == "SecretStr: Field required"
    assert str(info.value).startswith("Required (profile 'dev'): 1 invalid setting\n")


def test_the_report_carries_no_pydantic_context(config: Path) -> None:
    with pytest.raises(SettingsValidationError) as info:
        AppSettings.load(debug="maybe")
    assert info.value.__context__ is None
    assert info.value.__cause__ is None


class Vault(BaseModel):
    key: Secret[int] = Secret[int](0)


class SecretSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="BRT_", secrets_dir="secrets")
    token: SecretStr = SecretStr("")
    pin: Secret[int] = Secret[int](0)
    vault: Vault = Vault()
    names: list[str] = Field(default_factory=list)


SECRET_TEXT = st.text(alphabet=string.ascii_letters + string.digits, min_size=8, max_size=24).map(
    lambda text: "s" + text  # never a number, so it is a bad value for Secret[int]
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=SECRET_TEXT)
def test_a_secret_never_appears_in_repr_str_explain_pickle_or_errors(
    secret: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path / "secrets" / "token", secret)
    loaded = SecretSettings.load(config_dir=tmp_path)
    assert loaded.token.get_secret_value() == secret
    explanation = loaded.explain()
    shown = [repr(loaded), str(loaded), str(explanation), repr(explanation)]
    shown.append(str(explanation.as_dict()))
    assert all(secret not in text for text in shown)
    # A plain field read from the secrets directory is masked by explain() too.
    write(tmp_path / "secrets" / "names", secret)
    explanation = SecretSettings.load(config_dir=tmp_path).explain()
    assert explanation["names"].secret
    assert secret not in str(explanation)
    (tmp_path / "secrets" / "names").unlink()
    # Bad values of secret fields: the report masks them, whatever the source.
    with caplog.at_level(logging.DEBUG), pytest.raises(SettingsValidationError) as info:
        SecretSettings.load(pin=secret, vault={"key": secret}, config_dir=tmp_path)
    report = "".join(traceback.format_exception(info.value))
    assert secret not in report
    assert secret not in repr(info.value.problems)
    assert secret not in caplog.text
    assert {p.field for p in info.value.problems} == {"pin", "vault.key"}
    assert all(p.value == "'**********'" for p in info.value.problems)
    assert secret not in str(pickle.dumps(info.value))


def test_an_unknown_key_never_shows_its_value(config: Path) -> None:
    write(config / "secrets" / "ignored_file", "not a setting")  # ignored: no such field
    write(config / ".env", "BRT_API_TOKN=s3cr3t-value\n")
    with pytest.raises(SettingsValidationError) as info:
        AppSettings.load()
    assert "s3cr3t-value" not in str(info.value)
    (problem,) = info.value.problems
    assert problem.value == "(hidden: unknown key)"


def test_unknown_nested_keys_are_refused_from_every_source(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config / "settings.toml", '[database]\nhots = "x"\n')
    monkeypatch.setenv("BRT_DATABASE__PROT", "1")
    with pytest.raises(SettingsValidationError) as info:
        AppSettings.load(database={"passwrd": "x"})
    by_field = {p.field: p.source for p in info.value.problems}
    assert by_field == {
        "database.hots": "file settings.toml, key database.hots",
        "database.prot": "environment variable BRT_DATABASE__PROT",
        "database.passwrd": "argument database.passwrd",
    }


def test_unknown_nested_keys_pass_when_the_model_allows_extra(config: Path) -> None:
    class Open(BaseModel, extra="allow"):
        known: int = 1

    class Opened(Settings):
        model_config = SettingsConfigDict(env_prefix="BRT_")
        open: Open = Open()

    write(config / "settings.toml", "[open]\nunknown = 2\n")
    assert Opened.load().open.model_extra == {"unknown": 2}


def test_secret_fields_from_the_environment_are_masked_in_explain(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRT_DATABASE__PASSWORD", "pa55word")
    explanation = AppSettings.load().explain()
    row = explanation["database.password"]
    assert (row.value, row.secret) == ("'**********'", True)
    assert row.source == "environment variable BRT_DATABASE__PASSWORD"
    assert row.as_dict()["value"] == "**********"
    assert "pa55word" not in str(explanation)


def test_a_whole_secret_model_is_one_masked_row() -> None:
    class Credentials(BaseModel):
        user: str = "u"

    class Wrapped(Settings):
        credentials: Secret[Credentials] = Secret[Credentials](Credentials())

    rows = list(from_values(Wrapped).explain())
    assert [(r.field, r.value) for r in rows] == [("credentials", "'**********'")]


def test_fields_hidden_from_repr_are_masked_in_explain_and_errors(config: Path) -> None:
    class Hidden(Settings):
        model_config = SettingsConfigDict(env_prefix="BRT_")
        webhook: str = Field("https://hooks.example/abc", repr=False)
        retries: int = Field(3, repr=False)

    settings = Hidden.load()
    assert "hooks.example" not in repr(settings)
    assert settings.explain()["webhook"].value == "'**********'"
    with pytest.raises(SettingsValidationError) as info:
        Hidden.load(retries="many-hidden")
    assert "many-hidden" not in str(info.value)
