-- Each golden case's terms (lower-case words of 3+ letters, sorted), in golden-set order, as a JSON array of arrays:
-- what a node compares a live case with for the `unlike_golden_set` review signal, taken from the run its active
-- version's activation names. Terms, not the golden cases' text. NULL for runs stored before this column existed.
ALTER TABLE evaluation_runs ADD COLUMN golden_terms TEXT;
