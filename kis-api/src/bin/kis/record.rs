//! `kis record DIR -- <kis command>`: runs the command with every client it builds recording
//! its exchanges in DIR ([`kis_api::ClientBuilder::record`]), then says what was written.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use clap::Args;
use kis_api::{AnyEnv, Client, ClientBuilder};

use crate::Failure;

/// Arguments of `kis record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The directory of the recordings (created private when missing; one new file per client)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The kis command to run and record, after `--` (e.g. `-- call inquire_price
    /// FID_INPUT_ISCD=005930`)
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// The directory every client of this process records in, once `kis record` set it.
static DIR: OnceLock<PathBuf> = OnceLock::new();
/// The recording clients, for the summary at the end.
static CLIENTS: Mutex<Vec<Client<AnyEnv>>> = Mutex::new(Vec::new());

/// Records in `dir` from now on.
pub fn start(dir: PathBuf) -> Result<(), Failure> {
    DIR.set(dir)
        .map_err(|_| Failure::usage("kis record cannot be nested"))
}

/// `b`, recording when `kis record` asked for it.
pub fn apply(b: ClientBuilder<AnyEnv>) -> ClientBuilder<AnyEnv> {
    match DIR.get() {
        Some(dir) => b.record(dir.clone()),
        None => b,
    }
}

/// Remembers a client built with [`apply`] for the summary.
pub fn note(client: &Client<AnyEnv>) {
    if client.recording().is_some() {
        CLIENTS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(client.clone());
    }
}

/// Says on stderr what each recording client wrote.
pub fn summary() {
    let clients = CLIENTS.lock().unwrap_or_else(|e| e.into_inner());
    if clients.is_empty() {
        eprintln!("kis record: the command built no client; nothing was recorded");
    }
    for c in clients.iter() {
        if let Some(s) = c.recording() {
            eprintln!(
                "kis record: {} exchange(s) in {}{}{}",
                s.written,
                s.path.display(),
                if s.failed > 0 {
                    format!(", {} write(s) failed", s.failed)
                } else {
                    String::new()
                },
                if s.dropped > 0 {
                    format!(", {} not written (size limit)", s.dropped)
                } else {
                    String::new()
                }
            );
        }
    }
    if !clients.is_empty() {
        eprintln!(
            "kis record: secrets, account numbers and personal fields are hidden; \
             cargo xtask learn --from DIR reads the recording"
        );
    }
}
