"""The kinds that hold for the whole pack: policy (its name, the feature windows) and portfolio (ABC value classes,
key-customer rankings, give-up share)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from policy_engine.domain.values import IDENTIFIER_PATTERN
from policy_engine.rules.schema_base import Source, Title, _Model


class FeatureWindows(_Model):
    """Tunable windows of the feature computation."""

    signal_window_days: Annotated[int, Field(ge=1, le=3650)] = 180
    payment_window_days: Annotated[int, Field(ge=30, le=3650)] = 365
    due_change_window_days: Annotated[int, Field(ge=1, le=3650)] = 90
    lateness_gap_min_invoices: Annotated[int, Field(ge=2, le=1000)] = 4


class PolicyFile(_Model):
    """kind: policy — the pack's name and the feature windows."""

    kind: Literal["policy"]
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=IDENTIFIER_PATTERN)]
    title: Title
    source: Source
    features: FeatureWindows = FeatureWindows()


class ValueClasses(_Model):
    """ABC analysis: customers sorted by sales; A until `a_share` of cumulative sales, B until a+b, C the rest."""

    a_share: Annotated[float, Field(gt=0, lt=1)] = 0.75
    b_share: Annotated[float, Field(gt=0, lt=1)] = 0.20
    sales_window_months: Annotated[int, Field(ge=1, le=36)] = 12


class PortfolioFile(_Model):
    """kind: portfolio — policy over the whole book: ABC value classes, key-customer rankings, give-up share."""

    kind: Literal["portfolio"]
    title: Title
    source: Source
    value_classes: ValueClasses = ValueClasses()
    key_customer_ranking_size: Annotated[int, Field(ge=1, le=1000)] = 10
    give_up_share: Annotated[float, Field(ge=0, le=0.5)] = 0.05
