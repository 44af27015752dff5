//! [`Store`] on SQLite (WAL, one connection, every call committed before it returns).

mod rows;

use super::*;
use rows::{QUESTION_COLS, question_row};
use rusqlite::{Connection, OptionalExtension, params};

/// The SQLite store: one file, WAL journal.
pub struct SqliteStore {
    conn: Connection,
    /// Dropping it stops the checkpoint thread.
    _checkpointer: std::sync::mpsc::Sender<()>,
}

impl Store for SqliteStore {
    fn open_session(&mut self, title: &str, now_ms: u64) -> Result<Id, StoreError> {
        let open: Option<(Id, u64)> = self
            .conn
            .query_row(
                "SELECT id, heartbeat_ms FROM sessions WHERE ended_ms IS NULL
                 ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((id, heartbeat_ms)) = open {
            // Viewers still "watching" when the hub stopped left at its last sign of life.
            self.conn.execute(
                "UPDATE presence SET left_ms = MAX(joined_ms, ?2) WHERE left_ms IS NULL
                 AND viewer_id IN (SELECT id FROM viewers WHERE session_id = ?1)",
                params![id, heartbeat_ms],
            )?;
            return Ok(id);
        }
        self.conn.execute(
            "INSERT INTO sessions(title, started_ms, heartbeat_ms) VALUES (?1, ?2, ?2)",
            params![title, now_ms],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    fn end_session(&mut self, session: Id, now_ms: u64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE presence SET left_ms = ?2 WHERE left_ms IS NULL
             AND viewer_id IN (SELECT id FROM viewers WHERE session_id = ?1)",
            params![session, now_ms],
        )?;
        self.conn.execute(
            "UPDATE sessions SET ended_ms = ?2 WHERE id = ?1 AND ended_ms IS NULL",
            params![session, now_ms],
        )?;
        Ok(())
    }

    fn heartbeat(&mut self, session: Id, now_ms: u64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE sessions SET heartbeat_ms = ?2 WHERE id = ?1",
            params![session, now_ms],
        )?;
        Ok(())
    }

    fn display(&mut self, session: Id) -> Result<String, StoreError> {
        Ok(self.conn.query_row(
            "SELECT display FROM sessions WHERE id = ?1",
            params![session],
            |r| r.get(0),
        )?)
    }

    fn set_display(&mut self, session: Id, json: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE sessions SET display = ?2 WHERE id = ?1",
            params![session, json],
        )?;
        Ok(())
    }

    fn add_viewer(
        &mut self,
        session: Id,
        token: &str,
        nickname: &str,
        now_ms: u64,
    ) -> Result<Viewer, StoreError> {
        self.conn.execute(
            "INSERT INTO viewers(session_id, token, nickname, joined_ms) VALUES (?1, ?2, ?3, ?4)",
            params![session, token, nickname, now_ms],
        )?;
        Ok(Viewer {
            id: self.conn.last_insert_rowid(),
            nickname: nickname.to_owned(),
            joined_ms: now_ms,
        })
    }

    fn viewer_by_token(&mut self, session: Id, token: &str) -> Result<Option<Viewer>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, nickname, joined_ms FROM viewers WHERE token = ?1 AND session_id = ?2",
        )?;
        Ok(stmt
            .query_row(params![token, session], |r| {
                Ok(Viewer {
                    id: r.get(0)?,
                    nickname: r.get(1)?,
                    joined_ms: r.get(2)?,
                })
            })
            .optional()?)
    }

    fn nicknames(&mut self, ids: &[Id]) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT nickname FROM viewers WHERE id = ?1")?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let name: Option<String> = stmt.query_row(params![id], |r| r.get(0)).optional()?;
            out.push(name.unwrap_or_default());
        }
        Ok(out)
    }

    fn presence_start(&mut self, viewer: Id, now_ms: u64) -> Result<Id, StoreError> {
        self.conn.execute(
            "INSERT INTO presence(viewer_id, joined_ms) VALUES (?1, ?2)",
            params![viewer, now_ms],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    fn presence_end(&mut self, presence: Id, now_ms: u64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE presence SET left_ms = MAX(joined_ms, ?2) WHERE id = ?1 AND left_ms IS NULL",
            params![presence, now_ms],
        )?;
        Ok(())
    }

    fn add_question(
        &mut self,
        session: Id,
        viewer: Id,
        text: &str,
        status: QuestionStatus,
        flags: &[String],
        now_ms: u64,
    ) -> Result<Question, StoreError> {
        self.conn.execute(
            "INSERT INTO questions(session_id, viewer_id, text, status, flags, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                session,
                viewer,
                text,
                status.as_str(),
                flags.join("\n"),
                now_ms
            ],
        )?;
        let id = self.conn.last_insert_rowid();
        self.question(session, id)
    }

    fn question(&mut self, session: Id, id: Id) -> Result<Question, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {QUESTION_COLS} WHERE q.id = ?1 AND q.session_id = ?2"
        ))?;
        stmt.query_row(params![id, session], question_row)
            .optional()?
            .ok_or(StoreError::NotFound("question"))
    }

    fn questions(
        &mut self,
        session: Id,
        statuses: &[QuestionStatus],
        order: QuestionOrder,
    ) -> Result<Vec<Question>, StoreError> {
        let order = match order {
            QuestionOrder::Likes => "q.likes DESC, q.id ASC",
            QuestionOrder::Newest => "q.id DESC",
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {QUESTION_COLS} WHERE q.session_id = ?1 ORDER BY {order}"
        ))?;
        let rows = stmt.query_map(params![session], question_row)?;
        let mut out = Vec::new();
        for q in rows {
            let q = q?;
            if statuses.contains(&q.status) {
                out.push(q);
            }
        }
        Ok(out)
    }

    fn set_question_status(
        &mut self,
        session: Id,
        id: Id,
        status: QuestionStatus,
    ) -> Result<Question, StoreError> {
        let n = self.conn.execute(
            "UPDATE questions SET status = ?3 WHERE id = ?1 AND session_id = ?2",
            params![id, session, status.as_str()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound("question"));
        }
        self.question(session, id)
    }

    fn set_answered(&mut self, session: Id, id: Id) -> Result<Question, StoreError> {
        let n = self.conn.execute(
            "UPDATE questions SET answered = 1 WHERE id = ?1 AND session_id = ?2",
            params![id, session],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound("question"));
        }
        self.question(session, id)
    }

    fn like(
        &mut self,
        session: Id,
        question: Id,
        viewer: Id,
        now_ms: u64,
    ) -> Result<Question, StoreError> {
        let q = self.question(session, question)?;
        if q.status != QuestionStatus::Visible {
            return Err(StoreError::NotFound("question"));
        }
        let tx = self.conn.transaction()?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO likes(question_id, viewer_id, created_ms) VALUES (?1, ?2, ?3)",
            params![question, viewer, now_ms],
        )?;
        if inserted == 0 {
            return Err(StoreError::conflict(
                "already-liked",
                "you already liked this question; a viewer likes a question once",
            ));
        }
        tx.execute(
            "UPDATE questions SET likes = likes + 1 WHERE id = ?1",
            params![question],
        )?;
        tx.commit()?;
        self.question(session, question)
    }

    fn liked_by(&mut self, session: Id, viewer: Id) -> Result<Vec<Id>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT l.question_id FROM likes l JOIN questions q ON q.id = l.question_id
             WHERE l.viewer_id = ?1 AND q.session_id = ?2",
        )?;
        let rows = stmt.query_map(params![viewer, session], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn create_poll(
        &mut self,
        session: Id,
        title: &str,
        options: &[String],
        now_ms: u64,
    ) -> Result<Poll, StoreError> {
        self.conn.execute(
            "INSERT INTO polls(session_id, title, options, state, created_ms)
             VALUES (?1, ?2, ?3, 'draft', ?4)",
            params![session, title, serde_json::to_string(options)?, now_ms],
        )?;
        let id = self.conn.last_insert_rowid();
        self.poll_row(id, session)
    }

    fn poll(&mut self, session: Id, id: Id) -> Result<Poll, StoreError> {
        self.poll_row(id, session)
    }

    fn polls(&mut self, session: Id) -> Result<Vec<Poll>, StoreError> {
        let ids: Vec<Id> = {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT id FROM polls WHERE session_id = ?1 ORDER BY id")?;
            let rows = stmt.query_map(params![session], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        ids.into_iter()
            .map(|id| self.poll_row(id, session))
            .collect()
    }

    fn set_poll_state(
        &mut self,
        session: Id,
        id: Id,
        state: PollState,
    ) -> Result<Poll, StoreError> {
        self.poll_row(id, session)?;
        let tx = self.conn.transaction()?;
        if state == PollState::Open {
            tx.execute(
                "UPDATE polls SET state = 'closed' WHERE session_id = ?1 AND state = 'open'",
                params![session],
            )?;
        }
        tx.execute(
            "UPDATE polls SET state = ?2 WHERE id = ?1",
            params![id, state.as_str()],
        )?;
        tx.commit()?;
        self.poll_row(id, session)
    }

    fn vote(
        &mut self,
        session: Id,
        poll: Id,
        viewer: Id,
        option: usize,
        now_ms: u64,
    ) -> Result<Poll, StoreError> {
        let p = self.poll_row(poll, session)?;
        if p.state != PollState::Open {
            return Err(StoreError::conflict(
                "poll-closed",
                "this poll is not open for votes",
            ));
        }
        if option >= p.options.len() {
            return Err(StoreError::conflict(
                "no-such-option",
                format!(
                    "the poll has options 0 to {}",
                    p.options.len().saturating_sub(1)
                ),
            ));
        }
        let inserted = self.conn.execute(
            "INSERT OR IGNORE INTO votes(poll_id, viewer_id, option, created_ms)
             VALUES (?1, ?2, ?3, ?4)",
            params![poll, viewer, option, now_ms],
        )?;
        if inserted == 0 {
            return Err(StoreError::conflict(
                "already-voted",
                "you already voted in this poll",
            ));
        }
        self.poll_row(poll, session)
    }

    fn vote_of(&mut self, poll: Id, viewer: Id) -> Result<Option<usize>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT option FROM votes WHERE poll_id = ?1 AND viewer_id = ?2",
                params![poll, viewer],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn rate(&mut self, session: Id, viewer: Id, stars: u8, now_ms: u64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO ratings(session_id, viewer_id, stars, created_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(session_id, viewer_id) DO UPDATE SET stars = ?3, created_ms = ?4",
            params![session, viewer, stars, now_ms],
        )?;
        Ok(())
    }

    fn rating(&mut self, session: Id) -> Result<(f32, u32), StoreError> {
        let (avg, n): (Option<f64>, u32) = self.conn.query_row(
            "SELECT AVG(stars), COUNT(*) FROM ratings WHERE session_id = ?1",
            params![session],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((avg.unwrap_or(0.0) as f32, n))
    }

    fn create_lottery(&mut self, session: Id, new: &NewLottery) -> Result<Lottery, StoreError> {
        self.conn.execute(
            "INSERT INTO lotteries(session_id, title, kind, opens_at_ms, closes_at_ms, winners)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                session,
                new.title,
                new.kind.as_str(),
                new.opens_at_ms,
                new.closes_at_ms,
                new.winners
            ],
        )?;
        let id = self.conn.last_insert_rowid();
        self.lottery_row(session, id)
    }

    fn lottery(&mut self, session: Id, id: Id) -> Result<Lottery, StoreError> {
        self.lottery_row(session, id)
    }

    fn latest_lottery(&mut self, session: Id) -> Result<Option<Lottery>, StoreError> {
        let id: Option<Id> = self
            .conn
            .query_row(
                "SELECT id FROM lotteries WHERE session_id = ?1 ORDER BY id DESC LIMIT 1",
                params![session],
                |r| r.get(0),
            )
            .optional()?;
        id.map(|id| self.lottery_row(session, id)).transpose()
    }

    fn close_lottery(&mut self, session: Id, id: Id, now_ms: u64) -> Result<Lottery, StoreError> {
        self.lottery_row(session, id)?;
        self.conn.execute(
            "UPDATE lotteries SET closes_at_ms = MAX(opens_at_ms, ?2)
             WHERE id = ?1 AND closes_at_ms > ?2",
            params![id, now_ms],
        )?;
        self.lottery_row(session, id)
    }

    fn enter_lottery(
        &mut self,
        session: Id,
        lottery: Id,
        viewer: Id,
        now_ms: u64,
    ) -> Result<Lottery, StoreError> {
        let l = self.lottery_row(session, lottery)?;
        if now_ms < l.opens_at_ms {
            return Err(StoreError::conflict(
                "lottery-not-open",
                "the draw has not opened yet; wait for the countdown",
            ));
        }
        if now_ms >= l.closes_at_ms || l.draw.is_some() {
            return Err(StoreError::conflict(
                "lottery-closed",
                "entries for this draw have closed",
            ));
        }
        let inserted = self.conn.execute(
            "INSERT OR IGNORE INTO lottery_entries(lottery_id, viewer_id, created_ms)
             VALUES (?1, ?2, ?3)",
            params![lottery, viewer, now_ms],
        )?;
        if inserted == 0 {
            return Err(StoreError::conflict(
                "already-entered",
                "you are already in this draw",
            ));
        }
        self.lottery_row(session, lottery)
    }

    fn entered(&mut self, lottery: Id, viewer: Id) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM lottery_entries WHERE lottery_id = ?1 AND viewer_id = ?2",
                params![lottery, viewer],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn entrants(&mut self, lottery: Id) -> Result<Vec<Id>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT viewer_id FROM lottery_entries WHERE lottery_id = ?1 ORDER BY viewer_id",
        )?;
        let rows = stmt.query_map(params![lottery], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn record_draw(
        &mut self,
        session: Id,
        lottery: Id,
        draw: &DrawRecord,
    ) -> Result<(), StoreError> {
        let l = self.lottery_row(session, lottery)?;
        if l.draw.is_some() {
            return Err(StoreError::conflict(
                "already-drawn",
                "this draw was already made; its winners stand",
            ));
        }
        self.conn.execute(
            "INSERT INTO draws(lottery_id, seed, entrants, winners, algorithm, drawn_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                lottery,
                draw.seed_hex,
                serde_json::to_string(&draw.entrants)?,
                serde_json::to_string(&draw.winners)?,
                draw.algorithm,
                draw.drawn_ms
            ],
        )?;
        Ok(())
    }

    fn report(&mut self, session: Id, now_ms: u64) -> Result<Report, StoreError> {
        super::report::report(&self.conn, session, now_ms)
    }
}
