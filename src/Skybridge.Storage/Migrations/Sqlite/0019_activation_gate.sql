-- How each activation passed the evaluation gate: `evaluation` (gate_run_id names the stored run of that exact
-- version that cleared the bar), `override` (the owner's reason in gate_reason, the newest run of the version, if
-- any, in gate_run_id) or `setup` (the bundled sample activated by `skybridge up`, with its reason). NULL for
-- rollbacks, which return to a version that passed the gate when it was activated, and for activations stored
-- before the gate existed.
ALTER TABLE activations ADD COLUMN gate TEXT;
ALTER TABLE activations ADD COLUMN gate_run_id TEXT;
ALTER TABLE activations ADD COLUMN gate_reason TEXT;
