-- Cases carry the attributes they were submitted with (a ticket id...), as a JSON object of short texts: the built-in
-- responder fills an action's parameters from them. NULL for cases without attributes and those stored before.
ALTER TABLE cases ADD COLUMN attributes TEXT;
