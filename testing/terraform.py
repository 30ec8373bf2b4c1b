"""Terraform the IaC tests write: a budget (every root module needs one) and a bucket
left open (four findings of checkov's and one of the platform's policies)."""

from __future__ import annotations

from pathlib import Path

BUDGET = ('resource "aws_budgets_budget" "monthly" {\n  budget_type  = "COST"\n'
          '  limit_amount = "10"\n  limit_unit   = "USD"\n  time_unit    = "MONTHLY"\n}\n')
OPEN_BUCKET = ('resource "aws_s3_bucket_public_access_block" "open" {\n'
               '  bucket                  = "b"\n  block_public_acls       = false\n'
               '  block_public_policy     = false\n  ignore_public_acls      = false\n'
               '  restrict_public_buckets = false\n}\n')


def write(folder: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative name: text) under ``folder``; return ``folder``."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder
