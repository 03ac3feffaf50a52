"""Citizen supervisors (警风监督员, issue 19 item 2): people appointed by the bureau for a
term, each with a personal link to a report form; a report opens a case (source
`supervisor`) routed to the discipline unit (督察). See docs/supervisors.md."""
