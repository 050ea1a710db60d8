-- Console accounts for people (DESIGN section 13); machines keep their bearer tokens.
-- Sessions live here too, so logging out, the idle timeout and a disabled account take effect
-- in every API process at once. `login_events` is the record of every login, failure and logout.

CREATE TABLE accounts (
    username      text PRIMARY KEY CHECK (username ~ '^[A-Za-z0-9_.@-]{2,64}$'),
    display_name  text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('enterprise', 'monitor', 'regulator', 'admin')),
    scope         text        NOT NULL,
    families      text[]      NOT NULL DEFAULT '{}',
    password_hash text        NOT NULL,
    enabled       boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE console_sessions (
    id           text PRIMARY KEY,
    username     text        NOT NULL REFERENCES accounts (username),
    csrf_token   text        NOT NULL,
    address      text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz
);
CREATE INDEX console_sessions_username ON console_sessions (username);

CREATE TABLE login_events (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    username text        NOT NULL,
    address  text        NOT NULL,
    outcome  text        NOT NULL CHECK (outcome IN ('login', 'failure', 'refused', 'logout', 'expired')),
    detail   text
);
-- The throttle counts recent failures per username and per address.
CREATE INDEX login_events_username ON login_events (username, at);
CREATE INDEX login_events_address ON login_events (address, at);
