"""What durable_rules' C core alone costs per rating, next to the whole rating (issue 2's 2× zen-engine analysis).

    .venv/bin/python bench/engine_floor.py [--customers 3000] [--rounds 5]

The customer-stage and rating-stage facts of every customer are encoded once beforehand; each is
then matched by calling the C core directly (assert, drain the fired actions, retract), with no
Python between the calls but the loop. That is the floor any evaluator on durable_rules pays per
rating; `Policy.rate_features` (the benchmark's durable rating) is timed beside it in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_decisions import AS_OF, customer_mix  # noqa: E402
from policy_engine import engine  # noqa: E402
from policy_engine.api import load_policy  # noqa: E402
from policy_engine.features import compute_features  # noqa: E402


def main() -> None:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    policy = load_policy(ROOT / "rules")
    feats = [compute_features(s, AS_OF, policy.program.settings) for s in customer_mix(args.customers, 7)]
    scores = [policy.rate_features(f)[0] for f in feats]
    # Policy internals on purpose: the same facts the evaluator sends, encoded the way it encodes them.
    customer = [engine._dumps(policy._facts("customer", f)) for f in feats]  # a fact per kind of rule
    rating = [engine._dumps(policy._facts("rating", {"score": s})) for s in scores]
    core_match = engine.core_match_for_benchmarks(policy._ruleset)

    def best(run: object, items: list[object]) -> float:
        fastest = float("inf")
        for _ in range(args.rounds):
            started = time.perf_counter()
            for item in items:
                run(item)  # type: ignore[operator]
            fastest = min(fastest, (time.perf_counter() - started) / len(items) * 1e6)
        return fastest

    c, r = best(core_match, customer), best(core_match, rating)  # type: ignore[arg-type]
    whole = best(policy.rate_features, feats)  # type: ignore[arg-type]
    print(f"# durable_rules C core floor, {args.customers} customers, best of {args.rounds} rounds")
    print("| step | µs per customer |")
    print("| --- | ---: |")
    print(f"| C core: customer-stage match (51 rules, a fact per kind, pre-encoded) | {c:.1f} |")
    print(f"| C core: rating-stage match (9 grade bands) | {r:.1f} |")
    print(f"| C core total | {c + r:.1f} |")
    print(f"| Policy.rate_features (the benchmark's durable rating) | {whole:.1f} |")
    print(f"| everything but the C core | {whole - c - r:.1f} |")


if __name__ == "__main__":
    main()
