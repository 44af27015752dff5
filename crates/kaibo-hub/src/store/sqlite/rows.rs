//! The SQLite schema, opening, and reading rows into the store's types.

use super::SqliteStore;
use crate::error::StoreError;
use crate::store::*;
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::path::Path;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions(
  id INTEGER PRIMARY KEY, title TEXT NOT NULL, started_ms INTEGER NOT NULL,
  ended_ms INTEGER, heartbeat_ms INTEGER NOT NULL, display TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS viewers(
  id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
  token TEXT NOT NULL UNIQUE, nickname TEXT NOT NULL, joined_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS presence(
  id INTEGER PRIMARY KEY, viewer_id INTEGER NOT NULL REFERENCES viewers(id),
  joined_ms INTEGER NOT NULL, left_ms INTEGER);
CREATE INDEX IF NOT EXISTS presence_viewer ON presence(viewer_id);
CREATE TABLE IF NOT EXISTS questions(
  id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
  viewer_id INTEGER NOT NULL REFERENCES viewers(id), text TEXT NOT NULL, status TEXT NOT NULL,
  flags TEXT NOT NULL, likes INTEGER NOT NULL DEFAULT 0, answered INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS questions_session ON questions(session_id, status);
CREATE TABLE IF NOT EXISTS likes(
  question_id INTEGER NOT NULL REFERENCES questions(id), viewer_id INTEGER NOT NULL
  REFERENCES viewers(id), created_ms INTEGER NOT NULL, PRIMARY KEY(question_id, viewer_id));
CREATE INDEX IF NOT EXISTS likes_viewer ON likes(viewer_id);
CREATE TABLE IF NOT EXISTS polls(
  id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
  title TEXT NOT NULL, options TEXT NOT NULL, state TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS votes(
  poll_id INTEGER NOT NULL REFERENCES polls(id), viewer_id INTEGER NOT NULL REFERENCES viewers(id),
  option INTEGER NOT NULL, created_ms INTEGER NOT NULL, PRIMARY KEY(poll_id, viewer_id));
CREATE TABLE IF NOT EXISTS ratings(
  session_id INTEGER NOT NULL REFERENCES sessions(id), viewer_id INTEGER NOT NULL
  REFERENCES viewers(id), stars INTEGER NOT NULL, created_ms INTEGER NOT NULL,
  PRIMARY KEY(session_id, viewer_id));
CREATE TABLE IF NOT EXISTS lotteries(
  id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id),
  title TEXT NOT NULL, kind TEXT NOT NULL, opens_at_ms INTEGER NOT NULL,
  closes_at_ms INTEGER NOT NULL, winners INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS lottery_entries(
  lottery_id INTEGER NOT NULL REFERENCES lotteries(id), viewer_id INTEGER NOT NULL
  REFERENCES viewers(id), created_ms INTEGER NOT NULL, PRIMARY KEY(lottery_id, viewer_id));
CREATE TABLE IF NOT EXISTS draws(
  lottery_id INTEGER PRIMARY KEY REFERENCES lotteries(id), seed TEXT NOT NULL,
  entrants TEXT NOT NULL, winners TEXT NOT NULL, algorithm TEXT NOT NULL,
  drawn_ms INTEGER NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '1');
";

impl SqliteStore {
    /// Opens (or creates) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL with synchronous=NORMAL: a commit survives the process dying (the app being
        // killed mid-session); only a power cut can lose the last commits.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Checkpoints (the only fsyncs) run on a thread of their own, not inside a request.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.execute_batch(SCHEMA)?;
        let schema: String =
            conn.query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })?;
        if schema != "1" {
            return Err(StoreError::Storage(format!(
                "{} has schema version {schema}, this build reads 1; use a newer Kaibo",
                path.display()
            )));
        }
        let checkpointer = spawn_checkpointer(path)?;
        Ok(Self {
            conn,
            _checkpointer: checkpointer,
        })
    }
}

/// How often the WAL is copied back into the database.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// A thread with its own connection that checkpoints the WAL (PASSIVE: never blocks writers)
/// until the returned sender is dropped, then once more (TRUNCATE) on the way out.
fn spawn_checkpointer(path: &Path) -> Result<std::sync::mpsc::Sender<()>, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("kaibo-hub-checkpoint".into())
        .spawn(move || {
            use std::sync::mpsc::RecvTimeoutError;
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    log::warn!("hub database checkpoint: {e}");
                }
            }
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        })
        .map_err(|e| StoreError::Storage(format!("cannot start the checkpoint thread: {e}")))?;
    Ok(stop)
}

pub(super) const QUESTION_COLS: &str = "q.id, q.viewer_id, v.nickname, q.text, q.status, q.flags, q.likes, \
     q.answered, q.created_ms FROM questions q JOIN viewers v ON v.id = q.viewer_id";

pub(super) fn question_row(r: &Row<'_>) -> rusqlite::Result<Question> {
    let status: String = r.get(4)?;
    let flags: String = r.get(5)?;
    Ok(Question {
        id: r.get(0)?,
        viewer_id: r.get(1)?,
        nickname: r.get(2)?,
        text: r.get(3)?,
        status: QuestionStatus::parse(&status).unwrap_or(QuestionStatus::Held),
        flags: flags
            .split('\n')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
        likes: r.get(6)?,
        answered: r.get(7)?,
        created_ms: r.get(8)?,
    })
}

impl SqliteStore {
    pub(super) fn poll_row(&self, id: Id, session: Id) -> Result<Poll, StoreError> {
        let row: Option<(String, String, String)> = self
            .conn
            .query_row(
                "SELECT title, options, state FROM polls WHERE id = ?1 AND session_id = ?2",
                params![id, session],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (title, options, state) = row.ok_or(StoreError::NotFound("poll"))?;
        let options: Vec<String> = serde_json::from_str(&options)?;
        let mut votes = vec![0u32; options.len()];
        let mut stmt = self.conn.prepare_cached(
            "SELECT option, COUNT(*) FROM votes WHERE poll_id = ?1 GROUP BY option",
        )?;
        let rows = stmt.query_map(params![id], |r| {
            Ok((r.get::<_, usize>(0)?, r.get::<_, u32>(1)?))
        })?;
        for row in rows {
            let (option, n) = row?;
            if let Some(v) = votes.get_mut(option) {
                *v = n;
            }
        }
        Ok(Poll {
            id,
            title,
            options,
            votes,
            state: PollState::parse(&state).unwrap_or(PollState::Closed),
        })
    }

    pub(super) fn lottery_row(&self, session: Id, id: Id) -> Result<Lottery, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT l.title, l.kind, l.opens_at_ms, l.closes_at_ms, l.winners,
                   (SELECT COUNT(*) FROM lottery_entries e WHERE e.lottery_id = l.id),
                   d.seed, d.entrants, d.winners, d.algorithm, d.drawn_ms
                 FROM lotteries l LEFT JOIN draws d ON d.lottery_id = l.id
                 WHERE l.id = ?1 AND l.session_id = ?2",
                params![id, session],
                |r| {
                    let kind: String = r.get(1)?;
                    let seed: Option<String> = r.get(6)?;
                    let draw = match seed {
                        Some(seed_hex) => Some((
                            seed_hex,
                            r.get::<_, String>(7)?,
                            r.get::<_, String>(8)?,
                            r.get::<_, String>(9)?,
                            r.get::<_, u64>(10)?,
                        )),
                        None => None,
                    };
                    Ok((
                        r.get::<_, String>(0)?,
                        kind,
                        r.get::<_, u64>(2)?,
                        r.get::<_, u64>(3)?,
                        r.get::<_, u32>(4)?,
                        r.get::<_, u32>(5)?,
                        draw,
                    ))
                },
            )
            .optional()?;
        let (title, kind, opens_at_ms, closes_at_ms, winners, entrants, draw) =
            row.ok_or(StoreError::NotFound("lottery"))?;
        let draw = match draw {
            Some((seed_hex, entrants, winners, algorithm, drawn_ms)) => Some(DrawRecord {
                seed_hex,
                entrants: serde_json::from_str(&entrants)?,
                winners: serde_json::from_str(&winners)?,
                algorithm,
                drawn_ms,
            }),
            None => None,
        };
        Ok(Lottery {
            id,
            title,
            kind: DrawKind::parse(&kind).unwrap_or(DrawKind::Lottery),
            opens_at_ms,
            closes_at_ms,
            winners,
            entrants,
            draw,
        })
    }
}
