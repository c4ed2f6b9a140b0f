use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use async_graphql::dataloader::Loader;
use futures::{FutureExt, future::join_all};

use super::DataLoader;

/// Squares its keys, records every batch it was asked for, and can be made
/// to fail or to wait for a go-ahead.
#[derive(Default)]
struct Squares {
    batches: Mutex<Vec<Vec<i64>>>,
    fail: bool,
    gate: Option<Arc<tokio::sync::Semaphore>>,
    started: AtomicUsize,
}

impl Loader<i64> for Squares {
    type Value = i64;
    type Error = Arc<String>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, i64>, Self::Error> {
        self.started.fetch_add(1, Ordering::SeqCst);
        if let Some(gate) = &self.gate {
            let _permit = gate.acquire().await.map_err(|e| Arc::new(e.to_string()))?;
        }
        let mut sorted = keys.to_vec();
        sorted.sort_unstable();
        self.batches.lock().unwrap().push(sorted);
        if self.fail {
            return Err(Arc::new("boom".into()));
        }
        // Key 0 has no row.
        Ok(keys
            .iter()
            .filter(|k| **k != 0)
            .map(|k| (*k, k * k))
            .collect())
    }
}

fn batches(loader: &DataLoader<Squares>) -> Vec<Vec<i64>> {
    loader.loader.batches.lock().unwrap().clone()
}

#[tokio::test]
async fn one_pass_of_siblings_is_one_batch_small_and_large_joins() {
    // join_all polls up to 30 futures in place and more through FuturesOrdered.
    for n in [5_i64, 30, 31, 200] {
        let loader = DataLoader::new(Squares::default());
        let found = join_all((1..=n).map(|k| loader.load_one(k))).await;
        assert_eq!(found.len(), n as usize);
        for (k, v) in (1..=n).zip(found) {
            assert_eq!(v.unwrap(), Some(k * k));
        }
        assert_eq!(
            batches(&loader),
            vec![(1..=n).collect::<Vec<_>>()],
            "n = {n}"
        );
    }
}

#[tokio::test]
async fn keys_that_arrive_a_pass_later_still_join_the_batch() {
    let loader = DataLoader::new(Squares::default());
    // Half of the callers yield once before they load: the driver sees the
    // batch grow during its first pass and waits for one more.
    let late = |k: i64| {
        let loader = &loader;
        async move {
            tokio::task::yield_now().await;
            loader.load_one(k).await
        }
        .boxed()
    };
    let early = |k: i64| loader.load_one(k).boxed();
    let futures: Vec<_> = (1..=10)
        .map(|k| if k % 2 == 0 { late(k) } else { early(k) })
        .collect();
    let found = join_all(futures).await;
    assert!(found.iter().all(|r| r.is_ok()));
    assert_eq!(batches(&loader), vec![(1..=10).collect::<Vec<_>>()]);
}

#[tokio::test]
async fn missing_keys_are_absent_and_duplicates_load_once() {
    let loader = DataLoader::new(Squares::default());
    let (a, b, c) = tokio::join!(loader.load_one(0), loader.load_one(3), loader.load_one(3));
    assert_eq!(a.unwrap(), None);
    assert_eq!(b.unwrap(), Some(9));
    assert_eq!(c.unwrap(), Some(9));
    let many = loader.load_many([2, 3, 0]).await.unwrap();
    assert_eq!(many, HashMap::from([(2, 4), (3, 9)]));
    assert_eq!(batches(&loader), vec![vec![0, 3], vec![0, 2, 3]]);
}

#[tokio::test]
async fn an_error_reaches_every_waiter() {
    let loader = DataLoader::new(Squares {
        fail: true,
        ..Default::default()
    });
    let (a, b) = tokio::join!(loader.load_one(1), loader.load_one(2));
    assert_eq!(a.unwrap_err().as_str(), "boom");
    assert_eq!(b.unwrap_err().as_str(), "boom");
    assert_eq!(batches(&loader).len(), 1);
}

#[tokio::test]
async fn a_dropped_driver_hands_the_batch_to_a_follower() {
    let loader = DataLoader::new(Squares::default());
    let mut driver = loader.load_one(1).boxed();
    // First poll: the driver takes charge and yields for the pass.
    assert!(futures::poll!(&mut driver).is_pending());
    let follower = loader.load_one(2);
    drop(driver);
    assert_eq!(follower.await.unwrap(), Some(4));
    assert_eq!(batches(&loader), vec![vec![1, 2]]);
}

#[tokio::test]
async fn a_driver_dropped_mid_load_is_replaced_and_the_load_rerun() {
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let loader = DataLoader::new(Squares {
        gate: Some(gate.clone()),
        ..Default::default()
    });
    let mut driver = loader.load_one(1).boxed();
    let mut follower = loader.load_one(2).boxed();
    for _ in 0..3 {
        assert!(futures::poll!(&mut driver).is_pending());
        assert!(futures::poll!(&mut follower).is_pending());
    }
    assert_eq!(
        loader.loader.started.load(Ordering::SeqCst),
        1,
        "the load is running"
    );
    drop(driver);
    gate.add_permits(10);
    assert_eq!(follower.await.unwrap(), Some(4));
    assert_eq!(loader.loader.started.load(Ordering::SeqCst), 2);
    assert_eq!(batches(&loader), vec![vec![1, 2]]);
}

#[tokio::test]
async fn later_rounds_open_new_batches() {
    let loader = DataLoader::new(Squares::default());
    let first = join_all((1..=3).map(|k| loader.load_one(k))).await;
    assert!(first.iter().all(|r| r.is_ok()));
    let second = join_all((4..=6).map(|k| loader.load_one(k))).await;
    assert!(second.iter().all(|r| r.is_ok()));
    assert_eq!(batches(&loader), vec![vec![1, 2, 3], vec![4, 5, 6]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_each_get_their_own_answers() {
    let loader = Arc::new(DataLoader::new(Squares::default()));
    let tasks: Vec<_> = (0..64_i64)
        .map(|t| {
            let loader = loader.clone();
            tokio::spawn(async move {
                let keys = (t * 10 + 1)..=(t * 10 + 10);
                let found = join_all(keys.clone().map(|k| loader.load_one(k))).await;
                keys.zip(found)
                    .all(|(k, v)| v.ok().flatten() == Some(k * k))
            })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap());
    }
    let loaded: usize = batches(&loader).iter().map(Vec::len).sum();
    assert!(loaded >= 640, "every key was loaded at least once");
}

/// Adds ten to its keys after an await that really pends (a query on a
/// server), so its batch is in flight for a while.
struct SlowPlusTen;

impl Loader<i64> for SlowPlusTen {
    type Value = i64;
    type Error = Arc<String>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, i64>, Self::Error> {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        Ok(keys.iter().map(|k| (*k, k + 10)).collect())
    }
}

#[tokio::test]
async fn a_batch_waits_for_the_batches_in_flight_that_feed_it() {
    // Odd items ask `plus_ten`, whose batch is in flight for 5 ms, then
    // `squares` with its answer. Even items ask `squares` after 1 ms, while
    // `plus_ten` is in flight. `squares` runs one batch with every key.
    let activity = Arc::new(super::Activity::default());
    let squares = DataLoader::with_activity(Squares::default(), activity.clone());
    let plus_ten = DataLoader::with_activity(SlowPlusTen, activity);
    let item = |i: i64| {
        let (squares, plus_ten) = (&squares, &plus_ten);
        async move {
            let key = if i % 2 == 1 {
                plus_ten.load_one(i).await.unwrap().unwrap()
            } else {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                i
            };
            squares.load_one(key).await.unwrap().unwrap()
        }
    };
    let found = join_all((1..=8).map(item)).await;
    assert_eq!(found, vec![121, 4, 169, 16, 225, 36, 289, 64]);
    assert_eq!(batches(&squares), vec![vec![2, 4, 6, 8, 11, 13, 15, 17]]);
}

#[tokio::test]
async fn loads_chained_through_finished_batches_share_one_batch() {
    // Every item asks `first` then `second` with its answer; half of them
    // first yield once. Both loaders answer in the task (no await that
    // pends), as the SQLite reads do.
    let activity = Arc::new(super::Activity::default());
    let first = DataLoader::with_activity(Squares::default(), activity.clone());
    let second = DataLoader::with_activity(Squares::default(), activity);
    let item = |i: i64| {
        let (first, second) = (&first, &second);
        async move {
            if i % 2 == 0 {
                tokio::task::yield_now().await;
            }
            let key = first.load_one(i).await.unwrap().unwrap();
            second.load_one(key).await.unwrap().unwrap()
        }
        .boxed()
    };
    // More than 30, so that join_all goes through FuturesOrdered.
    let found = join_all((1..=40).map(item)).await;
    assert_eq!(found.len(), 40);
    assert_eq!(batches(&first).len(), 1, "{:?}", batches(&first));
    assert_eq!(batches(&second).len(), 1, "{:?}", batches(&second));
}
