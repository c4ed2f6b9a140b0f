//! What a job kind is: a serde payload type with a name ([`JobKind`]), its
//! execution options ([`KindOptions`]: concurrency, timeout, attempts,
//! backoff), and the handler that runs it, collected in a [`Registry`]
//! that the workers of an instance serve.
use std::{collections::BTreeMap, future::Future, pin::Pin, sync::Arc, time::Duration};

use serde::{Serialize, de::DeserializeOwned};

use super::context::JobContext;

/// A typed job: the payload is the value itself, stored as JSON.
pub trait JobKind: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The stored kind name (`SEARCH_REINDEX`); never change it once jobs
    /// of the kind may be queued.
    const KIND: &'static str;

    fn options() -> KindOptions {
        KindOptions::default()
    }
}

/// How the jobs of one kind run.
#[derive(Clone, Debug)]
pub struct KindOptions {
    /// Jobs of this kind one instance runs at once.
    pub concurrency: usize,
    /// An attempt running longer fails (and is retried like any failure).
    pub timeout: Duration,
    /// After this many failed attempts the job is DEAD.
    pub max_attempts: u32,
    pub backoff: Backoff,
}

impl KindOptions {
    /// A long job that runs one at a time per instance (it uses the
    /// machine): up to 4 hours, 3 attempts, backoff from `base` up to 60×.
    pub fn long_exclusive(base: Duration) -> Self {
        Self {
            concurrency: 1,
            timeout: Duration::from_secs(4 * 3600),
            max_attempts: 3,
            backoff: Backoff {
                base,
                cap: base.saturating_mul(60),
                jitter: 0.2,
            },
        }
    }
}

impl Default for KindOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            timeout: Duration::from_secs(300),
            max_attempts: 5,
            backoff: Backoff::default(),
        }
    }
}

/// Exponential backoff with jitter: attempt n waits
/// `min(cap, base·2^(n-1))`, less up to `jitter` of it at random, so a
/// burst of failures does not retry in lockstep.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    /// 0.0 (none) to 1.0 (anywhere between 0 and the full delay).
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(3600),
            jitter: 0.2,
        }
    }
}

impl Backoff {
    /// The full (un-jittered) delay after failed attempt `attempt` (1-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(31));
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The delay after failed attempt `attempt`, with `unit` in [0, 1)
    /// choosing where in the jitter band it falls.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(attempt);
        let cut = self.jitter.clamp(0.0, 1.0) * unit.clamp(0.0, 1.0);
        ceiling.mul_f64(1.0 - cut)
    }
}

/// An error not worth retrying (the payload cannot be read, the thing it
/// names is gone): the job goes DEAD at once.
#[derive(Debug)]
pub struct Permanent(pub String);

impl std::fmt::Display for Permanent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Permanent {}

/// Wraps `message` as a [`Permanent`] failure.
pub fn permanent(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Permanent(message.into()))
}

/// What a handler returns: a one-line summary kept as the job's result.
pub type HandlerResult = anyhow::Result<String>;
type BoxedRun = Arc<
    dyn Fn(JobContext, String) -> Pin<Box<dyn Future<Output = HandlerResult> + Send>> + Send + Sync,
>;

/// One registered kind.
#[derive(Clone)]
pub struct Registered {
    pub options: KindOptions,
    pub(super) run: BoxedRun,
}

/// The kinds an instance's workers run. Kinds not registered stay queued
/// for an instance that has them.
#[derive(Clone, Default)]
pub struct Registry {
    kinds: BTreeMap<&'static str, Registered>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for `J` with `J::options()`.
    pub fn register<J, F, Fut>(&mut self, handler: F) -> &mut Self
    where
        J: JobKind,
        F: Fn(JobContext, J) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.register_with::<J, F, Fut>(J::options(), handler)
    }

    /// Registers `handler` for `J` with explicit options.
    pub fn register_with<J, F, Fut>(&mut self, options: KindOptions, handler: F) -> &mut Self
    where
        J: JobKind,
        F: Fn(JobContext, J) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let run: BoxedRun = Arc::new(move |ctx, payload| {
            let handler = handler.clone();
            Box::pin(async move {
                let job: J = serde_json::from_str(&payload).map_err(|e| {
                    permanent(format!("the {} payload cannot be read: {e}", J::KIND))
                })?;
                handler(ctx, job).await
            })
        });
        self.kinds.insert(J::KIND, Registered { options, run });
        self
    }

    pub fn get(&self, kind: &str) -> Option<&Registered> {
        self.kinds.get(kind)
    }

    pub fn kinds(&self) -> impl Iterator<Item = (&'static str, &Registered)> {
        self.kinds.iter().map(|(k, r)| (*k, r))
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitters_below_it() {
        let b = Backoff {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(30),
            jitter: 0.25,
        };
        let ceilings: Vec<u64> = (1..=6).map(|n| b.ceiling(n).as_secs()).collect();
        assert_eq!(ceilings, [2, 4, 8, 16, 30, 30]);
        assert_eq!(b.delay(3, 0.0), Duration::from_secs(8));
        assert_eq!(b.delay(3, 0.999_999).as_secs(), 6);
        for n in 1..=40 {
            let d = b.delay(n, 0.5);
            assert!(d <= b.ceiling(n) && d >= b.ceiling(n).mul_f64(0.75), "{n}");
        }
    }
}
