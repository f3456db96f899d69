//! Building and running the server: connect to Redis (refusing to start
//! without the JSON module), set up the mailer and the CoWIN client, bind the
//! listener, and run the chosen roles (API, poller, email and webhook
//! workers) until the shutdown future resolves. HTTP is served by `serve`,
//! with its header-read and idle timeouts and connection cap.

use crate::alerts::{Digests, Worker};
use crate::config::Settings;
use crate::locations::Locations;
use crate::poller::Poller;
pub use crate::roles::Roles;
use crate::routes;
use crate::serve::Limits;
use crate::state::AppState;
use crate::store::{Store, StoreError};
use crate::upstream::CowinClient;
use crate::webhook::WebhookWorker;
use crate::workers::{delivery_workers, mailer, unsubscribe_links};
use anyhow::Context;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// A server that is connected and bound, ready to `run`.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    poller: Option<Poller>,
    worker: Option<(Worker, WebhookWorker)>,
    /// Digests at the end of quiet hours, with the workers.
    digests: Option<Digests>,
    grace: Duration,
    stop: tokio::sync::watch::Sender<bool>,
    limits: Limits,
}

impl Application {
    /// Connects to everything `settings` names and binds `settings.bind_addr`
    /// (port 0 picks a free port, as tests do). Every role listens: the API
    /// role serves the API there, the others `/healthz`, `/readyz` and `/metrics`.
    pub async fn build(mut settings: Settings, roles: Roles) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.bind_addr)
            .await
            .with_context(|| {
                format!(
                    "BIND_ADDR: cannot listen on {} (each server process needs its own address)",
                    settings.bind_addr
                )
            })?;
        // PUBLIC_URL left at its default follows the port actually bound (port 0).
        if let Ok(addr) = listener.local_addr()
            && settings.public_url == format!("http://{}", settings.bind_addr)
        {
            settings.public_url = format!("http://{addr}");
        }
        let store = connect_store(&settings).await?;
        let upstream = CowinClient::new(&settings.cowin_api_url).context("COWIN_API_URL")?;
        let name = format!("{}-{}", hostname(), std::process::id());
        let poller = roles.poller.then(|| Poller {
            store: store.clone(),
            client: upstream.clone(),
            config: settings.poll,
            id: name.clone(),
        });
        let worker = match roles.worker {
            true => Some(delivery_workers(&store, &settings, &name).await?),
            false => None,
        };
        let digests = roles.worker.then(|| Digests {
            store: store.clone(),
            batch: 100,
        });
        let grace = settings.delivery.shutdown_grace;
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let limits = Limits {
            header_read_timeout: settings.edge.header_read_timeout,
            idle_timeout: settings.edge.idle_timeout,
            max_connections: settings.edge.max_connections,
        };
        let router = serve(settings, roles, store, upstream, stopping).await?;
        Ok(Self {
            listener,
            router,
            poller,
            worker,
            digests,
            grace,
            stop,
            limits,
        })
    }

    /// The address this process listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Runs every role until `shutdown` resolves. Then everything stops taking
    /// work at once: the listener accepts no new connections, the poller starts
    /// no new round, the workers take no new jobs. Requests, polls and
    /// deliveries in flight get `SHUTDOWN_GRACE` to finish; whatever is still
    /// running then is dropped, and its jobs, never acknowledged, stay pending
    /// for another worker to reclaim.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stopped = self.stop.subscribe();
        let stop = self.stop;
        let mut tasks = tokio::task::JoinSet::new();
        if let Some(p) = self.poller {
            tasks.spawn(p.run(stopped.clone()));
        }
        if let Some((email, webhook)) = self.worker {
            tasks.spawn(email.run(stopped.clone()));
            tasks.spawn(webhook.run(stopped.clone()));
        }
        if let Some(digests) = self.digests {
            tasks.spawn(digests.run(stopped.clone()));
        }
        let serve = crate::serve::serve(self.listener, self.router, self.limits, stopped.clone());
        let mut http = tokio::spawn(serve);
        tokio::select! {
            () = shutdown => {}
            // Serving ends by itself only if its task panicked.
            done = &mut http => return done.map_err(std::io::Error::other),
        }
        let grace_s = self.grace.as_secs();
        tracing::info!(
            grace_s,
            "shutting down: no new work; finishing what is in flight"
        );
        stop.send_replace(true);
        let drain = async {
            while tasks.join_next().await.is_some() {}
            let _ = (&mut http).await;
        };
        if tokio::time::timeout(self.grace, drain).await.is_err() {
            tracing::warn!(
                unfinished = tasks.len(),
                "work in flight did not finish within SHUTDOWN_GRACE; its jobs stay queued for another worker"
            );
            tasks.abort_all();
            http.abort();
        }
        Ok(())
    }
}

/// The router `roles` serve, with the state every handler reaches.
async fn serve(
    settings: Settings,
    roles: Roles,
    store: Store,
    upstream: CowinClient,
    stopping: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<axum::Router> {
    let state = AppState {
        mailer: mailer(&settings)?,
        links: unsubscribe_links(&store, &settings).await?,
        locations: Locations::new(store.clone(), upstream),
        settings: Arc::new(settings),
        store,
        roles,
        stopping,
    };
    Ok(match roles.api {
        true => routes::router(state),
        false => routes::ops_router(state),
    })
}

/// The store `settings` name, as every role and operator command opens it,
/// waiting for `REDIS_WAIT_REPLICAS` replicas after the writes that hold a
/// subscriber's data, with its queues in `QUEUE_PARTITIONS` partitions (checked against the
/// count the store's first process recorded). A failure names `REDIS_URL`,
/// except a store in another layout or with another partition count: there
/// the sentence already says what to do, and the URL is not the thing to change.
pub async fn connect_store(settings: &Settings) -> anyhow::Result<Store> {
    let opened = async {
        let store = Store::connect(settings.redis_url.expose(), &settings.key_prefix)
            .await?
            .with_queue_partitions(settings.delivery.queue_partitions)
            .with_replication_wait(settings.redis_wait);
        store.check_queue_partitions().await?;
        Ok(store)
    };
    match opened.await {
        Ok(store) => Ok(store),
        Err(e @ (StoreError::Layout { .. } | StoreError::QueuePartitions { .. })) => Err(e.into()),
        Err(e) => Err(anyhow::Error::new(e).context("REDIS_URL")),
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "redis-hack".into())
}
