"""The batch's bookkeeping tables (migrations batch_0001, 0005, 0006 and 0007): runs, portfolio pass, results, actions.

`batch_results` is at once the per-customer done marker (its key is (run_id, customer_id) and it is
written in the same transaction as the profile and the decision-log entry), the quarantine
(status `quarantined` with the error) and the data of the report.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from adapters.store.types import ExactDecimal

metadata = MetaData()
RunId = String(64)
Id = String(64)
BigId = BigInteger().with_variant(Integer(), "sqlite")

batch_runs = Table(
    "batch_runs",
    metadata,
    Column("run_id", RunId, primary_key=True),
    Column("part", String(16), primary_key=True),  # "i/n", "0/1" for the whole portfolio
    Column("as_of", Date, nullable=False),
    Column("policy_version", Id, nullable=False),
    Column("status", String(12), nullable=False),  # running, complete, failed
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=1),
    Column("customers", Integer),
    Column("ok", Integer),
    Column("quarantined", Integer),
    Column("skipped", Integer),
    Column("seconds", Float),  # the last attempt's
    # The time of the part's busy periods (spans with an attempt under way) added as each closes, overlapping
    # attempts once; known when attempts_ended = attempts. NULL: parts from before migration 0006.
    Column("seconds_all_attempts", Float),
    Column("attempts_ended", Integer),  # attempts that recorded their end (0007); short of `attempts`: one runs or died
    Column("busy_since", Float),  # Unix seconds: when the current busy period began (0007)
)

batch_portfolio_runs = Table(
    "batch_portfolio_runs",
    metadata,
    Column("run_id", RunId, primary_key=True),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Column("customers", Integer, nullable=False),
    Column("total_sales", ExactDecimal(), nullable=False),
    Column("summary_json", Text, nullable=False),  # class counts and sales, rankings, give-up count
)

batch_portfolio = Table(
    "batch_portfolio",
    metadata,
    Column("run_id", RunId, primary_key=True),
    Column("customer_id", Id, primary_key=True),
    Column("sales", ExactDecimal(), nullable=False),
    Column("sales_key", Float, nullable=False),  # ordering only; sums use `sales`
    Column("sales_before", ExactDecimal(), nullable=False),
    Column("value_class", String(1), nullable=False),
    Column("give_up", Boolean, nullable=False),
    Index("ix_batch_portfolio_rank", "run_id", "sales_key"),
)

batch_results = Table(
    "batch_results",
    metadata,
    Column("run_id", RunId, primary_key=True),
    Column("customer_id", Id, primary_key=True),
    Column("bucket", BigInteger, nullable=False),  # crc32 of the id: partition i/n holds bucket % n == i
    Column("status", String(12), nullable=False),  # ok, quarantined, skipped
    Column("error", Text),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("grade", String(3)),
    Column("grade_class", String(1)),
    Column("value_class", String(1)),
    Column("score", Float),
    Column("credit_limit", ExactDecimal()),
    Column("exposure", ExactDecimal()),
    Column("currency", String(3)),
    Column("next_review_on", Date),
    Column("review_rule", String(64)),
    Column("prev_grade", String(3)),
    Column("prev_limit", ExactDecimal()),
    Column("prev_value_class", String(1)),
    Index("ix_batch_results_status", "run_id", "status"),
)

batch_actions = Table(
    "batch_actions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", RunId, nullable=False),
    Column("customer_id", Id, nullable=False),
    Column("code", String(40), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("severity", String(10), nullable=False),
    Column("target_id", Id, nullable=False),
    Column("rule_id", Id, nullable=False),
    Column("message", Text, nullable=False),
    Column("gather", Text),  # a review's items to gather, a JSON array; NULL: none (migration 0005)
    Index("ix_batch_actions_due", "run_id", "due_on"),
)
