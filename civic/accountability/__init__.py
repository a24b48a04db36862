"""Accountability: how accepted proposals and funded budget projects are carried out."""
