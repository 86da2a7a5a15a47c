"""CI proves the newcomer's path: its first phase runs the README's Quickstart commands verbatim, in a bare venv."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _quickstart_commands() -> list[str]:
    section = README.split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def _ci_phase_one() -> tuple[str, list[str]]:
    before, rest = CI.split("# >>> README Quickstart\n", 1)
    body = rest.split("# <<< README Quickstart\n", 1)[0]
    return before, [line for line in body.splitlines() if line.strip()]


def test_quickstart_has_the_install_and_main_job_then_the_tests():
    commands = _quickstart_commands()
    assert len(commands) == 2
    assert commands[0].startswith("pip install -e \".[test]\"") and "tinygrad-cnn textbook" in commands[0]
    assert commands[1] == "python -m pytest"


def test_ci_phase_one_runs_the_quickstart_verbatim():
    assert _ci_phase_one()[1] == _quickstart_commands()


def test_ci_phase_one_starts_from_a_bare_virtualenv():
    """Nothing is installed before the README's commands: no pip install, no upgrade, no apt."""
    before, _ = _ci_phase_one()
    commands = [line.strip() for line in before.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert any(line.startswith("python3 -m venv") for line in commands)
    assert not [line for line in commands if re.search(r"\bpip\b.*\binstall\b|apt-get", line)]


def test_ci_runs_the_suite_again_after_installing_the_extras():
    after = CI.split("# <<< README Quickstart\n", 1)[1]
    assert "[test,plot,compare,bench" in after and "torch" in after
    assert after.rstrip().splitlines()[-1] == "python -m pytest"


def test_ci_phase_two_installs_every_extra_of_setup_cfg():
    """A new extra in setup.cfg (mnist, graph, notebooks, ...) is installed, so the tests needing it run in CI."""
    import configparser

    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    extras = set(config["options.extras_require"])
    after = CI.split("# <<< README Quickstart\n", 1)[1]
    installed = re.search(r'pip install -e "\.\[([\w,-]+)\]"', after)
    assert installed is not None
    assert set(installed.group(1).split(",")) == extras


def test_every_optional_package_a_test_skips_on_names_its_extra():
    from conftest import OPTIONAL

    skipped_on = set()
    for path in (ROOT / "tests").glob("*.py"):
        for name in re.findall(r"importorskip\(\s*[\"']([\w.]+)[\"']", path.read_text(encoding="utf-8")):
            skipped_on.add(name.split(".")[0])
    skipped_on.discard("tinygrad_cnn")
    assert skipped_on <= set(OPTIONAL), skipped_on - set(OPTIONAL)
