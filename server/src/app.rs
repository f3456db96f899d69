//! Building and running the server: connect to Redis (refusing to start
//! without the JSON module), set up the mailer and the CoWIN client, bind the
//! listener, and serve until the shutdown future resolves.

use crate::config::Settings;
use crate::locations::Locations;
use crate::mail::Mailer;
use crate::routes;
use crate::state::AppState;
use crate::store::Store;
use crate::upstream::CowinClient;
use anyhow::Context;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A server that is connected and bound, ready to `run`.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
}

impl Application {
    /// Connects to everything `settings` names and binds `settings.bind_addr`
    /// (port 0 picks a free port, as tests do).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = Store::connect(settings.redis_url.expose(), &settings.key_prefix)
            .await
            .context("REDIS_URL")?;
        let mailer = Mailer::new(&settings)?;
        let upstream = CowinClient::new(&settings.cowin_api_url).context("COWIN_API_URL")?;
        let listener = TcpListener::bind(settings.bind_addr)
            .await
            .with_context(|| format!("BIND_ADDR: cannot listen on {}", settings.bind_addr))?;
        let state = AppState {
            locations: Locations::new(store.clone(), upstream),
            settings: Arc::new(settings),
            store,
            mailer,
        };
        Ok(Self {
            listener,
            router: routes::router(state),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves requests until `shutdown` resolves, then finishes in-flight ones.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
