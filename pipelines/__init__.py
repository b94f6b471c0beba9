"""Prefect flows of lesson 07, importable so a deployment can serve them."""
