"""Standalone Terraform child modules for teams with an existing estate (no cdktf needed to use them)."""
