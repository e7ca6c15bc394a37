"""Synthetic demo portfolio: `credit-policy demo-data --customers N`."""

from adapters.demo_data.generator import CATEGORIES, DRIFTS
from adapters.demo_data.writer import DemoSummary, PortfolioNotEmpty, check_empty, generate_demo_data

__all__ = ["CATEGORIES", "DRIFTS", "DemoSummary", "PortfolioNotEmpty", "check_empty", "generate_demo_data"]
