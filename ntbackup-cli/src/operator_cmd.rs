//! `ntbackup operator list|ack|cancel`: answering requests for media from another terminal.

use std::process::ExitCode;

use crate::cli::OperatorCommand;
use crate::spool::{Answer, Spool, who};

pub(crate) fn run(cmd: OperatorCommand) -> anyhow::Result<ExitCode> {
    let spool = Spool::open()?;
    match cmd {
        OperatorCommand::List { json } => {
            let open = spool.list()?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&open)?);
            } else if open.is_empty() {
                outln!("No request for a medium is open.");
            } else {
                for r in open {
                    outln!(
                        "{}  {}  job \"{}\"  drive {}  since {}  until {}{}",
                        r.id,
                        r.message,
                        r.job,
                        r.drive,
                        r.since,
                        r.until,
                        r.refused
                            .as_ref()
                            .map(|x| format!("  (last refused: {x})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        OperatorCommand::Ack { id } => {
            let r = spool.answer(
                id.as_deref(),
                &Answer {
                    answer: "ack".into(),
                    reason: None,
                    by: who(),
                },
            )?;
            outln!(
                "Request {} acknowledged: job \"{}\" checks drive {} now.",
                r.id,
                r.job,
                r.drive
            );
        }
        OperatorCommand::Cancel { id, reason } => {
            let r = spool.answer(
                id.as_deref(),
                &Answer {
                    answer: "cancel".into(),
                    reason,
                    by: who(),
                },
            )?;
            outln!(
                "Request {} cancelled: job \"{}\" stops and closes its set.",
                r.id,
                r.job
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
