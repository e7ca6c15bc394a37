"""The import's duplicate-key check: peak RSS and time, a dict of every key (before) against FirstLines (now).

    .venv/bin/python bench/bench_import_keys.py --rows 1000000
    .venv/bin/python bench/bench_import_keys.py --rows 1000000 --import              # and a whole import
    .venv/bin/python bench/bench_import_keys.py --rows 1000000 --import --no-check --code /path/to/older/checkout

`check` rows: the check alone, fed invoice ids in chunks of 2000 as the importer feeds it, each in
its own process, ids in file order (`INV0000000001`, …) and shuffled (every id once, in an order
no index likes). `dict` is the check as it was (a dict of key → first line); `first_lines` is
adapters/importers/first_lines.py. `import` rows (with --import): `credit-policy import invoices`
of a generated CSV of --rows invoices into a fresh SQLite store, run with the importer of --code
(default this checkout; pass an older checkout for the before). Files go under a temporary folder,
removed at the end. Prints a Markdown table (docs/store.md keeps the last run).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 2000
MIB = 2**20


def _ids(rows: int, order: str) -> Iterator[str]:
    """Every id once; `shuffled` steps through them by a stride prime to `rows` (no permutation held)."""
    stride = 1 if order == "file" else _stride(rows)
    for n in range(rows):
        yield f"INV{(n * stride) % rows:010d}"


def _stride(rows: int) -> int:
    stride = int(rows * 0.618) | 1
    while math.gcd(stride, rows) != 1:
        stride += 2
    return stride


def _check_dict(rows: int, order: str) -> int:
    first_line: dict[tuple[str, ...], int] = {}
    repeats = 0
    for line, invoice_id in enumerate(_ids(rows, order), start=2):
        repeats += first_line.setdefault((invoice_id,), line) != line
    return repeats


def _check_first_lines(rows: int, order: str) -> int:
    from adapters.importers.first_lines import FirstLines

    repeats, chunk = 0, []
    with FirstLines() as seen:
        for line, invoice_id in enumerate(_ids(rows, order), start=2):
            chunk.append((line, (invoice_id,)))
            if len(chunk) == CHUNK:
                repeats, chunk = repeats + len(seen.repeats(chunk)), []
        repeats += len(seen.repeats(chunk))
    return repeats


def _child(check: str, rows: str, order: str) -> None:
    """Run one check; print its own seconds and the RSS before it (both checks load the same modules)."""
    sys.path.insert(0, str(ROOT))
    import adapters.importers.first_lines  # noqa: F401  (what the package loads, in both children alike)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    (_check_dict if check == "dict" else _check_first_lines)(int(rows), order)
    print(time.perf_counter() - started, before)


def _measured(args: list[str], cwd: Path = ROOT) -> tuple[float, float, str]:
    """Seconds, peak RSS (MiB) and output of one child process, run in `cwd` (first on its path); it must succeed."""
    started = time.perf_counter()
    child = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        assert child.stderr is not None
        sys.exit(f"{' '.join(args[:4])} … failed ({child.returncode}):\n{child.stderr.read().decode()[-3000:]}")
    assert child.stdout is not None
    return seconds, usage.ru_maxrss / 1024, child.stdout.read().decode()  # ru_maxrss: KiB on Linux


def _write_invoices(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write("invoice_id,customer_id,issued_on,due_on,amount\n")
        for n, invoice_id in enumerate(_ids(rows, "file")):
            out.write(f"{invoice_id},C{n % 1000},2026-01-05,2026-02-04,1200.50\n")


def _bench_import(rows: int, code: Path, workdir: Path) -> tuple[float, float, float, float]:
    """A whole `credit-policy import invoices` of `rows` rows into a fresh store, with the importer of `code`, then
    the same file again (every row stored: each keeps the optional columns the file leaves out from its record)."""
    customers, invoices = workdir / "customers.csv", workdir / "invoices.csv"
    customers.write_text("customer_id\n" + "".join(f"C{n}\n" for n in range(1000)), encoding="utf-8")
    _write_invoices(invoices, rows)
    db = f"sqlite:///{workdir / 'store.sqlite'}"
    cli = [sys.executable, "-m", "policy_engine.cli", "import"]
    _measured([*cli, "customers", str(customers), "--db", db], code)
    seconds, peak, _ = _measured([*cli, "invoices", str(invoices), "--db", db], code)
    again, again_peak, _ = _measured([*cli, "invoices", str(invoices), "--db", db], code)
    for leftover in workdir.iterdir():
        leftover.unlink()
    return seconds, peak, again, again_peak


def _row(what: str, rows: int, detail: str, seconds: float, peak: float, before: str = "") -> str:
    return f"| {what} | {rows:,} | {detail} | {peak:,.0f} | {before} | {seconds:.1f} | {rows / seconds:,.0f} |"


def main() -> None:
    """Run the check both ways in both orders (and a whole import with --import); print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--import", dest="whole", action="store_true", help="also time a whole import")
    parser.add_argument("--no-check", action="store_true", help="leave out the check-alone rows")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose importer --import runs")
    parser.add_argument("--child", nargs=3, metavar=("CHECK", "ROWS", "ORDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    load = os.getloadavg()[0]
    lines = ["| measure | rows | how | peak RSS MiB | RSS MiB before the check | s | rows/s |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for order in () if args.no_check else ("file", "shuffled"):
        for check in ("dict", "first_lines"):
            _, peak, out = _measured([sys.executable, __file__, "--child", check, str(args.rows), order])
            seconds, before = (float(v) for v in out.split())
            lines.append(_row(f"check: {check}", args.rows, f"ids in {order} order", seconds, peak, f"{before:.0f}"))
    if args.whole:
        workdir = Path(tempfile.mkdtemp(prefix="bench-import-keys-"))
        try:
            seconds, peak, again, again_peak = _bench_import(args.rows, args.code.resolve(), workdir)
        finally:
            shutil.rmtree(workdir)
        lines.append(_row("import invoices", args.rows, f"importer of {args.code.resolve()}", seconds, peak))
        lines.append(_row("import invoices again", args.rows, "every row stored", again, again_peak))
    print(f"\n{os.cpu_count()} CPUs, load {load:.2f} at the start\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
