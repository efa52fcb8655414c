"""Adopting the FastAPI original's database so Django's migrations own it: the first
generation's `tasks` table (fastapi) and a phase V database's additions (phase5).
README.md, "Adopting the FastAPI database", is the runbook."""
