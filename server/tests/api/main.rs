//! Integration tests: the real server on port 0, a real Redis with RedisJSON,
//! a real SMTP server (maildev) and the CoWIN simulator, driven over HTTP and
//! through the real `redis-hack` binary. Run them with `bash scripts/test.sh`,
//! which starts those services and sets `TEST_REDIS_URL`, `TEST_SMTP_URL` and
//! `TEST_MAILDEV_URL`.

mod alert_email;
mod alerts;
mod bounce;
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
mod locations;
mod logs;
mod mail_pool;
mod metrics;
mod names;
mod openapi;
mod poller;
mod priority;
mod pty;
mod quiet;
mod receiver;
mod register;
mod reports;
mod scale_out;
mod server_cli;
mod shutdown;
mod simulated;
mod sink;
mod startup;
mod subscriptions;
mod tokens;
mod topics;
mod unsubscribe;
mod upstream;
mod verify;
mod webhook_district;
mod webhooks;
