"""Anonymous signals to the police partner (issue 17, item 4; docs/police-signals.md).

``fields``: what a signal holds and how a form becomes one; ``checks``: the refusal of a draft
that carries the visitor's identity; ``workflow``: draft → submitted → approved/rejected →
exported, and who may take each step; ``export``: the signed document for the police;
``signing``: the organisation's Ed25519 key; ``pdf``: the same document as a PDF;
``repository``: the table.
"""
