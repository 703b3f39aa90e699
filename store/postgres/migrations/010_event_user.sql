-- The Okta user an event is about (the card's Okta User: the first target of type User), so the history
-- finds a user's events and runs through an index: the id, and the alternateId (login) in lower case,
-- since Okta logins are case-insensitive. Dispatch records them with the card it builds anyway, which
-- keeps the acknowledgement path free of a payload decode; the events stored before this migration are
-- read from their payload here. runs_workflow lists a workflow's runs without reading the others, and
-- events_skipped the events some trigger skipped, which are few among many.
ALTER TABLE events ADD COLUMN user_id text NOT NULL DEFAULT '', ADD COLUMN user_login text NOT NULL DEFAULT '';
UPDATE events SET user_id = coalesce(u.t->>'id', ''), user_login = lower(coalesce(u.t->>'alternateId', ''))
FROM (SELECT e.seq, (SELECT x FROM json_array_elements(e.payload->'target') x
        WHERE json_typeof(x) = 'object' AND x->>'type' = 'User' LIMIT 1) AS t
      FROM events e WHERE json_typeof(e.payload->'target') = 'array') u
WHERE events.seq = u.seq AND u.t IS NOT NULL;
CREATE INDEX events_user_id ON events (user_id, seq);
CREATE INDEX events_user_login ON events (user_login, seq);
CREATE INDEX runs_workflow ON runs (workflow_id, id);
CREATE INDEX events_skipped ON events (seq) WHERE skipped IS NOT NULL;
