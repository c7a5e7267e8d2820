"""The ``veil`` command line: version, help, exit codes, where the store lives."""

from __future__ import annotations

import subprocess
import sys

import pytest

from desktop import __version__, paths
from desktop.main import build_parser, main


def test_version_is_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"veil {__version__}"


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for command in ("import", "demo", "verify"):
        assert command in text


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["frobnicate"])
    assert exit_.value.code == 2


def test_store_path_order(monkeypatch, tmp_path):
    monkeypatch.setenv("VEIL_HOME", str(tmp_path / "home"))
    assert paths.store_path() == tmp_path / "home" / "veil.db"
    assert paths.store_path(str(tmp_path / "x.db")) == (tmp_path / "x.db").resolve()
    monkeypatch.delenv("VEIL_HOME")
    assert paths.store_path().name == "veil.db" and "Veil" in str(paths.store_path())


def test_console_script_runs_without_qt_for_subcommands(tmp_path):
    """CLI tools must work on a server: no subcommand but the PDF report may import Qt."""
    store = str(tmp_path / "x.db")
    out = str(tmp_path / "a.csv")
    code = (
        "import sys; from desktop import wiring; from desktop.main import main; "
        f"s = wiring.open_store({store!r}); s.add_user('lee', ['lead']); s.close(); "
        f"assert main(['verify', '--store', {store!r}]) == 0; "
        f"assert main(['--user', 'lee', 'metrics', '--store', {store!r}]) == 0; "
        f"assert main(['--user', 'lee', 'sample', '--store', {store!r}]) == 0; "
        f"assert main(['--user', 'lee', 'export', 'audits', '--out', {out!r}, '--store', {store!r}, '--pseudonymise'])"
        " == 0; "
        "assert not any(m.startswith(('PySide6', 'shiboken6')) for m in sys.modules), 'Qt imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_subcommand_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, subparser in sub.choices.items():
        assert subparser.format_help().strip(), name


@pytest.mark.parametrize("command", [["verify"], ["metrics", "--user", "lee"], ["users", "list", "--user", "lee"]])
def test_a_server_that_cannot_be_reached_is_said_as_such_not_as_a_foreign_store(command, capsys):
    """Regression: the reason went to the log and the person read only "… is not a Veil store"."""
    with pytest.raises(SystemExit) as stopped:
        main([*command, "--store", "postgresql://veil:s3cret@127.0.0.1:1/site"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "cannot open the store at postgresql://veil@127.0.0.1:1/site" in err
    assert "not a Veil store" not in err and "s3cret" not in err
