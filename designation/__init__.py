"""designation: designate NHS urgent and emergency care facilities against published standards.

Library first: :mod:`designation.api` assesses submissions; :mod:`designation.cli` is a thin
shell over it. See README.md and docs/.
"""
__version__ = "0.1.0"
