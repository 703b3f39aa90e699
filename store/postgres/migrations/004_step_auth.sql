-- How a step's request was authenticated when a credential outside the workflow did it (a connection
-- of trama serve): a description without secrets, e.g. "Okta service app 0oa…; it replaced the step's
-- Authorization header".
ALTER TABLE steps ADD COLUMN auth text NOT NULL DEFAULT '';
