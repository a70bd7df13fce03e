"""The option table is the one source of the options and their defaults."""

import argparse

import pytest

from claude_session_tokens.suite.options import OPTIONS, Settings


def test_settings_defaults_are_the_option_defaults():
    parser = argparse.ArgumentParser()
    for option in OPTIONS:
        parser.add_argument(option.flag, **option.kwargs())
    parsed = vars(parser.parse_args([]))
    defaults = Settings()
    for option in OPTIONS:
        value = parsed[option.dest]
        expected = tuple(value) if isinstance(value, list) else value
        assert getattr(defaults, option.dest) == expected, option.flag


def test_settings_from_values_takes_every_option(tmp_path):
    given = {o.dest: None for o in OPTIONS} | {"include": ["a.json"], "prompt_timeout": 3.0}
    settings = Settings.from_values(given.__getitem__, tmp_path)
    assert settings.include == ("a.json",) and settings.prompt_timeout == 3.0
    assert settings.project_root == tmp_path


def test_every_setting_is_an_option():
    from dataclasses import fields

    assert {f.name for f in fields(Settings)} - {"project_root"} == {o.dest for o in OPTIONS}


@pytest.mark.parametrize("text", ["0", "-1"])
def test_time_limits_must_be_positive(text):
    parse = next(o for o in OPTIONS if o.flag == "--prompt-timeout").type
    with pytest.raises(ValueError):
        parse(text)
