"""Proposing fixes from findings, verifying them in proven child interpreters, and their shell lines."""
