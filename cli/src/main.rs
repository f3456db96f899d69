//! The `redis-hack` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    redis_hack::main()
}
