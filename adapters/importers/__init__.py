"""File importers: customers, invoices, orders, financials and signals from CSV or JSON lines."""

from adapters.importers.kinds import KINDS
from adapters.importers.loader import ImportReport, run_import
from adapters.importers.reader import Problem

__all__ = ["KINDS", "ImportReport", "Problem", "run_import"]
