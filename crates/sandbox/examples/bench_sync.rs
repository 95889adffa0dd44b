//! Benchmark: outbox enqueue rate, and 10,000 product upserts desk → sandbox through the
//! sync worker. Run with `scripts/bench-platform.sh`.

#[path = "../tests/common/outbox.rs"]
#[allow(dead_code)]
mod outbox;

use anchordesk_platform::sync::{Command, OutboxStore, SyncConfig, SyncWorker};
use anchordesk_platform::{ClientConfig, Platform, ProductUpsert, ContractClient};
use anchordesk_sandbox::{Config, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox};
use outbox::SqliteOutbox;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const N: usize = 10_000;

fn upsert(idx: usize, n_skus: usize) -> Command {
    let title = format!("赣南脐橙 {}号", idx % 97);
    Command::UpsertProduct {
        sku: format!("SKU-{:05}", idx % n_skus),
        product: ProductUpsert { description: format!("{title}，产地直发"), title, price_fen: 990 + (idx as i64 % 5000), stock: 100, origin: None },
    }
}

fn main() -> anyhow::Result<()> {
    let concurrency: usize = std::env::var("BENCH_CONCURRENCY").ok().and_then(|value| value.parse().ok()).unwrap_or(8);
    let dir = tempfile::tempdir()?;
    let commands: Vec<Command> = (0..N).map(|idx| upsert(idx, N)).collect();

    // Enqueue as the desk does: one transaction per change.
    let single = SqliteOutbox::open(&dir.path().join("single.sqlite3"))?;
    let started = Instant::now();
    for command in &commands {
        single.enqueue(std::slice::from_ref(command))?;
    }
    let per_change = started.elapsed();
    // And an import: all changes in one transaction.
    let batch = SqliteOutbox::open(&dir.path().join("batch.sqlite3"))?;
    let started = Instant::now();
    batch.enqueue(&commands)?;
    let one_tx = started.elapsed();
    println!("outbox enqueue, one transaction per change: {N} in {:.3} s = {:.0}/s", per_change.as_secs_f64(), N as f64 / per_change.as_secs_f64());
    println!("outbox enqueue, one transaction for all:    {N} in {:.3} s = {:.0}/s", one_tx.as_secs_f64(), N as f64 / one_tx.as_secs_f64());

    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let mut config = Config::new(dir.path().join("platform"));
        config.addr = SocketAddr::from(([127, 0, 0, 1], 0));
        config.rate_limit = None;
        config.audience_tick = None;
        let sandbox = Sandbox::start(config).await?;
        let platform: Arc<dyn Platform> =
            Arc::new(ContractClient::new(ClientConfig::new(sandbox.base_url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET))?);
        for (label, n_skus) in [("10,000 distinct SKUs", N), ("the same 100 SKUs edited 100 times each", 100)] {
            let outbox = Arc::new(SqliteOutbox::open(&dir.path().join(format!("sync-{n_skus}.sqlite3")))?);
            let commands: Vec<Command> = (0..N).map(|idx| upsert(idx, n_skus)).collect();
            outbox.enqueue(&commands)?;
            let sync = SyncConfig { key_prefix: format!("bench-{n_skus}-"), concurrency, ..SyncConfig::default() };
            let worker = SyncWorker::new(platform.clone(), outbox.clone() as Arc<dyn OutboxStore>, sync);
            let started = Instant::now();
            let left = worker.drain(Duration::from_secs(600)).await?;
            let elapsed = started.elapsed();
            anyhow::ensure!(left == 0, "{left} upserts left");
            let counts = outbox.counts()?;
            anyhow::ensure!(counts.done == N as i64, "only {} of {N} done", counts.done);
            println!(
                "sync {N} product upserts ({label}, concurrency {concurrency}): {:.2} s = {:.0} ops/s",
                elapsed.as_secs_f64(),
                N as f64 / elapsed.as_secs_f64()
            );
        }
        sandbox.shutdown().await?;
        anyhow::Ok(())
    })
}
