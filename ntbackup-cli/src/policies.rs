//! Building the media policy chain from `--on-full` / `--on-missing`.

use std::time::Duration;

use anyhow::{Context, bail};
use backup_engine::catalog::Catalog;
use backup_engine::policy::{
    AbortPolicy, ChangerPolicy, MediaDirectory, NoDirectory, PolicyChain, PromptOptions,
    PromptPolicy,
};

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
}

/// Parses a comma-separated policy list (`changer,prompt,abort`) into a chain.
pub(crate) fn chain(spec: &str, inputs: &PolicyInputs<'_>) -> anyhow::Result<PolicyChain> {
    let mut chain = PolicyChain::new();
    for name in spec.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match name {
            "abort" => chain.push(Box::new(AbortPolicy)),
            "prompt" => {
                let operator = crate::operator::choose(inputs.notify.clone());
                chain.push(Box::new(PromptPolicy::new(
                    operator,
                    PromptOptions::with_timeout(inputs.prompt_timeout),
                )));
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
