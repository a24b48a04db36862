"""Accounts: registration, sign-in, email verification, roles and two-factor sign-in."""
