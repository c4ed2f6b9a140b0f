//! Request-scoped batching of loads, dispatched when the request has
//! nothing more to add rather than after a fixed delay.
//!
//! async-graphql resolves the fields of an object and the items of a list as
//! futures joined inside the request's one task. Every `load_one` made
//! during one pass over those futures joins its loader's open batch. The
//! first waiter of a batch becomes its driver. The driver runs the batch
//! once a whole pass of the task went by quietly: no key was added to any
//! loader of the request, no batch finished, and no batch is in flight.
//! Then it runs the batch inline, in the request's own task: no timer, no
//! spawned task, no thread hop. This is JavaScript DataLoader's "end of
//! tick", made exact. A batch whose results give keys to another loader
//! finishes before that loader's batch goes, so a page costs the same
//! statements however its fields interleave. [`Activity`] is what the
//! loaders of one request share to know this.
//!
//! If the driver is dropped first (a cancelled field), the batch goes back
//! to gathering. Its other waiters are woken, and the next one polled drives
//! it. A batch is never lost and never run twice.
use std::{
    any::Any,
    collections::{HashMap, HashSet},
    future::Future,
    hash::Hash,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll, Waker},
};

use async_graphql::dataloader::Loader;

/// Keys beyond this close the batch, so that no statement's `IN` list
/// grows without bound.
const MAX_BATCH: usize = 1000;

type Fetch<K, V, E> = Pin<Box<dyn Future<Output = Result<HashMap<K, V>, E>> + Send>>;

/// What the loaders of one request share: a count of events (keys added,
/// batches finished) and the batches in flight.
#[derive(Default)]
pub struct Activity {
    events: AtomicU64,
    in_flight: AtomicUsize,
    /// Drivers waiting for the batches in flight to finish.
    waiting: Mutex<Vec<Waker>>,
}

impl Activity {
    fn event(&self) {
        self.events.fetch_add(1, Ordering::SeqCst);
    }

    /// A batch in flight finished (or was given back): one event, and
    /// every waiting driver looks again.
    fn landed(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.event();
        for waker in crate::sync::lock(&self.waiting).drain(..) {
            waker.wake();
        }
    }
}

/// Batches `load_one`/`load_many` calls for a [`Loader`] within one request.
pub struct DataLoader<T> {
    loader: Arc<T>,
    activity: Arc<Activity>,
    /// The batch now gathering keys, as `Arc<Batch<K, T>>` for the key type
    /// `K` the loader is used with.
    open: Mutex<Option<Arc<dyn Any + Send + Sync>>>,
}

impl<T: Send + Sync + 'static> DataLoader<T> {
    /// A loader on its own (tests); a request's loaders share one
    /// [`Activity`] through [`DataLoader::with_activity`].
    pub fn new(loader: T) -> Self {
        Self::with_activity(loader, Arc::default())
    }

    pub fn with_activity(loader: T, activity: Arc<Activity>) -> Self {
        Self {
            loader: Arc::new(loader),
            activity,
            open: Mutex::new(None),
        }
    }

    pub async fn load_one<K>(&self, key: K) -> Result<Option<T::Value>, T::Error>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        T: Loader<K>,
    {
        let mut found = self.load_many([key.clone()]).await?;
        Ok(found.remove(&key))
    }

    pub async fn load_many<K, I>(&self, keys: I) -> Result<HashMap<K, T::Value>, T::Error>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        I: IntoIterator<Item = K>,
        T: Loader<K>,
    {
        let wanted: Vec<K> = keys.into_iter().collect();
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let batch = self.join(&wanted);
        self.activity.event();
        let results = Wait {
            batch,
            loader: &self.loader,
            activity: &self.activity,
            role: Role::Undecided,
        }
        .await?;
        Ok(wanted
            .into_iter()
            .filter_map(|k| results.get(&k).map(|v| (k, v.clone())))
            .collect())
    }

    /// Adds `keys` to the open batch (opening one if none is), and returns it.
    fn join<K>(&self, keys: &[K]) -> Arc<Batch<K, T>>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        T: Loader<K>,
    {
        let mut open = crate::sync::lock(&self.open);
        let current = open
            .as_ref()
            .and_then(|b| Arc::clone(b).downcast::<Batch<K, T>>().ok())
            .filter(|b| b.add(keys));
        match current {
            Some(batch) => batch,
            None => {
                let batch = Arc::new(Batch::new(keys));
                *open = Some(batch.clone() as Arc<dyn Any + Send + Sync>);
                batch
            }
        }
    }
}

type Shared<K, T> = Result<Arc<HashMap<K, <T as Loader<K>>::Value>>, <T as Loader<K>>::Error>;

/// One batch of keys and, once loaded, its answer.
struct Batch<K, T: Loader<K>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    state: Mutex<State<K, T>>,
}

enum Phase<K, T: Loader<K>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    /// Taking keys. `driven` once a waiter has taken charge of it.
    Gathering {
        driven: bool,
    },
    /// Its statement is running, polled by the driver.
    Loading,
    Done(Shared<K, T>),
}

struct State<K, T: Loader<K>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    keys: HashSet<K>,
    phase: Phase<K, T>,
    waiters: Vec<Waker>,
}

impl<K, T> Batch<K, T>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    T: Loader<K>,
{
    fn new(keys: &[K]) -> Self {
        Self {
            state: Mutex::new(State {
                keys: keys.iter().cloned().collect(),
                phase: Phase::Gathering { driven: false },
                waiters: Vec::new(),
            }),
        }
    }

    /// Adds keys if the batch still gathers and has room; false otherwise.
    fn add(&self, keys: &[K]) -> bool {
        let mut state = crate::sync::lock(&self.state);
        if !matches!(state.phase, Phase::Gathering { .. }) || state.keys.len() >= MAX_BATCH {
            return false;
        }
        state.keys.extend(keys.iter().cloned());
        true
    }
}

enum Role<K, V, E> {
    /// Not yet polled.
    Undecided,
    /// Waiting for another waiter's load.
    Follower,
    /// In charge: the request's event count when it last looked, then the
    /// running fetch.
    Driver {
        seen: u64,
    },
    Fetching(Fetch<K, V, E>),
}

struct Wait<'a, K, T: Loader<K>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    batch: Arc<Batch<K, T>>,
    loader: &'a Arc<T>,
    activity: &'a Arc<Activity>,
    role: Role<K, T::Value, T::Error>,
}

impl<K, T> Future for Wait<'_, K, T>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    T: Loader<K>,
{
    type Output = Shared<K, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Every field is `Unpin` (the fetch is boxed).
        let this = self.get_mut();
        if let Role::Fetching(fetch) = &mut this.role {
            let Poll::Ready(result) = fetch.as_mut().poll(cx) else {
                return Poll::Pending;
            };
            this.role = Role::Undecided;
            let shared: Shared<K, T> = result.map(Arc::new);
            {
                let mut state = crate::sync::lock(&this.batch.state);
                state.phase = Phase::Done(shared.clone());
                for waker in state.waiters.drain(..) {
                    waker.wake();
                }
            }
            this.activity.landed();
            return Poll::Ready(shared);
        }
        let events = this.activity.events.load(Ordering::SeqCst);
        let mut guard = crate::sync::lock(&this.batch.state);
        let state = &mut *guard;
        if let Phase::Done(result) = &state.phase {
            let result = result.clone();
            drop(guard);
            this.role = Role::Undecided;
            return Poll::Ready(result);
        }
        let gathering = matches!(state.phase, Phase::Gathering { .. });
        if matches!(state.phase, Phase::Gathering { driven: false }) {
            // Take charge, then let the pass that is under way finish.
            state.phase = Phase::Gathering { driven: true };
            this.role = Role::Driver { seen: events };
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if gathering && let Role::Driver { seen } = &mut this.role {
            if *seen != events {
                // Something happened during the last pass: another one.
                *seen = events;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if this.activity.in_flight.load(Ordering::SeqCst) > 0 {
                // A batch in flight may yet add keys: look again when it lands.
                crate::sync::lock(&this.activity.waiting).push(cx.waker().clone());
                if this.activity.in_flight.load(Ordering::SeqCst) > 0 {
                    return Poll::Pending;
                }
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            state.phase = Phase::Loading;
            let batch: Vec<K> = state.keys.iter().cloned().collect();
            drop(guard);
            this.activity.in_flight.fetch_add(1, Ordering::SeqCst);
            let loader = Arc::clone(this.loader);
            this.role = Role::Fetching(Box::pin(async move { loader.load(&batch).await }));
            // Poll the fetch at once.
            return Pin::new(this).poll(cx);
        }
        this.role = Role::Follower;
        if !state.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            state.waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl<K, T> Drop for Wait<'_, K, T>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    T: Loader<K>,
{
    /// A driver dropped before its batch finished hands it back: gathering
    /// again, undriven, with every waiter woken so that one takes charge.
    fn drop(&mut self) {
        let fetching = matches!(self.role, Role::Fetching(_));
        if !fetching && !matches!(self.role, Role::Driver { .. }) {
            return;
        }
        {
            let mut state = crate::sync::lock(&self.batch.state);
            if matches!(state.phase, Phase::Done(_)) {
                return;
            }
            state.phase = Phase::Gathering { driven: false };
            for waker in state.waiters.drain(..) {
                waker.wake();
            }
        }
        if fetching {
            self.activity.landed();
        }
    }
}

#[cfg(test)]
mod tests;
