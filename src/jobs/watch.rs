//! `jobProgress(jobId)` as a stream the resolver only maps: the job's
//! state as stored first (so a subscriber that arrives late still learns
//! the outcome), then every event published for it, ending with the job.
use futures::{Stream, StreamExt};

use super::{context::parse_public_id, queue::JobQueue};
use crate::{
    entities::user::{self, Role},
    error::{AppError, AppResult},
    infra::pubsub::Delivery,
    realtime::{JobProgress, Realtime, topics},
};

/// The progress of job `job_id` for `viewer`, who must own it or be an
/// admin (anyone else gets NOT_FOUND, as for a job that does not exist).
/// An id that is not a stored job's (a process-local task) is followed on
/// the viewer's own topic.
pub async fn watch(
    queue: &JobQueue,
    realtime: &Realtime,
    viewer: &user::Model,
    job_id: &str,
) -> AppResult<impl Stream<Item = JobProgress> + use<>> {
    if job_id.is_empty() || job_id.len() > 128 {
        return Err(AppError::validation(
            "jobId",
            "`jobId` must be 1 to 128 characters",
        ));
    }
    let Some(id) = parse_public_id(job_id) else {
        let live = realtime.pubsub.subscribe(&topics::job(viewer.id, job_id));
        return Ok(follow(live, None).boxed());
    };
    let job = queue
        .get(id)
        .await?
        .filter(|job| job.owner_id == Some(viewer.id) || viewer.role == Role::Admin)
        .ok_or_else(|| AppError::not_found("job"))?;
    // Subscribe before reading the state again: nothing falls in between.
    let live = realtime
        .pubsub
        .subscribe(&topics::job(job.owner_id.unwrap_or(0), job_id));
    let job = queue.get(id).await?.unwrap_or(job);
    let now = JobProgress {
        job_id: job_id.to_owned(),
        kind: job.kind.clone(),
        state: job.state,
        progress: job.progress,
        message: job.message.clone().or_else(|| job.last_error.clone()),
        at: job.updated_at,
    };
    Ok(follow(live, Some(now)).boxed())
}

fn follow(
    mut live: impl Stream<Item = Delivery> + Send + Unpin + 'static,
    first: Option<JobProgress>,
) -> impl Stream<Item = JobProgress> + Send {
    async_stream::stream! {
        if let Some(first) = first {
            let finished = first.state.is_final();
            yield first;
            if finished {
                return;
            }
        }
        while let Some(delivery) = live.next().await {
            let Delivery::Message(p) = delivery else { continue };
            let Ok(event) = serde_json::from_str::<JobProgress>(&p) else { continue };
            let finished = event.state.is_final();
            yield event;
            if finished {
                break;
            }
        }
    }
}
