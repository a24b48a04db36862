"""Citizen proposals: posted by citizens, supported by verified accounts, answered by officials."""
