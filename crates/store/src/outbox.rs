//! The outbox: every staff action is written here in the same transaction as its local effect on the
//! cache, and stays until the server has confirmed it.

use crate::db::Store;
use crate::error::StoreError;
use crate::ingest::Writer;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use switchboard_core::{LocalId, OutboxState};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS), serde(rename_all = "camelCase"))]
pub struct OutboxRow {
    pub seq: i64,
    pub id: String,
    pub source: String,
    pub kind: String,
    pub target: String,
    pub intent: String,
    pub state: OutboxState,
    pub attempts: i64,
    pub not_before: Option<String>,
    pub error: Option<String>,
    pub result: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Who queued it (`switchboard_core::Actor` as JSON); None on rows from before it was kept.
    pub actor: Option<String>,
}

const COLUMNS: &str = "seq, id, source, kind, target, intent, state, attempts, not_before, error, result, created_at, updated_at, actor";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        source: r.get(2)?,
        kind: r.get(3)?,
        target: r.get(4)?,
        intent: r.get(5)?,
        state: crate::word(r, 6)?,
        attempts: r.get(7)?,
        not_before: r.get(8)?,
        error: r.get(9)?,
        result: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
        actor: r.get(13)?,
    })
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent {
        result: String,
    },
    /// Try again at `not_before`.
    Retry {
        error: String,
        not_before: String,
    },
    Failed {
        error: String,
    },
    Conflict {
        error: String,
    },
}

impl Delivery {
    /// The outbox state this outcome leaves the action in.
    pub fn state(&self) -> OutboxState {
        match self {
            Delivery::Sent { .. } => OutboxState::Sent,
            Delivery::Retry { .. } => OutboxState::Pending,
            Delivery::Failed { .. } => OutboxState::Failed,
            Delivery::Conflict { .. } => OutboxState::Conflict,
        }
    }
}

impl Writer<'_> {
    /// Queues an action (its local effect is written through the same writer).
    pub fn enqueue(&mut self, id: &str, source: &str, kind: &str, target: &str, intent: &str, actor: &str) -> Result<(), StoreError> {
        self.tx()
            .prepare_cached(
                "INSERT INTO outbox (id, source, kind, target, intent, state, created_at, updated_at, actor)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?7, ?6, ?6, ?8)",
            )?
            .execute(params![id, source, kind, target, intent, self.synced_at(), OutboxState::Pending.as_str(), actor])?;
        Ok(())
    }

    /// Records how a delivery ended. `Sent` with the server's resource replaces the local copy.
    pub fn record_delivery(&mut self, id: &str, delivery: &Delivery) -> Result<(), StoreError> {
        let now = self.synced_at().to_string();
        let state = delivery.state();
        let (error, not_before, result) = match delivery {
            Delivery::Sent { result } => (None, None, Some(result.as_str())),
            Delivery::Retry { error, not_before } => (Some(error.as_str()), Some(not_before.as_str()), None),
            Delivery::Failed { error } | Delivery::Conflict { error } => (Some(error.as_str()), None, None),
        };
        self.tx().execute(
            "UPDATE outbox SET state = ?2, error = ?3, not_before = ?4, result = coalesce(?5, result),
               attempts = attempts + 1, updated_at = ?6 WHERE id = ?1",
            params![id, state.as_str(), error, not_before, result, now],
        )?;
        if matches!(state, OutboxState::Sent | OutboxState::Conflict) {
            // Settled: the server's copy (written alongside) stands, and a local copy of something the
            // server never created goes.
            self.release_local_copies(id)?;
        }
        Ok(())
    }

    /// Puts a failed or conflicting action back in the queue, or discards it.
    pub fn set_outbox_state(&mut self, id: &str, state: OutboxState) -> Result<bool, StoreError> {
        let now = self.synced_at().to_string();
        let changed = self.tx().execute(
            "UPDATE outbox SET state = ?2, not_before = NULL, updated_at = ?3 WHERE id = ?1 AND state IN (?4, ?5, ?6)",
            params![id, state.as_str(), now, OutboxState::Failed.as_str(), OutboxState::Conflict.as_str(), OutboxState::Pending.as_str()],
        )?;
        if state == OutboxState::Discarded {
            // The next sync brings back the server's copies of what the action had changed here.
            self.release_local_copies(id)?;
        }
        Ok(changed > 0)
    }

    /// Drops the local copy of what the action created, and unmarks what it changed.
    fn release_local_copies(&mut self, id: &str) -> Result<(), StoreError> {
        let created = LocalId::for_action(id);
        self.tx().execute("DELETE FROM resource WHERE pending_action = ?1 AND id = ?2", params![id, created.as_str()])?;
        self.tx().execute("UPDATE resource SET pending_action = NULL WHERE pending_action = ?1", params![id])?;
        Ok(())
    }
}

impl Store {
    /// Makes `source`'s pending actions due now (a person just signed in again: no need to wait out
    /// the backoff their refused tries earned). Returns how many.
    pub fn due_now(&mut self, source: &str) -> Result<usize, StoreError> {
        Ok(self.conn.execute("UPDATE outbox SET not_before = NULL WHERE source = ?1 AND state = ?2", params![source, OutboxState::Pending.as_str()])?)
    }

    /// Every outbox row, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {COLUMNS} FROM outbox ORDER BY seq"))?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Up to `limit` actions due for delivery, oldest first: pending ones whose target has no older
    /// unsettled action.
    pub fn due(&self, source: &str, now: &str, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox o WHERE source = ?2 AND state = ?3 AND (not_before IS NULL OR not_before <= ?1)
               AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.target = o.target AND e.seq < o.seq AND e.state IN (?3, ?4, ?5))
             ORDER BY seq LIMIT ?6"
        );
        let unsettled = [OutboxState::Pending, OutboxState::Failed, OutboxState::Conflict].map(OutboxState::as_str);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![now, source, unsettled[0], unsettled[1], unsettled[2], limit as i64], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn outbox_row(&self, id: &str) -> Result<Option<OutboxRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([id], row).optional()?)
    }
}

impl Store {
    /// Retry (`pending`) or give up (`discarded`) a failed, conflicting or pending action, in its own
    /// transaction. Returns whether there was such an action.
    pub fn set_outbox_state(&mut self, id: &str, state: OutboxState, now: &str) -> Result<bool, StoreError> {
        if !matches!(state, OutboxState::Pending | OutboxState::Discarded) {
            return Err(StoreError::BadResource(format!("an action can be set to pending or discarded, not {state}")));
        }
        let mut writer = self.writer(now)?;
        let changed = writer.set_outbox_state(id, state)?;
        writer.commit()?;
        Ok(changed)
    }

    /// How many of a source's actions wait to be sent.
    pub fn pending_count(&self, source: &str) -> Result<u32, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT count(*) FROM outbox WHERE state = ?1 AND source = ?2")?;
        Ok(stmt.query_row(params![OutboxState::Pending.as_str(), source], |r| r.get(0))?)
    }

    /// The cached resources an undelivered action changed locally.
    pub fn changed_by(&self, action_id: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT json FROM resource WHERE pending_action = ?1")?;
        let rows = stmt.query_map([action_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The undelivered action whose local change a cached resource ("Type/id") now holds, if any.
    pub fn pending_action_of(&self, source: &str, target: &str) -> Result<Option<String>, StoreError> {
        let Some((kind, id)) = target.split_once('/') else { return Ok(None) };
        let mut stmt = self.conn.prepare_cached("SELECT pending_action FROM resource WHERE source = ?1 AND type = ?2 AND id = ?3")?;
        Ok(stmt.query_row(params![source, kind, id], |r| r.get(0)).optional()?.flatten())
    }
}
