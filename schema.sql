-- qabot database schema: the single source of truth, embedded in the binary.
--
-- A new database runs this whole file. `PRAGMA user_version` (last line) is the schema version; the
-- binary migrates older databases forward on open (see src/store/migrate.rs) and refuses newer ones.
--
-- Everything here is plain SQLite: the stock `sqlite3` shell can read and edit every table and view.
-- The search index (terms, postings) is built in Rust from the text tables; edits made with SQL to
-- questions, turns or alternates are queued by triggers (index_queue) and indexed by the next qabot
-- command that opens the database.

-- One loaded interview. `slug` is its identity across reloads: loading a file whose slug already
-- exists replaces that interview (or does nothing when content_hash is unchanged).
CREATE TABLE interviews (
    id           INTEGER PRIMARY KEY,
    slug         TEXT    NOT NULL UNIQUE,
    title        TEXT    NOT NULL,
    source       TEXT,                      -- URL or citation, when known
    date         TEXT,                      -- as given by the transcript (free form, usually YYYY-MM-DD)
    interviewer  TEXT,                      -- who asked the questions, when known
    notes        TEXT    NOT NULL DEFAULT '', -- intro/summary paragraphs, separated by newlines
    origin       TEXT,                      -- file it was loaded from
    content_hash TEXT    NOT NULL,          -- SHA-256 of the parsed content; detects unchanged reloads
    loaded_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
-- The same content under another identity (a renamed or re-encoded copy) is recognised, not
-- duplicated; an interview whose identity changed in the same file (a `source` added) is replaced.
CREATE INDEX interviews_content_hash ON interviews(content_hash);
CREATE INDEX interviews_origin ON interviews(origin, title);

-- A person who answers (or asks). Shared across interviews: the same name or alias is the same person.
CREATE TABLE speakers (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE              -- canonical display name, e.g. 山姆·奥特曼
);

-- Other names for a speaker (奥特曼, Sam Altman, …). Matching ignores case, width and script
-- (traditional/simplified), so one spelling per alias is enough.
CREATE TABLE speaker_aliases (
    alias      TEXT    NOT NULL PRIMARY KEY COLLATE NOCASE,
    speaker_id INTEGER NOT NULL REFERENCES speakers(id) ON DELETE CASCADE
);
CREATE INDEX speaker_aliases_speaker ON speaker_aliases(speaker_id);

-- One question and its answer, in interview order (position starts at 1).
-- AUTOINCREMENT: ids are never reused, so an old id (a Telegram button, a log row) never points
-- at a different answer.
CREATE TABLE pairs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    interview_id INTEGER NOT NULL REFERENCES interviews(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    question     TEXT    NOT NULL,
    line         INTEGER,                   -- line of the question in the source file, when known
    UNIQUE (interview_id, position)
);

-- The answer to a pair: one or more turns, each by one speaker, in order (position starts at 1).
CREATE TABLE turns (
    id         INTEGER PRIMARY KEY,
    pair_id    INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    speaker_id INTEGER NOT NULL REFERENCES speakers(id),
    text       TEXT    NOT NULL,           -- paragraphs separated by newlines
    UNIQUE (pair_id, position)
);
CREATE INDEX turns_speaker ON turns(speaker_id);

-- Extra phrasings of a pair's question, matched like the question itself. Curators add them in
-- interview files ("alternates" in JSON; origin 'file') or with SQL (origin 'user'):
--   INSERT INTO alternates(pair_id, text) VALUES (3, '非营利基金会的钱花在哪里');
-- When a changed version of the interview is loaded, 'user' alternates move to the new pair with
-- the same question; 'file' ones are replaced by what the new file says.
CREATE TABLE alternates (
    id      INTEGER PRIMARY KEY,
    pair_id INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
    text    TEXT    NOT NULL,
    origin  TEXT    NOT NULL DEFAULT 'user',
    UNIQUE (pair_id, text)
);

-- Intro notes linked to the pair they summarise (derived on load: a note goes to the one pair that
-- shares clearly more rare vocabulary with it). Indexed with the pair like answer text, so a
-- question worded like the summary finds the pair; never shown as part of the answer.
CREATE TABLE pair_notes (
    id      INTEGER PRIMARY KEY,
    pair_id INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
    text    TEXT    NOT NULL
);
CREATE INDEX pair_notes_pair ON pair_notes(pair_id);

-- Interchangeable terms: every term of a group also matches the others (算力, 计算资源, compute).
-- Rows with origin 'builtin' come from data/synonyms.txt and are refreshed when qabot is upgraded;
-- add your own with any other origin:
--   INSERT INTO synonyms(group_id, term, origin) VALUES (1000, '云计算', 'user'), (1000, 'cloud', 'user');
CREATE TABLE synonyms (
    group_id INTEGER NOT NULL,
    term     TEXT    NOT NULL,
    origin   TEXT    NOT NULL DEFAULT 'user',
    PRIMARY KEY (group_id, term)
) WITHOUT ROWID;

-- Every question asked, for curators (`qabot misses`). No user or chat identifiers are stored.
CREATE TABLE query_log (
    id         INTEGER PRIMARY KEY,
    asked_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    frontend   TEXT    NOT NULL,            -- cli, telegram, telegram-inline
    query      TEXT    NOT NULL,            -- normalised question text
    pair_id    INTEGER REFERENCES pairs(id) ON DELETE SET NULL, -- best match, answered or not
    confidence REAL    NOT NULL,
    answered   INTEGER NOT NULL             -- 1 when the confidence reached the threshold
);
CREATE INDEX query_log_query ON query_log(query);

-- Settings and bookkeeping (index_version, builtin_data_hash, model_dir: the folder `qabot model`
-- recorded).
CREATE TABLE meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- ---------------------------------------------------------------------------------------------
-- Search index, derived from the tables above (qabot rebuilds it when its format changes).
-- Terms are normalised tokens: Chinese character bigrams, Latin words, numbers, `@<speaker id>`.

CREATE TABLE terms (
    id   INTEGER PRIMARY KEY,
    term TEXT    NOT NULL UNIQUE,
    df   INTEGER NOT NULL DEFAULT 0         -- number of pairs containing the term
);

-- One row per term and index segment; `data` lists the pair ids containing the term with a
-- per-field weight (format in src/search/postings.rs). Segments are written one per load and
-- merged as they accumulate, so a term has a handful of rows at most.
CREATE TABLE postings (
    term_id INTEGER NOT NULL,
    segment INTEGER NOT NULL,
    data    BLOB    NOT NULL,
    PRIMARY KEY (term_id, segment)
) WITHOUT ROWID;

-- No index on `segment` (schema version 5 dropped it): the writes of every load paid for it (a
-- tenth of a load's CPU) and only one rare clean-up read it.

CREATE TABLE segments (
    id      INTEGER PRIMARY KEY,
    entries INTEGER NOT NULL                -- postings entries in the segment, for merge decisions
);

-- Pairs whose text changed outside qabot (plain SQL). `old_text` (and `old_speaker` for turns) is
-- what was indexed before the change, so its terms can be removed. While qabot itself writes (and indexes as it goes) it
-- sets meta 'indexing_in_progress' inside its transaction, which silences these triggers.
CREATE TABLE index_queue (
    pair_id     INTEGER NOT NULL,
    old_text    TEXT,
    old_speaker INTEGER
);

-- Deleting with plain SQL removes what belongs to the deleted row even when the connection has
-- foreign keys off (the stock sqlite3 shell's default), so no orphan pair or turn can linger.
-- qabot's own loader turns the triggers of this file and the foreign keys off on its connection
-- while it writes, and does their work itself, table by table (`bulk_writes` in
-- src/store/load.rs): they fire once per row, and a replace deleted a million rows through them.
-- A trigger added here needs its counterpart there.
CREATE TRIGGER interviews_delete_pairs AFTER DELETE ON interviews BEGIN
    DELETE FROM pairs WHERE interview_id = old.id;
END;
CREATE TRIGGER pairs_delete_children AFTER DELETE ON pairs BEGIN
    DELETE FROM turns WHERE pair_id = old.id;
    DELETE FROM alternates WHERE pair_id = old.id;
    DELETE FROM pair_notes WHERE pair_id = old.id;
END;

CREATE TRIGGER qabot_queue_alternates_insert AFTER INSERT ON alternates
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (new.pair_id, NULL);
END;
CREATE TRIGGER qabot_queue_alternates_delete AFTER DELETE ON alternates
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (old.pair_id, old.text);
END;
CREATE TRIGGER qabot_queue_alternates_update AFTER UPDATE ON alternates
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (old.pair_id, old.text), (new.pair_id, NULL);
END;
CREATE TRIGGER qabot_queue_pair_notes_insert AFTER INSERT ON pair_notes
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (new.pair_id, NULL);
END;
CREATE TRIGGER qabot_queue_pair_notes_delete AFTER DELETE ON pair_notes
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (old.pair_id, old.text);
END;
CREATE TRIGGER qabot_queue_pairs_update AFTER UPDATE OF question ON pairs
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (old.id, old.question);
END;
CREATE TRIGGER qabot_queue_pairs_delete AFTER DELETE ON pairs
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (old.id, old.question);
END;
CREATE TRIGGER qabot_queue_turns_insert AFTER INSERT ON turns
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text) VALUES (new.pair_id, NULL);
END;
CREATE TRIGGER qabot_queue_turns_delete AFTER DELETE ON turns
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text, old_speaker) VALUES (old.pair_id, old.text, old.speaker_id);
END;
CREATE TRIGGER qabot_queue_turns_update AFTER UPDATE ON turns
    WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'indexing_in_progress') BEGIN
    INSERT INTO index_queue(pair_id, old_text, old_speaker) VALUES (old.pair_id, old.text, old.speaker_id),
                                                                   (new.pair_id, NULL, NULL);
END;

-- ---------------------------------------------------------------------------------------------
-- Sentence-embedding vectors (`qabot embed`, or `qabot load` with a model): one row per pair.
-- `vector` is `dim` little-endian IEEE-754 32-bit floats (4 × dim bytes), unit length, so the dot
-- product of two vectors is their cosine similarity; `model` is the identity of the model that
-- made it (`name@hash`, see `qabot model`). A pair without a row has no vector yet. Rows are
-- deleted with their pair, and when the pair's question, alternates or answer turns change (the
-- triggers below), so a vector never describes text that is no longer there.
--   SELECT pair_id, model, dim, length(vector) FROM pair_vectors LIMIT 3;
CREATE TABLE pair_vectors (
    pair_id INTEGER PRIMARY KEY REFERENCES pairs(id) ON DELETE CASCADE,
    model   TEXT    NOT NULL,
    dim     INTEGER NOT NULL,
    vector  BLOB    NOT NULL
);

CREATE TRIGGER qabot_vectors_pairs_delete AFTER DELETE ON pairs BEGIN
    DELETE FROM pair_vectors WHERE pair_id = old.id;
END;
CREATE TRIGGER qabot_vectors_pairs_update AFTER UPDATE OF question ON pairs BEGIN
    DELETE FROM pair_vectors WHERE pair_id IN (old.id, new.id);
END;
CREATE TRIGGER qabot_vectors_turns_insert AFTER INSERT ON turns BEGIN
    DELETE FROM pair_vectors WHERE pair_id = new.pair_id;
END;
CREATE TRIGGER qabot_vectors_turns_delete AFTER DELETE ON turns BEGIN
    DELETE FROM pair_vectors WHERE pair_id = old.pair_id;
END;
CREATE TRIGGER qabot_vectors_turns_update AFTER UPDATE OF text, pair_id, position ON turns BEGIN
    DELETE FROM pair_vectors WHERE pair_id IN (old.pair_id, new.pair_id);
END;
CREATE TRIGGER qabot_vectors_alternates_insert AFTER INSERT ON alternates BEGIN
    DELETE FROM pair_vectors WHERE pair_id = new.pair_id;
END;
CREATE TRIGGER qabot_vectors_alternates_delete AFTER DELETE ON alternates BEGIN
    DELETE FROM pair_vectors WHERE pair_id = old.pair_id;
END;
CREATE TRIGGER qabot_vectors_alternates_update AFTER UPDATE OF text, pair_id ON alternates BEGIN
    DELETE FROM pair_vectors WHERE pair_id IN (old.pair_id, new.pair_id);
END;

-- The stored question alone, embedded as a question (`query: ` + question, where the vectors above
-- embed `passage: ` + question, alternates and the start of the answer): two questions asking the
-- same thing in other words, or in the other language, are closer question to question than
-- question to passage. Same layout and model tag as `pair_vectors`; a row is deleted with its pair
-- and when the stored question changes.
--   SELECT pair_id, model, dim, length(vector) FROM question_vectors LIMIT 3;
CREATE TABLE question_vectors (
    pair_id INTEGER PRIMARY KEY REFERENCES pairs(id) ON DELETE CASCADE,
    model   TEXT    NOT NULL,
    dim     INTEGER NOT NULL,
    vector  BLOB    NOT NULL
);

CREATE TRIGGER qabot_question_vectors_pairs_delete AFTER DELETE ON pairs BEGIN
    DELETE FROM question_vectors WHERE pair_id = old.id;
END;
CREATE TRIGGER qabot_question_vectors_pairs_update AFTER UPDATE OF question, id ON pairs BEGIN
    DELETE FROM question_vectors WHERE pair_id IN (old.id, new.id);
END;

-- Each pair's answer read in chunks (its sentences packed, turn by turn, into chunks of about 200
-- tokens; src/embed/recipe.rs), every chunk embedded as a passage: a question about something said
-- far into a long answer is near one of its chunks, where the passage above holds only the
-- answer's start. `vectors` is `chunks` vectors of `dim` little-endian f32 values, one after
-- another (4 × dim × chunks bytes); a pair whose answer has no text has a row with 0 chunks. Same
-- model tag as `pair_vectors`; a row is deleted with its pair and when its answer turns change.
--   SELECT pair_id, model, chunks, length(vectors) / (4 * dim) AS stored FROM answer_vectors LIMIT 3;
CREATE TABLE answer_vectors (
    pair_id INTEGER PRIMARY KEY REFERENCES pairs(id) ON DELETE CASCADE,
    model   TEXT    NOT NULL,
    dim     INTEGER NOT NULL,
    chunks  INTEGER NOT NULL,
    vectors BLOB    NOT NULL
);

CREATE TRIGGER qabot_answer_vectors_pairs_delete AFTER DELETE ON pairs BEGIN
    DELETE FROM answer_vectors WHERE pair_id = old.id;
END;
CREATE TRIGGER qabot_answer_vectors_pairs_update AFTER UPDATE OF id ON pairs BEGIN
    DELETE FROM answer_vectors WHERE pair_id IN (old.id, new.id);
END;
CREATE TRIGGER qabot_answer_vectors_turns_insert AFTER INSERT ON turns BEGIN
    DELETE FROM answer_vectors WHERE pair_id = new.pair_id;
END;
CREATE TRIGGER qabot_answer_vectors_turns_delete AFTER DELETE ON turns BEGIN
    DELETE FROM answer_vectors WHERE pair_id = old.pair_id;
END;
CREATE TRIGGER qabot_answer_vectors_turns_update AFTER UPDATE OF text, pair_id, position ON turns BEGIN
    DELETE FROM answer_vectors WHERE pair_id IN (old.pair_id, new.pair_id);
END;

-- ---------------------------------------------------------------------------------------------
-- Views for reading the database directly.

-- One row per pair: the question and the whole answer with speaker labels.
CREATE VIEW qa AS
SELECT p.id       AS pair_id,
       i.id       AS interview_id,
       i.title    AS interview,
       p.position AS position,
       p.question AS question,
       (SELECT group_concat(s.name || ': ' || t.text, char(10))
          FROM (SELECT * FROM turns WHERE pair_id = p.id ORDER BY position) AS t
          JOIN speakers AS s ON s.id = t.speaker_id) AS answer,
       (SELECT group_concat(name, ', ')
          FROM (SELECT s.name AS name FROM turns AS t JOIN speakers AS s ON s.id = t.speaker_id
                 WHERE t.pair_id = p.id GROUP BY s.id ORDER BY min(t.position))) AS speakers
  FROM pairs AS p
  JOIN interviews AS i ON i.id = p.interview_id;

-- One row per answer turn, with who said it and where.
CREATE VIEW turns_by_speaker AS
SELECT s.name     AS speaker,
       s.id       AS speaker_id,
       i.title    AS interview,
       p.position AS pair_position,
       t.position AS turn_position,
       p.question AS question,
       t.text     AS text,
       p.id       AS pair_id
  FROM turns AS t
  JOIN speakers AS s ON s.id = t.speaker_id
  JOIN pairs AS p ON p.id = t.pair_id
  JOIN interviews AS i ON i.id = p.interview_id;

-- Loaded interviews with their size.
CREATE VIEW interview_summary AS
SELECT i.id, i.title, i.date, i.source,
       (SELECT count(*) FROM pairs WHERE interview_id = i.id) AS pairs,
       i.loaded_at
  FROM interviews AS i;

-- Each speaker with all their aliases.
CREATE VIEW speaker_names AS
SELECT s.id, s.name,
       (SELECT group_concat(alias, ', ') FROM speaker_aliases WHERE speaker_id = s.id) AS aliases,
       (SELECT count(*) FROM turns WHERE speaker_id = s.id) AS turns
  FROM speakers AS s;

PRAGMA user_version = 6;
