"""A local cluster's files, without starting one: the layout and the state file survive a
round trip through JSON (the state file without the liveness it is read with), and
``server.properties`` keeps a multi-line value (an inline PEM) in one escaped line."""

from __future__ import annotations

from pathlib import Path

from infra.kafka.layout import ClusterState, Layout, NodeSpec
from infra.kafka.node_config import java_cmd, properties_text


def test_a_layout_reads_back_as_written() -> None:
    layout = Layout("abcdefghijklmnopqrstuv", (NodeSpec(1, 9092, 9093), NodeSpec(2, 9094, 9095)))
    assert Layout.from_json(layout.to_json()) == layout


def test_the_state_file_keeps_pids_and_ports_and_never_the_liveness() -> None:
    state = ClusterState(
        bootstrap="127.0.0.1:9092",
        data_dir="/data",
        pids={1: 100, 2: None},
        broker_ports={1: 9092, 2: 9094},
        controller_ports={1: 9093, 2: 9095},
        alive={1: True, 2: False},
    )
    text = state.to_json()
    assert "alive" not in text
    again = ClusterState.from_json(text)
    assert again.pids == {1: 100, 2: None}
    assert again.broker_ports == {1: 9092, 2: 9094}
    assert again.alive == {}


def test_properties_escape_backslashes_and_newlines() -> None:
    text = properties_text({"a": "x\\y", "pem": "-----BEGIN-----\nAAA\n-----END-----"})
    assert text.splitlines() == [
        "a=x\\\\y",
        "pem=-----BEGIN-----\\nAAA\\n-----END-----",
    ]


def test_the_jvm_command_names_its_heap_its_logs_and_its_main_class(tmp_path: Path) -> None:
    cmd = java_cmd("java", tmp_path / "libs", tmp_path / "node-1", "256m", "kafka.Kafka")
    assert cmd[0] == "java"
    assert "-Xmx256m" in cmd
    assert f"-Dkafka.logs.dir={tmp_path / 'node-1' / 'logs'}" in cmd
    assert cmd[-3:] == ["-cp", f"{tmp_path / 'libs'}/*", "kafka.Kafka"]
