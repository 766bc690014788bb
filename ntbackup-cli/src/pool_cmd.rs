//! `ntbackup pool create|add|remove|delete|list`.

use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cli::PoolCommand;
use crate::device::TapeSpec;
use crate::pools::{PoolDef, PoolsFile};

/// `vtl:DIR[#N]` with DIR made absolute, so the pool works from any directory.
fn absolute(device: &str) -> anyhow::Result<String> {
    let Some(rest) = device.strip_prefix("vtl:") else {
        return Ok(device.to_owned());
    };
    let (dir, drive) = match rest.rsplit_once('#') {
        Some((d, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            (d, format!("#{n}"))
        }
        _ => (rest, String::new()),
    };
    let abs = std::path::absolute(dir).with_context(|| format!("resolving {dir}"))?;
    Ok(format!("vtl:{}{drive}", abs.display()))
}

pub(crate) fn run(cmd: PoolCommand) -> anyhow::Result<ExitCode> {
    let mut pools = PoolsFile::load()?;
    match cmd {
        PoolCommand::Create {
            name,
            tape,
            changer,
            barcodes,
        } => {
            if pools.get(&name).is_some() {
                bail!(
                    "a media pool named {name:?} exists (add cartridges with `ntbackup pool add`)"
                );
            }
            let tape = tape.map(|t| absolute(&t)).transpose()?;
            if let Some(t) = &tape {
                TapeSpec::parse(t)?;
            }
            let changer = match changer {
                Some(c) => Some(absolute(&c)?),
                None => tape.as_ref().and_then(|t| match TapeSpec::parse(t) {
                    Ok(TapeSpec::Vtl { dir, .. }) => Some(format!("vtl:{}", dir.display())),
                    _ => None,
                }),
            };
            if tape.is_some() && changer.is_none() {
                bail!("a pool is a group of cartridges in a library: give --changer too");
            }
            pools.pools.insert(
                name.clone(),
                PoolDef {
                    tape,
                    changer,
                    barcodes: barcodes.into_iter().collect(),
                },
            );
            pools.save()?;
            outln!("Created media pool {name:?}.");
        }
        PoolCommand::Add { name, barcodes } => {
            let pool = pools
                .pools
                .get_mut(&name)
                .with_context(|| format!("no media pool named {name:?}"))?;
            pool.barcodes.extend(barcodes);
            pools.save()?;
        }
        PoolCommand::Remove { name, barcodes } => {
            let pool = pools
                .pools
                .get_mut(&name)
                .with_context(|| format!("no media pool named {name:?}"))?;
            for b in &barcodes {
                pool.barcodes.remove(b);
            }
            pools.save()?;
        }
        PoolCommand::Delete { name } => {
            if pools.pools.remove(&name).is_none() {
                bail!("no media pool named {name:?}");
            }
            pools.save()?;
        }
        PoolCommand::List { json } => {
            if json {
                outln!("{}", serde_json::to_string_pretty(&pools)?);
            } else if pools.pools.is_empty() {
                outln!("No media pool is defined (`ntbackup pool create NAME BARCODE...`).");
            } else {
                for (name, p) in &pools.pools {
                    outln!(
                        "{name}: {} in {}",
                        p.barcodes.iter().cloned().collect::<Vec<_>>().join(" "),
                        p.changer.as_deref().unwrap_or("the embedded library")
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
