//! A small thread pool: one worker per core, each taking the next file.

use std::io::{self, IsTerminal};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `work` on every input (a file or a project), in parallel, and returns the results in input order. A
/// progress line is shown on a terminal when there are many files.
pub fn in_parallel<I: Sync, T: Send>(inputs: &[I], work: impl Fn(&I) -> T + Sync) -> Vec<T> {
    // One input (the usual run): no thread to start, and no cgroup files to read for the
    // number of cores.
    if inputs.len() <= 1 {
        return inputs.iter().map(work).collect();
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(inputs.len().max(1));
    let done = AtomicUsize::new(0);
    let progress = io::stderr().is_terminal() && inputs.len() >= 50;
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<T>> = (0..inputs.len()).map(|_| None).collect();
    let slots: Vec<Mutex<&mut Option<T>>> = results.iter_mut().map(Mutex::new).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = inputs.get(i) else { break };
                    let result = work(input);
                    **slots[i].lock().expect("slot") = Some(result);
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if progress && (n % 10 == 0 || n == inputs.len()) {
                        std::eprint!("\r{n}/{} files", inputs.len());
                    }
                }
            });
        }
    });
    if progress {
        std::eprint!("\r\x1b[2K");
    }
    drop(slots);
    results
        .into_iter()
        .map(|r| r.expect("every input processed"))
        .collect()
}
