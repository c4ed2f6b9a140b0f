//! An answer's tokens on their way to its subscribers, on every instance.
//!
//! The answering job is the only writer: each token goes into a snapshot
//! in the shared kv (`{run, seq, text}`: the answer so far) and then out on
//! the answer's topic as `{run, seq, kind, delta}`. A new run (a retried
//! job, or the chat model's stream cut so the offline answer starts over)
//! publishes RESTART. The stored row is the end: DONE (or FAILED) with the
//! full answer, its sources and confidence.
//!
//! A subscriber subscribes first, then catches up from the snapshot, then
//! applies events in order; on a gap (a lost publication, a lagging
//! subscriber) or every [`RESYNC`] without news it re-reads the snapshot and
//! the row, so it never misses text and never repeats it, however late it
//! arrives.
use std::{sync::Arc, time::Duration};

use futures::{Stream, StreamExt};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde::{Deserialize, Serialize};

use crate::{
    entities::assistant_message::{self as message, AnswerStatus},
    infra::{kv::Kv, pubsub::Delivery},
    realtime::Realtime,
};

/// How long a subscriber waits for news before it re-reads.
pub const RESYNC: Duration = Duration::from_secs(1);
/// How long a snapshot outlives its last write.
const SNAPSHOT_TTL: Duration = Duration::from_secs(600);

pub fn topic(message_id: i64) -> String {
    format!("assistant:answer:{message_id}")
}

fn snapshot_key(prefix: &str, message_id: i64) -> String {
    format!("{prefix}:assistant:answer:{message_id}")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventKind {
    Token,
    Restart,
    /// The row is final: read it.
    Done,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Published {
    run: u32,
    seq: u32,
    kind: EventKind,
    #[serde(default)]
    delta: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
struct Snapshot {
    run: u32,
    seq: u32,
    text: String,
}

/// The job's side: publishes one run's tokens.
pub struct Streamer {
    realtime: Realtime,
    kv: Arc<dyn Kv>,
    key: String,
    topic: String,
    now: Snapshot,
    /// Tokens published (metrics, tests).
    pub tokens: usize,
}

impl Streamer {
    /// Starts run `run` (distinct per attempt) of message `message_id`.
    pub async fn start(
        realtime: Realtime,
        kv: Arc<dyn Kv>,
        prefix: &str,
        message_id: i64,
        run: u32,
    ) -> Self {
        let mut streamer = Self {
            realtime,
            kv,
            key: snapshot_key(prefix, message_id),
            topic: topic(message_id),
            now: Snapshot {
                run,
                seq: 0,
                text: String::new(),
            },
            tokens: 0,
        };
        streamer.publish(EventKind::Restart, "").await;
        streamer
    }

    async fn publish(&mut self, kind: EventKind, delta: &str) {
        if let Ok(json) = serde_json::to_string(&self.now)
            && let Err(e) = self.kv.set_text(&self.key, &json, SNAPSHOT_TTL).await
        {
            tracing::warn!(error = %e, "cannot store the answer's snapshot");
        }
        let event = Published {
            run: self.now.run,
            seq: self.now.seq,
            kind,
            delta: delta.to_owned(),
        };
        self.realtime.publish(&self.topic, &event).await;
    }

    /// The answer so far.
    pub fn text(&self) -> &str {
        &self.now.text
    }

    /// Appends a token.
    pub async fn token(&mut self, delta: &str) {
        if delta.is_empty() {
            return;
        }
        self.now.seq += 1;
        self.now.text.push_str(delta);
        self.tokens += 1;
        self.publish(EventKind::Token, delta).await;
    }

    /// Throws the text so far away: the answer starts over.
    pub async fn restart(&mut self) {
        self.now = Snapshot {
            run: self.now.run + 1,
            seq: 0,
            text: String::new(),
        };
        self.publish(EventKind::Restart, "").await;
    }

    /// Tells subscribers the row is final.
    pub async fn done(mut self) {
        self.publish(EventKind::Done, "").await;
    }
}

/// What a subscriber receives.
#[derive(Clone, Debug, PartialEq)]
pub enum AnswerEvent {
    Token(String),
    /// Forget the text so far.
    Restart,
    /// The stored answer (DONE or FAILED).
    Done(message::Model),
}

/// Follows message `message_id` until its answer is final. The caller has
/// checked that the viewer may see it.
pub fn follow(
    db: DatabaseConnection,
    realtime: Realtime,
    kv: Arc<dyn Kv>,
    prefix: String,
    message_id: i64,
) -> impl Stream<Item = AnswerEvent> + Send {
    async_stream::stream! {
        let mut live = realtime.pubsub.subscribe(&topic(message_id));
        let key = snapshot_key(&prefix, message_id);
        // What this subscriber has shown: (run, seq, chars of text), and
        // the text itself.
        let mut shown: Option<(u32, u32, usize)> = None;
        let mut shown_text = String::new();
        loop {
            // Catch up from the row, then the snapshot.
            match message::Entity::find_by_id(message_id).one(&db).await {
                Ok(Some(row)) if matches!(row.status, AnswerStatus::Done | AnswerStatus::Failed) => {
                    // Whatever was shown becomes the stored answer exactly.
                    let shown_text = shown_text.as_str();
                    if let Some(rest) = row.content.strip_prefix(shown_text) {
                        if !rest.is_empty() {
                            yield AnswerEvent::Token(rest.to_owned());
                        }
                    } else {
                        yield AnswerEvent::Restart;
                        if !row.content.is_empty() {
                            yield AnswerEvent::Token(row.content.clone());
                        }
                    }
                    yield AnswerEvent::Done(row);
                    return;
                }
                Ok(None) => return,
                Ok(Some(_)) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read the answer"),
            }
            let snapshot: Option<Snapshot> = match kv.get_text(&key).await {
                Ok(raw) => raw.and_then(|r| serde_json::from_str(&r).ok()),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the answer's snapshot");
                    None
                }
            };
            if let Some(s) = snapshot {
                match shown {
                    Some((run, _, chars)) if run == s.run => {
                        let rest: String = s.text.chars().skip(chars).collect();
                        if !rest.is_empty() {
                            shown_text.push_str(&rest);
                            yield AnswerEvent::Token(rest);
                        }
                    }
                    _ => {
                        if shown.is_some_and(|(_, _, chars)| chars > 0) {
                            yield AnswerEvent::Restart;
                        }
                        shown_text = s.text.clone();
                        if !s.text.is_empty() {
                            yield AnswerEvent::Token(s.text.clone());
                        }
                    }
                }
                shown = Some((s.run, s.seq, s.text.chars().count()));
            }
            // Then live events, until a gap, the end, or silence.
            loop {
                let next = tokio::time::timeout(RESYNC, live.next()).await;
                let delivery = match next {
                    Ok(Some(d)) => d,
                    Ok(None) => return,
                    Err(_) => break,
                };
                let Delivery::Message(payload) = delivery else { break };
                let Ok(event) = serde_json::from_str::<Published>(&payload) else { continue };
                match event.kind {
                    EventKind::Done => break,
                    EventKind::Restart => {
                        if shown.is_some_and(|(run, _, _)| run >= event.run) {
                            continue;
                        }
                        if shown.is_some_and(|(_, _, chars)| chars > 0) {
                            yield AnswerEvent::Restart;
                        }
                        shown = Some((event.run, 0, 0));
                        shown_text.clear();
                    }
                    EventKind::Token => match shown {
                        Some((run, seq, chars)) if run == event.run && event.seq == seq + 1 => {
                            shown = Some((run, event.seq, chars + event.delta.chars().count()));
                            shown_text.push_str(&event.delta);
                            yield AnswerEvent::Token(event.delta);
                        }
                        Some((run, seq, _)) if run == event.run && event.seq <= seq => {}
                        _ => break,
                    },
                }
            }
        }
    }
}
