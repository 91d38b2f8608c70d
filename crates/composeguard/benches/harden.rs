//! Time and throughput of `check` and `fix` (all rules, unsafe fixes included) on a small
//! file (the 44-line example stack), and on generated 500- and 5,000-service files.
//! Run with `cargo bench -p composeguard`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "../../../examples/generated.rs"]
mod generated;

fn options() -> composeguard::Options {
    composeguard::Options {
        unsafe_fixes: true,
        preset: composeguard::Preset::Strict,
        ..Default::default()
    }
}

fn bench(c: &mut Criterion) {
    let small = include_str!("../../../examples/stack/compose.yaml").to_owned();
    let inputs = [
        ("small-44-lines", small),
        ("500-services", generated::compose(500)),
        ("5000-services", generated::compose(5000)),
    ];
    let options = options();
    for (name, text) in &inputs {
        let mut group = c.benchmark_group(*name);
        group.throughput(Throughput::Bytes(text.len() as u64));
        if text.len() > 500_000 {
            group.sample_size(10);
        }
        group.bench_function("check", |b| {
            b.iter(|| composeguard::check(text, &options).unwrap())
        });
        group.bench_function("fix", |b| {
            b.iter(|| composeguard::fix(text, &options).unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
