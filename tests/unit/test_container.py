"""The container runs what CI tests: the same Python, commands that exist, files that exist.

No Docker engine runs in CI; hadolint lints the Dockerfile (.ci/run) and this test checks
what a build would only find out later.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
import tomllib
from pathlib import Path

from bot.cli import parser

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = (ROOT / "docker-compose.yml").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def _commands(arguments: str) -> list[list[str]]:
    """The commands of a RUN/CMD/HEALTHCHECK: exec form or shell form split on && and ;."""
    arguments = re.sub(r"^(--\S+\s+)+", "", arguments)  # HEALTHCHECK options
    arguments = arguments.removeprefix("CMD ").strip()
    if arguments.startswith("["):
        return [re.findall(r'"([^"]*)"', arguments)]
    parts = re.split(r"&&|;|\|\|", arguments)
    return [shlex.split(part.split(">")[0]) for part in parts if part.strip()]


def _python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def test_the_image_uses_the_python_ci_tests_on() -> None:
    images = [args for keyword, args in _instructions() if keyword == "FROM"]
    assert len(images) == 2, "a build stage and a run stage"
    versions = {re.match(r"python:(\d+\.\d+)-slim\b", image).group(1) for image in images}  # type: ignore[union-attr]
    tested = _python_version()
    assert versions == {tested}
    assert PYPROJECT["tool"]["mypy"]["python_version"] == tested
    assert PYPROJECT["project"]["requires-python"] == f">={tested}"
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py" + tested.replace(".", "")
    pinned = ROOT / ".python-version"
    if pinned.exists():
        assert pinned.read_text().strip().startswith(tested)


def test_the_run_stage_is_not_root_and_checks_health() -> None:
    instructions = _instructions()
    run_stage = instructions[[k for k, _ in instructions].index("FROM", 1) :]
    users = [args for keyword, args in run_stage if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(keyword == "HEALTHCHECK" for keyword, _ in run_stage)
    assert not any("uv" in args.split() for keyword, args in run_stage if keyword == "RUN")


def test_every_command_the_container_calls_exists() -> None:
    scripts = PYPROJECT["project"]["scripts"]
    subcommands = parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    called = [
        command
        for keyword, args in _instructions()
        if keyword in ("RUN", "CMD", "HEALTHCHECK", "ENTRYPOINT")
        for command in _commands(args)
    ]
    called += [
        shlex.split(line.split(":", 1)[1].strip().strip("[]").replace('"', "").replace(",", " "))
        for line in COMPOSE.splitlines()
        if line.strip().startswith(("command:", "entrypoint:"))
    ]
    checked = 0
    for command in called:
        program = Path(command[0]).name
        if program == "leaders-bot":
            assert scripts["leaders-bot"] == "bot.cli:main"
            options = [word for word in command[1:] if not word.startswith("-")]
            if options:
                assert options[0] in subcommands, command
                subcommands[options[0]].parse_args(command[2:])  # exits on an unknown option
            checked += 1
        elif program.startswith("python") and command[1] == "-m":
            module = command[2]
            assert importlib.util.find_spec(module) is not None, command
            if module == "bot.i18n_tools":
                from bot import i18n_tools

                assert command[3] in ("compile", "sync", "check")
                assert hasattr(i18n_tools, "main")
            checked += 1
    assert checked >= 4  # --help, health, run, i18n_tools compile (and compileall)


def test_every_file_the_image_copies_exists() -> None:
    for keyword, args in _instructions():
        if keyword == "COPY" and "--from=" not in args:
            *sources, _target = args.split()
            for source in sources:
                assert (ROOT / source).exists(), source
    ignored = (ROOT / ".dockerignore").read_text().split()
    for needed in ("bot", "handlers", "models", "locales", "uv.lock", "pyproject.toml"):
        assert needed not in ignored
    assert ".env" in ignored  # the token never goes into an image layer


def test_compose_keeps_data_where_the_image_writes_it() -> None:
    volume = re.search(r'VOLUME \["([^"]+)"\]', DOCKERFILE)
    assert volume is not None
    assert f":{volume.group(1)}" in COMPOSE
    from bot.config import Settings

    fields = {name.upper() for name in Settings.model_fields}
    block = COMPOSE.split("  db:")[0]  # the bot service
    names = re.findall(r"^\s{6}([A-Z_]+):", block, flags=re.MULTILINE)
    assert names and set(names) <= fields | {"WEBHOOK_SECRET_TOKEN"}
