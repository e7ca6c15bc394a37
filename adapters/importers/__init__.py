"""File importers: customers, invoices, orders, financials and signals from CSV or JSON lines."""

from adapters.importers.kinds import KINDS
from adapters.importers.loader import run_import
from adapters.importers.reader import Problem
from adapters.importers.report import ImportInterrupted, ImportReport

__all__ = ["KINDS", "ImportInterrupted", "ImportReport", "Problem", "run_import"]
