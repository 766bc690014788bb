//! Building the media policy chain from `--on-full` / `--on-missing`.

use std::time::Duration;

use anyhow::{Context, bail};
use backup_engine::catalog::Catalog;
use backup_engine::policy::{
    AbortPolicy, ChangerPolicy, MediaDirectory, NoDirectory, OnTimeout, PolicyChain, PromptOptions,
    PromptPolicy,
};

use crate::cli::OnTimeoutArg;

/// What the policies may use.
pub(crate) struct PolicyInputs<'a> {
    /// `--changer`, if given.
    pub(crate) changer: Option<&'a str>,
    /// The drive's number in the changer.
    pub(crate) drive_number: u16,
    /// `--notify`.
    pub(crate) notify: Option<String>,
    /// `--prompt-timeout`.
    pub(crate) prompt_timeout: Duration,
    /// The catalog file, for the changer's view of which cartridges hold live data.
    pub(crate) catalog: Option<std::path::PathBuf>,
    /// `--on-timeout`.
    pub(crate) on_timeout: OnTimeoutArg,
    /// A media pool's cartridges: the changer takes no other.
    pub(crate) pool: Option<crate::pools::Members>,
}

/// Parses a comma-separated policy list (`changer,prompt,abort`) into a chain.
pub(crate) fn chain(spec: &str, inputs: &PolicyInputs<'_>) -> anyhow::Result<PolicyChain> {
    let mut chain = PolicyChain::new();
    for name in spec.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match name {
            "abort" => chain.push(Box::new(AbortPolicy)),
            "prompt" => {
                let operator = crate::operator::choose(inputs.notify.clone());
                let mut options = PromptOptions::with_timeout(inputs.prompt_timeout);
                options.on_timeout = match inputs.on_timeout {
                    OnTimeoutArg::Stop => OnTimeout::Stop,
                    OnTimeoutArg::Next => OnTimeout::Decline,
                };
                chain.push(Box::new(PromptPolicy::new(operator, options)));
            }
            "changer" => {
                let Some(text) = inputs.changer else {
                    bail!(
                        "the changer policy needs a changer: give --changer (vtl:DIR, /dev/sgN or script:CMD)"
                    );
                };
                let changer = crate::device::open_changer(text)?;
                let directory: Box<dyn MediaDirectory> = match &inputs.catalog {
                    Some(path) => Box::new(
                        Catalog::open(path).context("opening the catalog for the changer")?,
                    ),
                    None => Box::new(NoDirectory),
                };
                let directory = match &inputs.pool {
                    Some(members) => {
                        Box::new(crate::pools::PoolDirectory::new(directory, members.clone()))
                    }
                    None => directory,
                };
                chain.push(Box::new(ChangerPolicy::new(
                    changer,
                    inputs.drive_number,
                    directory,
                )));
            }
            other => bail!(
                "unknown media policy {other:?}: use abort, prompt, changer, or a list such as changer,prompt,abort"
            ),
        }
    }
    if chain.is_empty() {
        bail!("no media policy given");
    }
    Ok(chain)
}

/// The default chain: the changer if there is one, else abort (unattended Windows Server 2003
/// behaviour, done cleanly).
pub(crate) fn default_spec(has_changer: bool) -> &'static str {
    if has_changer {
        "changer,abort"
    } else {
        "abort"
    }
}
