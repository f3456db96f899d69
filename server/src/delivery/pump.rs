//! The queue pump both workers share: it keeps up to `concurrency` deliveries
//! in flight, takes new jobs as slots free up (first those a dead worker left
//! pending longer than `reclaim_idle`, then new ones), and puts due retries
//! back on the stream. One slow receiver holds one slot, never the others.
//! Every pump serves every partition of its queue (the store reads them in
//! turn); looking for due retries and abandoned jobs costs a command per
//! partition, so the long-running loop does it every [`HOUSEKEEPING_EVERY`].
//! What a job means and how it is delivered is the [`Handler`]'s business;
//! the pump counts every outcome in `/metrics`, for both queues alike.

use super::{DeliveryError, Outcome};
use crate::metrics;
use crate::store::{Queue, QueuedJob, Store, StoreError, now_ms};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// How often [`Pump::run`] releases due retries and takes over abandoned jobs.
pub const HOUSEKEEPING_EVERY: Duration = Duration::from_millis(500);

/// Counts of what one pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub delivered: usize,
    pub retried: usize,
    pub dead: usize,
    pub dropped: usize,
    /// Kept for a digest at the end of quiet hours.
    pub held: usize,
    /// Refused for good: the user's email channel suspended.
    pub suspended: usize,
}

impl Pass {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Delivered | Outcome::Routed => self.delivered += 1,
            Outcome::Retried => self.retried += 1,
            Outcome::Dead | Outcome::Disabled => self.dead += 1,
            Outcome::Dropped => self.dropped += 1,
            Outcome::Held => self.held += 1,
            Outcome::Suspended => self.suspended += 1,
        }
    }
}

/// Delivers one job of one queue, and acknowledges, parks or dead-letters it.
pub trait Handler: Send + Sync + 'static {
    const QUEUE: Queue;
    fn handle(&self, job: QueuedJob)
    -> impl Future<Output = Result<Outcome, DeliveryError>> + Send;
}

/// The loop over one queue: `concurrency` jobs of `handler` in flight.
pub struct Pump<H> {
    pub store: Store,
    /// This worker's name in the consumer group (unique per process).
    pub consumer: String,
    pub concurrency: usize,
    pub reclaim_idle: Duration,
    pub handler: Arc<H>,
}

impl<H: Handler> Pump<H> {
    /// Up to `n` jobs, waiting up to `block` for new ones; with
    /// `housekeeping`, due retries are released first and abandoned jobs
    /// taken over before new ones are read. (A partition's consumer group is
    /// created by the store when a read finds it missing.)
    async fn take(
        &self,
        n: usize,
        block: Duration,
        housekeeping: bool,
    ) -> Result<Vec<QueuedJob>, StoreError> {
        if housekeeping {
            self.store.release_due_jobs(H::QUEUE, now_ms()).await?;
            let jobs = self
                .store
                .reclaim_jobs(H::QUEUE, &self.consumer, self.reclaim_idle, n)
                .await?;
            if !jobs.is_empty() {
                return Ok(jobs);
            }
        }
        self.store
            .read_jobs(H::QUEUE, &self.consumer, n, block)
            .await
    }

    /// One batch, delivered concurrently; waits up to `block` for jobs. For
    /// tests and tools; `run` is the long-running loop.
    pub async fn run_once(&self, block: Duration) -> Result<Pass, DeliveryError> {
        let mut tasks = JoinSet::new();
        for job in self.take(self.concurrency, block, true).await? {
            tasks.spawn(deliver(self.handler.clone(), job));
        }
        let mut pass = Pass::default();
        while let Some(done) = tasks.join_next().await {
            pass.add(done??);
        }
        Ok(pass)
    }

    /// Delivers until `shutdown` says stop, then waits for deliveries in
    /// flight. Store errors (Redis restarting) are logged and retried; a job
    /// whose handling failed stays pending and is taken over after `reclaim_idle`.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut tasks: JoinSet<Result<Outcome, DeliveryError>> = JoinSet::new();
        let mut last_housekeeping: Option<Instant> = None;
        while !*shutdown.borrow() {
            while let Some(done) = tasks.try_join_next() {
                log_failure(done);
            }
            let free = self.concurrency.saturating_sub(tasks.len());
            if free == 0 {
                tokio::select! {
                    Some(done) = tasks.join_next() => log_failure(done),
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            let housekeeping = last_housekeeping.is_none_or(|t| t.elapsed() >= HOUSEKEEPING_EVERY);
            if housekeeping {
                last_housekeeping = Some(Instant::now());
            }
            tokio::select! {
                taken = self.take(free, Duration::from_secs(1), housekeeping) => match taken {
                    Ok(jobs) => {
                        for job in jobs {
                            tasks.spawn(deliver(self.handler.clone(), job));
                        }
                    }
                    Err(e) => {
                        tracing::warn!(queue = H::QUEUE.name(), error = %e, "taking jobs failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                },
                _ = shutdown.changed() => {}
            }
        }
        while let Some(done) = tasks.join_next().await {
            log_failure(done);
        }
    }
}

/// One job through its handler, counted in `/metrics` by queue and outcome.
async fn deliver<H: Handler>(handler: Arc<H>, job: QueuedJob) -> Result<Outcome, DeliveryError> {
    let done = handler.handle(job).await;
    let outcome = done.as_ref().map_or("store_error", |o| o.label());
    metrics::delivery(H::QUEUE, outcome);
    done
}

fn log_failure(done: Result<Result<Outcome, DeliveryError>, tokio::task::JoinError>) {
    match done {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "a delivery could not be recorded; it will be retried")
        }
        Err(e) => tracing::error!(error = %e, "a delivery task failed"),
    }
}
