"""`make run`'s supervisor (scripts/run_suite.py), driven with a stand-in service."""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

import pytest
import redis

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


def load_run_suite() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_suite", ROOT / "scripts" / "run_suite.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


run_suite = load_run_suite()


def supervisor_for(tmp_path: Path, mode: str) -> tuple[object, object]:
    service = run_suite.Service(
        "fake",
        f"127.0.0.1:{free_port()}",
        tmp_path / "fake.log",
        module="tests.support.fake_service",
    )
    env = run_suite.base_environment([service], "redis://127.0.0.1:1/0")
    env["FAKE_MODE"] = mode
    return run_suite.Supervisor([service], env, 5.0, threading.Event()), service


def test_embedded_redis_serves_redis_clients_including_lua() -> None:
    server = run_suite.EmbeddedRedis(free_port())
    server.start()
    client = redis.Redis.from_url(server.url)
    try:
        assert client.ping() is True
        client.set("k", "v")
        assert client.get("k") == b"v"
        assert client.eval("return redis.call('GET', KEYS[1])", 1, "k") == b"v"
    finally:
        client.close()
        server.stop()


def test_embedded_redis_on_a_busy_port_says_how_to_fix_it() -> None:
    port = free_port()
    server = run_suite.EmbeddedRedis(port)
    server.start()
    try:
        with pytest.raises(run_suite.SuiteError, match=f"127.0.0.1:{port}.*REDIS_URL"):
            run_suite.EmbeddedRedis(port)
    finally:
        server.stop()


def test_supervisor_waits_until_serving_then_drains_with_sigterm(tmp_path: Path) -> None:
    supervisor, service = supervisor_for(tmp_path, "ok")
    supervisor.migrate(service)
    supervisor.start(service)
    try:
        supervisor.wait_ready(timeout=20)
        assert run_suite.probe(service) == "SERVING"
    finally:
        supervisor.stop_all()
    assert service.process.returncode == 0
    assert "drained" in service.log_path.read_text()


def test_service_that_dies_is_reported_by_name_with_its_log(tmp_path: Path) -> None:
    supervisor, service = supervisor_for(tmp_path, "crash")
    supervisor.start(service)
    try:
        with pytest.raises(run_suite.SuiteError, match=r"fake exited unexpectedly \(exit 7\)"):
            supervisor.wait_ready(timeout=20)
            supervisor.watch()
    finally:
        supervisor.stop_all()


def test_failed_migration_names_the_service_and_its_log(tmp_path: Path) -> None:
    supervisor, service = supervisor_for(tmp_path, "bad-migration")
    with pytest.raises(run_suite.SuiteError) as failure:
        supervisor.migrate(service)
    assert "fake: `python -m tests.support.fake_service migrate` failed (exit 3)" in str(
        failure.value
    )
    assert str(service.log_path) in str(failure.value)
    assert "migrated sqlite+aiosqlite:///" in str(failure.value)
