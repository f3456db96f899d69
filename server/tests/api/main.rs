//! Integration tests: the real server on port 0, a real Redis with RedisJSON,
//! a real SMTP server (maildev) and the CoWIN simulator, driven over HTTP and
//! through the real `redis-hack` binary. Run them with `bash scripts/test.sh`,
//! which starts those services and sets `TEST_REDIS_URL`, `TEST_SMTP_URL` and
//! `TEST_MAILDEV_URL`.

mod alert_email;
mod alerts;
mod budget;
mod cli;
mod cli_errors;
mod cli_output;
mod cli_prompts;
mod cli_sentences;
mod cli_signin;
mod cli_status;
mod cli_webhooks;
mod faults;
mod health;
mod helpers;
mod listing;
mod loading;
mod locations;
mod lockout;
mod logs;
mod mail_pool;
mod metrics;
mod names;
mod openapi;
mod operator;
mod poller;
mod priority;
mod proxy_env;
mod pty;
mod receiver;
mod register;
mod register_limits;
mod reports;
mod scale_out;
mod server_cli;
mod shutdown;
mod simulated;
mod sink;
mod slow_clients;
mod startup;
mod subscriptions;
mod tokens;
mod topics;
mod trusted_proxies;
mod unsub_links;
mod unsubscribe;
mod upstream;
mod verify;
mod webhook_district;
mod webhooks;
