# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""The README's client examples, run as written against a real server: the Python client (its
printed lines compared with the ones the README shows) and every grpcurl call (its JSON parsed
into the method's request type, as grpcurl does through reflection, and sent)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_health.v1 import health_pb2  # noqa: F401  (registers grpc.health.v1 in the pool)

from adapters.grpc.gen.grpc.reflection.v1 import reflection_pb2, reflection_pb2_grpc
from adapters.grpc.server import MAX_MESSAGE_BYTES
from tests.integration.conftest_grpc import (
    ROOT,
    TIMEOUT,
    ServerProcess,
    copy_rules,
    start_server_process,
)

README = ROOT / "README.md"
README_ADDRESS = "localhost:50051"


def readme_section() -> str:
    """The README's "Calling the service" section."""
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Calling the service\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def fenced(section: str, language: str) -> list[str]:
    """The bodies of the section's code blocks in `language`."""
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def grpcurl_calls(block: str) -> list[list[str]]:
    """Each `grpcurl …` command of a shell block as its argument list (quotes and continuations resolved)."""
    words = shlex.split(block.replace("\\\n", " "), comments=True)
    calls: list[list[str]] = []
    for word in words:
        if word == "grpcurl":
            calls.append([])
        else:
            assert calls, f"text before the first grpcurl: {word!r}"
            calls[-1].append(word)
    return calls


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The service on a small demo database, as `make run` leaves it (customers C0000001 …)."""
    tmp = tmp_path_factory.mktemp("readme-client")
    url = f"sqlite:///{tmp / 'demo.sqlite'}"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", "from policy_engine.cli import main; main()", "demo-data",
                    "--customers", "5", "--as-of", "2026-11-22", "--db", url],
                   check=True, capture_output=True, env=env, cwd=ROOT, timeout=300)
    server = start_server_process(copy_rules(tmp / "rules"), tmp / "server.log", "--db", url)
    yield server
    assert server.stop() == 0, server.log_path.read_text()


def test_the_readme_shows_one_python_client_one_output_and_grpcurl_calls() -> None:
    section = readme_section()
    assert len(fenced(section, "python")) == 1
    assert len(fenced(section, "text")) == 1
    assert len(grpcurl_calls(fenced(section, "sh")[0])) >= 4
    assert README_ADDRESS in fenced(section, "python")[0]


def test_the_python_client_prints_what_the_readme_shows(demo_server: ServerProcess, tmp_path: Path) -> None:
    section = readme_section()
    script = tmp_path / "client.py"
    script.write_text(fenced(section, "python")[0].replace(README_ADDRESS, demo_server.address), encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    printed = run.stdout.splitlines()
    shown = fenced(section, "text")[0].splitlines()
    # Every line the README shows, but the demo customer's (its figures depend on the generated data).
    assert printed[:-1] == shown[:-1], run.stdout
    assert shown[0].split()[-1] == demo_server.version(), "the README shows another policy version"
    customer_id, grade, limit, review = printed[-1].split()
    assert customer_id == shown[-1].split()[0] == "C0000001"
    assert grade in {"AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"}
    assert re.fullmatch(r"\d+\.\d\d", limit) and re.fullmatch(r"\d{4}-\d\d-\d\d", review)


BIGGEST_DECISION = """
invoices = [pb.Invoice(invoice_id=f"INV-{i:05d}-".ljust(64, "x"), issued_on="2026-09-01", due_on="2026-10-01",
                       amount="100.00") for i in range(10_000)]
request = pb.EvaluateCustomerRequest(snapshot=pb.CustomerSnapshot(customer_id="C-BIG", invoices=invoices),
                                     as_of="2026-11-22", explain=True)
decision = stub.EvaluateCustomer(request, timeout=60)
print(len(decision.actions), decision.ByteSize())
"""


def test_the_python_clients_channel_receives_the_biggest_decision_a_snapshot_in_bounds_gets(
        demo_server: ServerProcess, tmp_path: Path) -> None:
    """10,000 overdue invoices (the bound) with 64-character ids: a reminder and a reason each, and the
    trace, make a decision of ~5.3 MB. The README's channel refused it (gRPC's default: 4 MiB a received
    message): RESOURCE_EXHAUSTED 'CLIENT: Received message larger than max', the service having decided it."""
    client = fenced(readme_section(), "python")[0]
    setup = client[:client.index("\nsnapshot = ")].replace(README_ADDRESS, demo_server.address)
    script = tmp_path / "big.py"
    script.write_text(setup + BIGGEST_DECISION, encoding="utf-8")

    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=tmp_path)

    assert run.returncode == 0, run.stderr[-2000:]
    actions, size = map(int, run.stdout.split())
    assert actions > 10_000
    assert 4 * 1024 * 1024 < size < MAX_MESSAGE_BYTES


def call(channel: grpc.Channel, args: list[str]) -> dict[str, Any]:
    """Do what `grpcurl -plaintext [-d JSON] ADDRESS SERVICE/METHOD` does, through the descriptor pool."""
    data = args[args.index("-d") + 1] if "-d" in args else "{}"
    service_name, method_name = args[-1].split("/")
    method = descriptor_pool.Default().FindServiceByName(service_name).methods_by_name[method_name]
    request = json_format.Parse(data, message_factory.GetMessageClass(method.input_type)())
    response_class = message_factory.GetMessageClass(method.output_type)
    rpc = channel.unary_unary(f"/{service_name}/{method_name}", request_serializer=lambda m: m.SerializeToString(),
                              response_deserializer=response_class.FromString)
    return json_format.MessageToDict(rpc(request, timeout=TIMEOUT), preserving_proto_field_name=True)


def test_every_grpcurl_call_in_the_readme_is_answered(demo_server: ServerProcess) -> None:
    calls = grpcurl_calls(fenced(readme_section(), "sh")[0])
    answers: dict[str, dict[str, Any]] = {}
    channel = demo_server.channel()
    for args in calls:
        assert args[0] == "-plaintext" and README_ADDRESS in args, args
        if args[-1] == "list":  # grpcurl >= 1.8.8 asks reflection v1 first
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            reply = next(iter(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(
                list_services="")]), timeout=TIMEOUT)))
            listed = {s.name for s in reply.list_services_response.service}
            assert {"credit_policy.v1.CreditPolicyService", "grpc.health.v1.Health"} <= listed
            continue
        answers[args[-1].split("/")[-1]] = call(channel, args)
    assert answers["CheckOrder"]["outcome"] == "HOLD"
    assert answers["EvaluateCustomer"]["customer_id"] == "C0000001"
    assert answers["GetPolicy"]["version"] == demo_server.version()
    assert answers["Check"]["status"] == "SERVING"
