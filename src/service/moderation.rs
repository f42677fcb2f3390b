//! Moderation of resident reports: the rules of each action (publish, reject, mark as a
//! duplicate, set a status), the log entry, and the write (`POST /api/reports/{id}/moderation`).

use serde::Deserialize;

use super::query::text;
use super::{Service, ServiceError, ServiceResult};
use crate::reports::{scrub, ModerationEntry, Report, Status};

/// The body of `POST /api/reports/{id}/moderation`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moderation {
    /// `publish`, `reject`, `mark_duplicate` or `set_status`.
    pub action: String,
    /// Why (required to reject).
    pub reason: Option<String>,
    /// The report this one repeats (`mark_duplicate`).
    pub duplicate_of: Option<serde_json::Value>,
    /// The new status (`set_status`).
    pub status: Option<String>,
    /// A public note on the status (scrubbed).
    pub status_note: Option<String>,
}

/// Applies a moderation action to a copy of `r`; returns the new state, the log entry and the
/// report it was marked a duplicate of (which gains a "me too").
fn apply(
    r: &Report,
    m: &Moderation,
    actor: &str,
    now: i64,
    exists: impl Fn(i64) -> Option<Report>,
) -> ServiceResult<(Report, ModerationEntry, Option<i64>)> {
    let mut n = r.clone();
    let reason = text("reason", &m.reason, 1000)?;
    let note = text("status_note", &m.status_note, 1000)?.map(|t| scrub::scrub(&t).0);
    let mut duplicate = None;
    match m.action.as_str() {
        "publish" => {
            if r.published {
                return Err(ServiceError::param(
                    "action",
                    "the report is already published",
                ));
            }
            n.published = true;
            n.status = Status::Open;
            n.duplicate_of = None;
        }
        "reject" => {
            let why = reason
                .clone()
                .ok_or_else(|| ServiceError::param("reason", "is required to reject"))?;
            n.published = false;
            n.status = Status::Rejected;
            n.reason = Some(why);
        }
        "mark_duplicate" => {
            let target = match &m.duplicate_of {
                Some(serde_json::Value::Number(x)) => x.as_i64(),
                Some(serde_json::Value::String(s)) => s.parse().ok(),
                _ => None,
            }
            .ok_or_else(|| {
                ServiceError::param(
                    "duplicate_of",
                    "is required: the id of the report this one repeats",
                )
            })?;
            if target == r.id {
                return Err(ServiceError::param(
                    "duplicate_of",
                    "a report cannot duplicate itself",
                ));
            }
            let t = exists(target).ok_or_else(|| {
                ServiceError::param("duplicate_of", format!("no report {target}"))
            })?;
            if !t.published {
                return Err(ServiceError::param(
                    "duplicate_of",
                    format!("report {target} is not published"),
                ));
            }
            n.published = false;
            n.status = Status::Duplicate;
            n.duplicate_of = Some(target);
            duplicate = Some(target);
        }
        "set_status" => {
            let s = m.status.as_deref().ok_or_else(|| {
                ServiceError::param(
                    "status",
                    "is required: open, acknowledged, in_progress or closed",
                )
            })?;
            let s = Status::parse(s)
                .filter(|s| {
                    matches!(
                        s,
                        Status::Open | Status::Acknowledged | Status::InProgress | Status::Closed
                    )
                })
                .ok_or_else(|| {
                    ServiceError::param(
                        "status",
                        format!("'{s}' is not open, acknowledged, in_progress or closed"),
                    )
                })?;
            if !r.published {
                return Err(ServiceError::param(
                    "action",
                    "publish the report before setting its status",
                ));
            }
            n.status = s;
            if note.is_some() {
                n.status_note = note.clone();
            }
        }
        other => {
            return Err(ServiceError::param(
                "action",
                format!("'{other}' is not publish, reject, mark_duplicate or set_status"),
            ))
        }
    }
    n.updated_at = now;
    let entry = ModerationEntry {
        report_id: r.id,
        at: now,
        actor: actor.to_owned(),
        action: m.action.clone(),
        reason,
        status: n.status.code().to_owned(),
        status_note: note,
        duplicate_of: duplicate,
    };
    Ok((n, entry, duplicate))
}

impl Service {
    /// Moderates report `id` as `actor` (the audit text of the caller); returns the report as
    /// stored once committed.
    ///
    /// The rules are applied to the report as this process holds it, and the write is made
    /// only if the report's moderated state is still stored so. When another moderator (here or
    /// on another replica) changed it meanwhile, nothing is written and the answer is a
    /// conflict (409): the moderator decided on a report that is no longer as they saw it — a
    /// publication must not undo a rejection it never saw — so they reload it and decide again.
    ///
    /// With `seen` (the `moderation_version` the moderator was shown, sent as `If-Match`), the
    /// decision is also refused (412) when the report this process holds is no longer that
    /// version: a decision made on a screen loaded before another moderator's.
    pub fn moderate(
        &self,
        id: i64,
        m: &Moderation,
        actor: &str,
        seen: Option<&str>,
    ) -> ServiceResult<Report> {
        let book = self.reports();
        let r = book
            .get(id)
            .ok_or_else(|| ServiceError::NotFound(format!("no report {id}")))?;
        if let Some(seen) = seen {
            if seen != r.moderation_version() {
                return Err(ServiceError::PreconditionFailed(format!(
                    "If-Match: report {id} was moderated since it was read (it is now {}{}); reload it and decide again",
                    r.status.code(),
                    if r.published { ", published" } else { "" }
                )));
            }
        }
        let now = chrono::Utc::now().timestamp();
        let (updated, entry, duplicate) = apply(&r, m, actor, now, |t| book.get(t))?;
        match self.store_moderation(r, updated, entry, duplicate) {
            Err(crate::store::writer::WriteError::Conflict(why)) => {
                // So that the moderator's reload shows what was decided meanwhile.
                self.catch_up_reports()?;
                Err(ServiceError::Conflict(why))
            }
            done => Ok(done?),
        }
    }
}
