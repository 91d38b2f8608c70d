//! A deterministic compose file with N services, in the shape of real stacks: a shared
//! anchored block, web servers, APIs with passwords, databases, caches, comments.
//! Used by the benchmarks (`benches/harden.rs`) and the peer comparison
//! (`scripts/bench-peers.sh`), so both measure the same bytes.

/// The compose text with `services` services.
pub fn compose(services: usize) -> String {
    let mut out = String::with_capacity(services * 220);
    out.push_str("# Generated stack for benchmarks.\nx-common: &common\n  restart: unless-stopped\n  environment:\n    TZ: UTC\n\nservices:\n");
    for i in 0..services {
        match i % 5 {
            0 => out.push_str(&format!(
                "  web-{i}:\n    <<: *common\n    image: nginx:1.27\n    ports:\n      - \"{}:80\"\n    volumes:\n      - ./site:/usr/share/nginx/html:ro\n",
                10000 + i
            )),
            1 => out.push_str(&format!(
                "  api-{i}:\n    build: ./api\n    environment:\n      DATABASE_HOST: db-{}\n      API_TOKEN: token-{i}\n    depends_on:\n      - db-{}\n",
                i + 1,
                i + 1
            )),
            2 => out.push_str(&format!(
                "  # database {i}\n  db-{i}:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: pw-{i}\n    volumes:\n      - db-{i}:/var/lib/postgresql/data\n"
            )),
            3 => out.push_str(&format!(
                "  cache-{i}:\n    image: redis:7.4\n    ports:\n      - \"{}:6379\"\n",
                20000 + i
            )),
            _ => out.push_str(&format!(
                "  worker-{i}: {{image: \"example/worker:2\", command: [\"run\", \"--id\", \"{i}\"]}}\n"
            )),
        }
    }
    out.push_str("volumes:\n");
    for i in (0..services).filter(|i| i % 5 == 2) {
        out.push_str(&format!("  db-{i}:\n"));
    }
    out
}

#[allow(dead_code)]
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    print!("{}", compose(n));
}
