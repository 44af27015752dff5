//! The session's figures: views, watch time and interaction conversion.

use super::Id;
use crate::error::StoreError;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

/// What a host report needs, computed from stored rows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub session_id: Id,
    pub title: String,
    pub started_ms: u64,
    pub ended_ms: Option<u64>,
    /// Viewers who joined (each pseudonymous viewer once).
    pub views: u32,
    /// Viewers who watched (connected to live updates) at least once.
    pub watchers: u32,
    /// Mean watch time of watchers, seconds (open presence counted up to now).
    pub average_watch_s: f64,
    /// Viewers who asked, liked, voted, rated or entered a draw.
    pub interacting_viewers: u32,
    /// `interacting_viewers / views` (0 with no views).
    pub interaction_conversion: f64,
    pub questions: u32,
    pub questions_held: u32,
    pub likes: u32,
    pub votes: u32,
    pub ratings: u32,
    pub average_rating: f64,
    pub lottery_entries: u32,
    pub draws: u32,
}

fn count(conn: &Connection, sql: &str, session: Id) -> Result<u32, StoreError> {
    Ok(conn.query_row(sql, params![session], |r| r.get::<_, u32>(0))?)
}

/// Computes the report of `session`, counting open presence up to `now_ms`.
pub(super) fn report(conn: &Connection, session: Id, now_ms: u64) -> Result<Report, StoreError> {
    let (title, started_ms, ended_ms): (String, u64, Option<u64>) = conn.query_row(
        "SELECT title, started_ms, ended_ms FROM sessions WHERE id = ?1",
        params![session],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let views = count(
        conn,
        "SELECT COUNT(*) FROM viewers WHERE session_id = ?1",
        session,
    )?;
    let (watchers, total_ms): (u32, i64) = conn.query_row(
        "SELECT COUNT(DISTINCT p.viewer_id),
                COALESCE(SUM(COALESCE(p.left_ms, ?2) - p.joined_ms), 0)
         FROM presence p JOIN viewers v ON v.id = p.viewer_id WHERE v.session_id = ?1",
        params![session, now_ms],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let interacting = count(
        conn,
        "SELECT COUNT(*) FROM (
            SELECT viewer_id FROM questions WHERE session_id = ?1
            UNION SELECT l.viewer_id FROM likes l JOIN questions q ON q.id = l.question_id
                  WHERE q.session_id = ?1
            UNION SELECT v.viewer_id FROM votes v JOIN polls p ON p.id = v.poll_id
                  WHERE p.session_id = ?1
            UNION SELECT viewer_id FROM ratings WHERE session_id = ?1
            UNION SELECT e.viewer_id FROM lottery_entries e JOIN lotteries l ON l.id = e.lottery_id
                  WHERE l.session_id = ?1)",
        session,
    )?;
    let (ratings, average_rating): (u32, Option<f64>) = conn.query_row(
        "SELECT COUNT(*), AVG(stars) FROM ratings WHERE session_id = ?1",
        params![session],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(Report {
        session_id: session,
        title,
        started_ms,
        ended_ms,
        views,
        watchers,
        average_watch_s: if watchers == 0 {
            0.0
        } else {
            total_ms.max(0) as f64 / 1000.0 / f64::from(watchers)
        },
        interacting_viewers: interacting,
        interaction_conversion: if views == 0 {
            0.0
        } else {
            f64::from(interacting) / f64::from(views)
        },
        questions: count(
            conn,
            "SELECT COUNT(*) FROM questions WHERE session_id = ?1",
            session,
        )?,
        questions_held: count(
            conn,
            "SELECT COUNT(*) FROM questions WHERE session_id = ?1 AND status = 'held'",
            session,
        )?,
        likes: count(
            conn,
            "SELECT COUNT(*) FROM likes l JOIN questions q ON q.id = l.question_id
             WHERE q.session_id = ?1",
            session,
        )?,
        votes: count(
            conn,
            "SELECT COUNT(*) FROM votes v JOIN polls p ON p.id = v.poll_id WHERE p.session_id = ?1",
            session,
        )?,
        ratings,
        average_rating: average_rating.unwrap_or(0.0),
        lottery_entries: count(
            conn,
            "SELECT COUNT(*) FROM lottery_entries e JOIN lotteries l ON l.id = e.lottery_id
             WHERE l.session_id = ?1",
            session,
        )?,
        draws: count(
            conn,
            "SELECT COUNT(*) FROM draws d JOIN lotteries l ON l.id = d.lottery_id
             WHERE l.session_id = ?1",
            session,
        )?,
    })
}
