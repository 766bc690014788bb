//! SSC drives and SMC changers over a [`ScsiTransport`](crate::transport::ScsiTransport)
//! (SG_IO on `/dev/sgN` by default).

mod changer;
mod drive;
mod drive_io;

pub use changer::{ChangerOptions, EjectHook, SgChanger};
pub use drive::{SgDrive, SgDriveOptions};

#[cfg(test)]
mod tests;
