//! Spreading independent work (files to load, documents to check, diagnostics to
//! render) over the machine's cores, keeping results in input order.

/// `items.iter().map(f).collect()`, spread over the available cores: each thread takes
/// the next unclaimed item, so one large file does not hold up a whole share of them.
///
/// A thread is started only for every `per_thread` items: starting one costs more than
/// a small item's work.
pub(crate) fn par_map<T: Sync, R: Send>(
    items: &[T],
    per_thread: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let workers = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .min(items.len().div_ceil(per_thread.max(1)));
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            done.push((i, f(item)));
        }
        done
    };
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (1..workers).map(|_| s.spawn(work)).collect();
        let mine = work();
        for (i, r) in mine {
            results[i] = Some(r);
        }
        for h in handles {
            // `f` does not panic on input (loading and checking never do); a lost share
            // is redone below rather than dropped.
            if let Ok(done) = h.join() {
                for (i, r) in done {
                    results[i] = Some(r);
                }
            }
        }
    });
    results
        .into_iter()
        .zip(items)
        .map(|(r, item)| r.unwrap_or_else(|| f(item)))
        .collect()
}
