"""Budget services, one module per use case: budgets (creating and changing a budget, its areas and
dates, reading them), projects (entering projects and judging whether they can be done), ballots
(casting and changing a ballot), results (the winners under the budget's rule, and their open data)
and interchange (Pabulib files in and out). Callers import the module that owns the function."""
