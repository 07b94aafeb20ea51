//! Where the Redis store's batches go: one address, or the primary the sentinels name.

use std::sync::OnceLock;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, ErrorKind, ServerErrorKind};

use crate::redis_batch::SCRIPT;

/// Where the batches go.
#[expect(clippy::large_enum_variant, reason = "one a store, both large")]
pub(crate) enum Server {
    /// One address: redis-rs's `ConnectionManager` reconnects to it by itself.
    Fixed {
        client: redis::Client,
        /// Made by the first sender, on the runtime that drives it.
        manager: OnceLock<ConnectionManager>,
    },
    /// Whichever server the sentinels name the primary, asked again after a failure.
    Sentinels(crate::redis_sentinel::Primary),
}

/// A connection to the server the batches go to.
pub(crate) enum Link {
    Fixed(ConnectionManager),
    Sentinels(MultiplexedConnection),
}

impl Server {
    pub(crate) fn fixed(client: redis::Client) -> Self {
        Server::Fixed {
            client,
            manager: OnceLock::new(),
        }
    }

    /// The same server, not connected yet.
    pub(crate) fn fresh(&self) -> Self {
        match self {
            Server::Fixed { client, .. } => Server::fixed(client.clone()),
            Server::Sentinels(primary) => Server::Sentinels(primary.fresh()),
        }
    }

    /// The connection. To one address: made the first time, on the runtime this is called
    /// from, and reconnecting by itself (quick first retries, never more than 500 ms apart, so
    /// enforcement is back within a second of the server). Through sentinels: the last one, or
    /// one to the primary they name now.
    pub(crate) async fn link(&self, timeout: Duration) -> Result<Link, redis::RedisError> {
        let connection_timeout = Some(timeout.max(Duration::from_millis(200)));
        match self {
            Server::Fixed { client, manager } => {
                if let Some(manager) = manager.get() {
                    return Ok(Link::Fixed(manager.clone()));
                }
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(connection_timeout)
                    .set_response_timeout(Some(timeout))
                    .set_min_delay(Duration::from_millis(20))
                    .set_max_delay(Duration::from_millis(500))
                    .set_number_of_retries(2);
                let made = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
                Ok(Link::Fixed(manager.get_or_init(|| made).clone()))
            }
            Server::Sentinels(primary) => {
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(connection_timeout)
                    .set_response_timeout(Some(timeout));
                primary.connection(&config).await.map(Link::Sentinels)
            }
        }
    }

    /// A batch failed: with sentinels, the next asks them which server is the primary now.
    pub(crate) fn failed(&self) {
        if let Server::Sentinels(primary) = self {
            primary.forget();
        }
    }
}

impl Link {
    pub(crate) async fn info(&mut self, section: &str) -> redis::RedisResult<String> {
        let info = redis::cmd("INFO").arg(section).clone();
        match self {
            Link::Fixed(manager) => info.query_async(manager).await,
            Link::Sentinels(connection) => info.query_async(connection).await,
        }
    }

    pub(crate) async fn query(&mut self, command: &redis::Cmd) -> redis::RedisResult<Vec<i64>> {
        match self {
            Link::Fixed(manager) => Self::query_on(manager, command).await,
            Link::Sentinels(connection) => Self::query_on(connection, command).await,
        }
    }

    async fn query_on(
        connection: &mut impl redis::aio::ConnectionLike,
        command: &redis::Cmd,
    ) -> redis::RedisResult<Vec<i64>> {
        match command.query_async(connection).await {
            // The server has not seen the script since it started: load it once.
            Err(err) if err.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                redis::Script::new(SCRIPT).load_async(connection).await?;
                command.query_async(connection).await
            }
            answers => answers,
        }
    }
}
