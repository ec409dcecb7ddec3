-- The one schema of the private crawl database. db/schema.py applies it
-- (CREATE ... IF NOT EXISTS) and runs numbered migrations; nothing else defines tables.

CREATE TABLE IF NOT EXISTS posts (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,      -- canonical URL (tracking parameters removed)
    source          TEXT NOT NULL,             -- source name from scraper/sources.yml or platform
    source_id       TEXT,                      -- platform complaint number (黑猫 sn, 聚投诉 post id)
    kind            TEXT NOT NULL DEFAULT 'article',  -- article | complaint
    title           TEXT,
    published_at    TEXT,                      -- ISO 8601
    body            TEXT NOT NULL,             -- normalized, Simplified, PII masked
    content_hash    TEXT NOT NULL,             -- sha256 of the body with whitespace/punctuation removed
    first_seen      TEXT NOT NULL,
    last_seen       TEXT NOT NULL,
    removed_at      TEXT,                      -- set when the source no longer serves the post
    duplicate_of    INTEGER REFERENCES posts(id),
    story_id        INTEGER,                   -- id of the first copy of the story
    is_template     INTEGER NOT NULL DEFAULT 0,
    template_id     TEXT,
    -- platform complaints keep their structured fields
    complaint_target TEXT,                     -- 投诉对象
    complaint_issue  TEXT,                     -- 投诉问题
    complaint_demand TEXT,                     -- 投诉要求 / 诉求
    complaint_amount TEXT,                     -- 涉诉金额
    complaint_status TEXT,                     -- 处理状态 (latest; history in post_statuses)
    complaint_timeline TEXT                    -- JSON list of {time, actor, text}: replies and steps
);
CREATE UNIQUE INDEX IF NOT EXISTS posts_source_id ON posts(source, source_id) WHERE source_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS posts_content_hash ON posts(content_hash);
CREATE INDEX IF NOT EXISTS posts_story ON posts(story_id);
CREATE INDEX IF NOT EXISTS posts_published ON posts(published_at);
CREATE INDEX IF NOT EXISTS posts_template ON posts(template_id) WHERE template_id IS NOT NULL;

-- Near-duplicate index (pipelines/dedup.py): one row per LSH band value, pointing at
-- the first post stored with it. Later copies add only the band values that are new,
-- so a story's copies stay reachable and a template family does not grow a bucket.
CREATE TABLE IF NOT EXISTS lsh_buckets (
    key         INTEGER PRIMARY KEY,           -- band number and band values hashed (dedup.band_keys)
    post_id     INTEGER NOT NULL               -- first post with that band value
);
CREATE TABLE IF NOT EXISTS post_signatures ( -- MinHash of each near-matchable post, checked before its text
    post_id     INTEGER PRIMARY KEY REFERENCES posts(id),
    signature   BLOB NOT NULL                  -- low 16 bits of each of the 64 values (dedup.signature_blob)
);
CREATE TABLE IF NOT EXISTS template_members ( -- per template and subject lenders, the story that came first
    template_id TEXT NOT NULL,
    subject_key TEXT NOT NULL,                 -- subject lender names, sorted, '|'-joined
    post_id     INTEGER NOT NULL REFERENCES posts(id),
    PRIMARY KEY (template_id, subject_key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS post_urls (
    post_id     INTEGER NOT NULL REFERENCES posts(id),
    url         TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    PRIMARY KEY (post_id, url)
);
CREATE UNIQUE INDEX IF NOT EXISTS post_urls_url ON post_urls(url);

CREATE TABLE IF NOT EXISTS post_versions (   -- earlier bodies of a post whose text changed
    id          INTEGER PRIMARY KEY,
    post_id     INTEGER NOT NULL REFERENCES posts(id),
    title       TEXT,
    body        TEXT,
    content_hash TEXT,
    seen_until  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS post_versions_post ON post_versions(post_id);

CREATE TABLE IF NOT EXISTS post_statuses (   -- every status a complaint had, never overwritten
    post_id     INTEGER NOT NULL REFERENCES posts(id),
    status      TEXT NOT NULL,
    seen_at     TEXT NOT NULL,
    PRIMARY KEY (post_id, status, seen_at)
);

CREATE TABLE IF NOT EXISTS lenders (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,          -- canonical, Simplified
    company     TEXT,
    kind        TEXT,
    known       INTEGER NOT NULL DEFAULT 1,    -- 1: in the registry, 0: discovered
    first_seen  TEXT
);

CREATE TABLE IF NOT EXISTS lender_aliases (
    alias       TEXT PRIMARY KEY,
    lender_id   INTEGER NOT NULL REFERENCES lenders(id)
);

CREATE TABLE IF NOT EXISTS post_lenders (
    post_id     INTEGER NOT NULL REFERENCES posts(id),
    lender_id   INTEGER NOT NULL REFERENCES lenders(id),
    role        TEXT NOT NULL,                 -- subject | mentioned
    surface     TEXT,                          -- the text as it was matched
    PRIMARY KEY (post_id, lender_id)
);
CREATE INDEX IF NOT EXISTS post_lenders_lender ON post_lenders(lender_id, role);

CREATE TABLE IF NOT EXISTS tactics (
    code        TEXT PRIMARY KEY,
    name_zh     TEXT,
    name_en     TEXT,
    cfpb_issue  TEXT,
    rules       TEXT
);

CREATE TABLE IF NOT EXISTS post_tactics (
    post_id     INTEGER NOT NULL REFERENCES posts(id),
    tactic_code TEXT NOT NULL REFERENCES tactics(code),
    evidence    TEXT,                          -- the sentence that shows the tactic
    PRIMARY KEY (post_id, tactic_code)
);

CREATE TABLE IF NOT EXISTS pages (           -- private: raw response archive (evidence)
    id          INTEGER PRIMARY KEY,
    url         TEXT NOT NULL,
    fetched_at  TEXT NOT NULL,
    status      INTEGER,
    sha256      TEXT NOT NULL,
    encoding    TEXT,
    body_gz     BLOB NOT NULL,
    post_id     INTEGER REFERENCES posts(id),
    UNIQUE (url, sha256)
);

CREATE TABLE IF NOT EXISTS quarantine (      -- private: items that failed a stage, with the reason
    id          INTEGER PRIMARY KEY,
    url         TEXT,
    source      TEXT,
    stage       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    item_json   TEXT,
    created     TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS crawl_runs (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    started     TEXT NOT NULL,
    finished    TEXT,
    requests    INTEGER,
    items       INTEGER,                       -- items scraped
    stored      INTEGER,                       -- new posts
    duplicates  INTEGER,
    quarantined INTEGER,
    errors      INTEGER,
    duration_s  REAL,
    finish_reason TEXT,
    status      TEXT,                          -- ok | failed | blocked | layout_changed | empty | running
    reason      TEXT,
    stats_json  TEXT,
    exit_code   INTEGER,                       -- of the crawl process (run_daily.py); NULL when run by hand
    monitors_failed TEXT                       -- spidermon monitors that failed, comma-separated
);
CREATE INDEX IF NOT EXISTS crawl_runs_source ON crawl_runs(source, id);

CREATE TABLE IF NOT EXISTS alerts (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    source      TEXT,
    lender_id   INTEGER REFERENCES lenders(id),
    message     TEXT NOT NULL,
    created     TEXT NOT NULL,
    notified    INTEGER NOT NULL DEFAULT 0,
    run_id      INTEGER REFERENCES crawl_runs(id),   -- the run a monitor alert is about
    dedup_key   TEXT                           -- one alert per finding, e.g. new_tactic:12:T08
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_dedup_key ON alerts(dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS alerts_created ON alerts(created);
