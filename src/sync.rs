//! Locking that never panics on a request path.
//!
//! A `std::sync::Mutex` is poisoned when a thread panics while holding it;
//! `lock().expect(..)` would then panic in every later request that touches
//! the same lock, turning one bug into a dead instance. Every lock held on a
//! request path here guards data that stays consistent between statements
//! (a map insert, a push, a counter), so the data a panicking holder left is
//! still usable: [`lock`] takes the guard out of the poison error instead.
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, recovering the guard if an earlier holder panicked.
pub fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_still_locks() {
        let mutex = std::sync::Arc::new(Mutex::new(vec![1]));
        let poisoner = mutex.clone();
        let _ = std::thread::spawn(move || {
            let _guard = poisoner.lock().unwrap();
            panic!("poison the lock");
        })
        .join();
        assert!(mutex.is_poisoned());
        lock(&mutex).push(2);
        assert_eq!(*lock(&mutex), vec![1, 2]);
    }
}
