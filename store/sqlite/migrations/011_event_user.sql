-- The Okta user an event is about (the card's Okta User: the first target of type User), so the history
-- finds a user's events and runs through an index: the id, and the alternateId (login) in lower case,
-- since Okta logins are case-insensitive. Dispatch records them with the card it builds anyway, which
-- keeps the acknowledgement path free of a payload decode; the events stored before this migration are
-- read from their payload here. runs_workflow lists a workflow's runs without reading the others, and
-- events_skipped the events some trigger skipped, which are few among many.
ALTER TABLE events ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN user_login TEXT NOT NULL DEFAULT '';
UPDATE events SET
    user_id = coalesce((SELECT json_extract(t.value, '$.id') FROM json_each(events.payload, '$.target') t
        WHERE json_type(t.value) = 'object' AND json_extract(t.value, '$.type') = 'User' LIMIT 1), ''),
    user_login = lower(coalesce((SELECT json_extract(t.value, '$.alternateId') FROM json_each(events.payload, '$.target') t
        WHERE json_type(t.value) = 'object' AND json_extract(t.value, '$.type') = 'User' LIMIT 1), ''))
WHERE json_valid(payload) AND json_type(payload, '$.target') = 'array';
CREATE INDEX events_user_id ON events (user_id, seq);
CREATE INDEX events_user_login ON events (user_login, seq);
CREATE INDEX runs_workflow ON runs (workflow_id, id);
CREATE INDEX events_skipped ON events (seq) WHERE skipped IS NOT NULL;
