//! The `folio` binary: read `.env`, parse the command line, hand over to the library.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: a request allocates and frees
/// many small values (rows, GraphQL values, JSON), and glibc's malloc and
/// free were a quarter of the server's CPU profile under load. Built without
/// asking the kernel for transparent huge pages (`no_thp` in Cargo.toml):
/// each one is 2 MiB resident as soon as one byte of it is touched, which
/// made half of an idle server's memory and a third of its peak under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A missing .env is the normal case; a malformed one is worth stopping for.
    if let Err(err) = dotenvy::dotenv()
        && !err.not_found()
    {
        eprintln!("error: could not read .env: {err}");
        return ExitCode::FAILURE;
    }
    let cli = api::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(api::cli::run(cli));
    // Dropping the runtime would wait for every blocking task, and an image
    // being resized can take seconds: `serve` has already given the requests
    // in flight their shutdown timeout, so the process ends now. An upload
    // cut short this way has written no row (objects first, row last), and
    // `folio media gc` collects the objects it wrote.
    runtime.shutdown_background();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // `{:#}` prints the whole chain of causes on one line, without a backtrace.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
