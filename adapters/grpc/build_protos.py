"""Generate the Python stubs of protos/ into adapters/grpc/gen/ with grpcio-tools (`make protos`)."""

from __future__ import annotations

import re
import shutil
import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[2]
PROTO_ROOT = ROOT / "protos"
GEN = Path(__file__).resolve().parent / "gen"
GEN_PACKAGE = "adapters.grpc.gen"


def _fix_imports(path: Path, packages: set[str]) -> None:
    """Make `from credit_policy.v1 import x_pb2` import from adapters.grpc.gen instead.

    Only the packages generated here are rewritten: `grpc.reflection.v1` is ours, `grpc` itself is not."""
    text = path.read_text()
    for package in packages:
        dotted = re.escape(package)
        text = re.sub(rf"^from {dotted} import ", f"from {GEN_PACKAGE}.{package} import ", text, flags=re.M)
        text = re.sub(rf"^import {dotted}\.", f"import {GEN_PACKAGE}.{package}.", text, flags=re.M)
    path.write_text(text)


def build() -> list[Path]:
    """Regenerate every stub from scratch; return the generated files."""
    protos = sorted(PROTO_ROOT.rglob("*.proto"))
    if GEN.exists():
        shutil.rmtree(GEN)
    GEN.mkdir(parents=True)
    well_known = str(resources.files("grpc_tools") / "_proto")
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={GEN}",
        f"--pyi_out={GEN}",
        f"--grpc_python_out={GEN}",
        *(str(p.relative_to(PROTO_ROOT)) for p in protos),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    packages = {".".join(p.relative_to(PROTO_ROOT).parent.parts) for p in protos}
    for folder in [GEN, *(d for d in GEN.rglob("*") if d.is_dir())]:
        (folder / "__init__.py").touch()
    generated = sorted(p for p in GEN.rglob("*.py*") if p.name != "__init__.py")
    for path in generated:
        _fix_imports(path, packages)
    return generated


def main() -> None:
    """Entry point of `python -m adapters.grpc.build_protos`."""
    for path in build():
        print(f"generated {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
