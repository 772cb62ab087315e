-- 006: inventory lines the rules refuse (DESIGN §2.3, §3.1). A well-typed value that the rules
-- refuse (a qty item without a seq, seq <= 0, qty out of range, a seq item without a qty item)
-- does not fault the message: the line is stored with the reason, the worker reports it as a
-- Failure line and applies the rest of the message. '' = the line passed the rules. Such a line
-- keeps the values it had; a value it did not have is stored as 0 (seq, or qty of a seq item
-- without a qty item) and the reason says so.
ALTER TABLE inventory_lines ADD COLUMN failure TEXT NOT NULL DEFAULT '';
