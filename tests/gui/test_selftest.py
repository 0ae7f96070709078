"""`ccrgui --self-test` and `--version`: what the MSI tests run on the installed copy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ccrgui import selftest
from ccrgui.app import parse_args
from ccrgui.domain.model import NodeState
from ccrgui.gui.tree import ClusterEntry, ClusterTreeModel, ConnState
from ccrgui.selftest import Expected, check_event_decoder, check_resources, check_tree
from tests.gui.fakes import make_snapshot

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = Expected("EXCLUS1", ("EXNODE1", "EXNODE2"), "EXCH1")


def _model(**snapshot: object) -> ClusterTreeModel:
    model = ClusterTreeModel()
    snap = make_snapshot(**snapshot)  # type: ignore[arg-type]
    model.update_cluster(ClusterEntry("exclus1:5986", "EXCLUS1", ConnState.CONNECTED, snap))
    return model


def test_tree_check_passes_on_the_cluster_as_expected() -> None:
    assert check_tree(_model(), EXPECTED) == []


def test_tree_check_names_what_is_missing() -> None:
    assert check_tree(_model(), Expected("EXCLUS1", ("EXNODE1", "EXNODE3"), "EXCH1")) == [
        "'EXNODE3' missing under 'Nodes'"
    ]
    assert check_tree(_model(), Expected("EXCLUS1", ("EXNODE1",), "EXCH2")) == [
        "'EXCH2' missing under 'Services and Applications'"
    ]
    problems = check_tree(_model(cluster="OTHER"), EXPECTED)
    assert len(problems) == 1 and "cluster 'EXCLUS1' not in the tree" in problems[0]
    assert check_tree(ClusterTreeModel(), EXPECTED) == ["cluster 'EXCLUS1' not in the tree (shown: [])"]
    # a node the snapshot does not list is missing even if the node count is right
    model = _model(node_states=(NodeState.UP,))
    assert check_tree(model, EXPECTED) == ["'EXNODE2' missing under 'Nodes'"]


def test_resource_check_loads_every_form_and_icon(
    qapp: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert check_resources() == []
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "broken.svg").write_text("<svg")
    monkeypatch.setattr(selftest, "resources_dir", lambda: tmp_path)
    assert check_resources() == ["icon broken.svg does not render", "only 2 forms and 1 icons found"]
    broken_form = tmp_path / "ui" / "connect.ui"
    broken_form.parent.mkdir()
    broken_form.write_text("<ui version='4.0'><widget")
    from ccrgui.gui.events import dialog

    for module in (selftest, dialog):
        monkeypatch.setattr(module, "ui_path", lambda name: tmp_path / "ui" / name)
    problems = check_resources()
    assert problems[0].startswith("form connect.ui: "), problems


def test_self_test_runs_alone() -> None:
    assert parse_args(["--self-test"]).self_test
    for other in (["--demo"], ["--connect", "X"], ["--demo", "--screenshot", "x.png"]):
        with pytest.raises(SystemExit):
            parse_args(["--self-test", *other])


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path))
    env.pop("QT_QPA_PLATFORM", None)  # --self-test chooses offscreen itself
    return subprocess.run(
        [sys.executable, "-m", "ccrgui.app", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )


@pytest.mark.integration
@pytest.mark.timeout(180)
def test_self_test_against_the_in_process_lab(tmp_path: Path) -> None:
    done = _run(["--self-test"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ccrgui self-test: OK: cluster EXCLUS1 with nodes EXNODE1, EXNODE2" in done.stdout
    assert not (tmp_path / "ccrgui").exists()  # no settings written for the user


@pytest.mark.integration
@pytest.mark.timeout(180)
def test_self_test_follows_the_lab_topology(tmp_path: Path) -> None:
    topology = tmp_path / "other.json"
    topology.write_text('{"cluster_name": "SELFTEST", "nodes": [{"name": "N1"}, {"name": "N2"}]}')
    done = _run(["--self-test", "--lab-topology", str(topology)], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr  # the expectation follows the lab it starts
    assert "cluster SELFTEST with nodes N1, N2" in done.stdout


def test_version_is_the_installed_one(tmp_path: Path) -> None:
    from importlib.metadata import version

    done = _run(["--version"], tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == f"ccrgui {version('ccrgui')}"


def test_event_decoder_check_runs_the_child_and_names_a_python_that_cannot_start_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    assert check_event_decoder() == []
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert check_event_decoder() == [
        "the event decoding process cannot be started with '/nonexistent/python'"
    ]
