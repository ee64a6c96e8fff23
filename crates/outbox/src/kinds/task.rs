//! Where a Task on the server stands against a claim or a completion.

use crate::change::Standing;
use serde_json::Value;
use switchboard_core::status::CLOSED_TASK;

fn owner_of(task: &Value) -> Option<String> {
    task.pointer("/owner/reference").or_else(|| task.pointer("/owner/display")).and_then(Value::as_str).map(str::to_string)
}

/// Where a task stands against a claim by `owner`.
pub(crate) fn claim_state(task: &Value, owner: &str) -> Standing {
    let status = task["status"].as_str().unwrap_or_default();
    match owner_of(task) {
        Some(holder) if holder == owner && status == "in-progress" => Standing::Done,
        Some(holder) if status == "in-progress" => Standing::Blocked(format!("already claimed by {holder}")),
        _ if CLOSED_TASK.contains(&status) => Standing::Blocked(format!("the task is already {status}")),
        _ => Standing::Open,
    }
}

/// Where a task stands against completing it (or anything else that needs it open).
pub(crate) fn complete_state(task: &Value) -> Standing {
    match task["status"].as_str().unwrap_or_default() {
        "completed" => Standing::Done,
        status if CLOSED_TASK.contains(&status) => Standing::Blocked(format!("the task is already {status}")),
        _ => Standing::Open,
    }
}
