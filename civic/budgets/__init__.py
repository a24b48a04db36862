"""Participatory budgets: budgets, projects, ballots, results and Pabulib files."""
