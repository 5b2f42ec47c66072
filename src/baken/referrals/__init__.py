"""Referrals with recorded consent (issue 17, items 2 and 5; docs/referrals.md): a counselor
proposes a partner service, the visitor chooses what happens (only the contact details, or a warm
hand-off with a chosen scope, or no), can withdraw it later with their return code, and the
counselor records the outcome."""
