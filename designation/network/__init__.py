"""The network workflow: ``batch`` (a folder of sites, cached and parallel) and ``diff`` (what
changed between two assessments of one site)."""
