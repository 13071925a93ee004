"""The input formats: every door into a submission and the network's settings files.

``yamlsafe`` (safe, located YAML), ``submission`` (the provider's self-assessment), ``review``
(the network's verification overlay), ``derogations`` and ``tailoring`` (the network's settings),
and ``template`` (the skeleton a provider fills in). A new door (a workbook, a web form) is one
module here that builds the same :class:`~designation.inputs.submission.Submission`.
"""
