//! `SgDrive` and `SgChanger` over a scripted transport: each test lists the commands the code
//! must send, in order, with the device's answers (captured sense from scsi-tape.md §6.6 and
//! pages reconstructed from §9.2).
// The page builders below cast small test constants (addresses < 256, lengths < 2^24).
#![allow(clippy::cast_possible_truncation)]

use std::collections::VecDeque;
use std::time::Duration;

use hex_literal::hex;
use tape_core::{
    DeviceError, ElementAddress, ElementKind, MediaChanger, ReadStatus, TapeDrive, WriteStatus,
};

use super::{ChangerOptions, SgChanger, SgDrive, SgDriveOptions};
use crate::cdb::Cdb;
use crate::timing::RetryPolicy;
use crate::transport::{Data, Reply, ScsiTransport};

/// Expected opcode, data the device returns, and its reply.
type Step = (u8, Vec<u8>, Reply);

struct Scripted(VecDeque<Step>);

impl ScsiTransport for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    fn execute(
        &mut self,
        cdb: &Cdb,
        data: &mut Data<'_>,
        _: Duration,
    ) -> Result<Reply, DeviceError> {
        let (op, bytes, mut reply) = self
            .0
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected {cdb:?}"));
        assert_eq!(cdb.opcode(), op, "sent {cdb:?}");
        if let Data::In(buf) = data {
            let n = bytes.len().min(buf.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            reply.residual = buf.len() - n;
        }
        Ok(reply)
    }
}

fn good(op: u8, bytes: &[u8]) -> Step {
    (op, bytes.to_vec(), Reply::good(0))
}

fn check(op: u8, sense: &[u8]) -> Step {
    (op, Vec::new(), Reply::check(sense, 0))
}

fn inquiry(kind: u8) -> Step {
    let mut d = vec![kind, 0x80, 5, 2, 31, 0, 0, 0];
    d.extend_from_slice(b"Linux   scsi_debug      0191");
    good(0x12, &d)
}

fn position(block: u32) -> Step {
    let mut d = [0u8; 20];
    d[4..8].copy_from_slice(&block.to_be_bytes());
    good(0x34, &d)
}

fn drive(steps: Vec<Step>) -> SgDrive<Scripted> {
    let opts = SgDriveOptions {
        retry: RetryPolicy::none(),
        ..SgDriveOptions::default()
    };
    let mut all = vec![
        inquiry(1),
        good(0x05, &hex!("04 10 00 00 02 00")),
        good(0x1a, &hex!("0b 00 00 08 00 00 00 00 00 00 00 00")),
    ];
    all.extend(steps);
    SgDrive::with_transport(Scripted(all.into()), opts).unwrap()
}

const EW: [u8; 18] = hex!("f0 00 40 00 00 10 00 0a 00 00 00 00 00 02 00 00 00 00");
const VO: [u8; 18] = hex!("f0 00 4d 00 00 10 00 0a 00 00 00 00 00 02 00 00 00 00");

#[test]
fn early_warning_is_latched_and_position_decides_at_the_end() {
    let mut d = drive(vec![
        position(9979),
        check(0x0a, &EW), // scsi_debug: EW with INFORMATION = transfer, block stored
        position(9980),
        good(0x0a, &[]),  // the emulator says nothing more: still early warning
        check(0x0a, &VO), // VOLUME OVERFLOW although stored (quirk 1)
        position(9982),
        check(0x0a, &VO), // really refused
        position(9982),
        check(
            0x10,
            &hex!("f0 00 4d 00 00 00 01 0a 00 00 00 00 00 02 00 00 00 00"),
        ),
        position(9982),
    ]);
    let b = [0u8; 4096];
    assert_eq!(d.write_block(&b).unwrap(), WriteStatus::EarlyWarning);
    assert_eq!(d.write_block(&b).unwrap(), WriteStatus::EarlyWarning);
    assert_eq!(d.write_block(&b).unwrap(), WriteStatus::EarlyWarning);
    assert!(matches!(
        d.write_block(&b),
        Err(DeviceError::VolumeOverflow { written: 0 })
    ));
    assert!(matches!(
        d.write_filemarks(1),
        Err(DeviceError::VolumeOverflow { written: 0 })
    ));
}

#[test]
fn real_drive_physical_end_without_position_uses_sense() {
    let mut tgt_position = [0u8; 20];
    tgt_position[0] = 0x14; // tgt: location unknown
    let mut d = drive(vec![
        good(0x34, &tgt_position),
        check(
            0x0a,
            &hex!("70 00 40 00 00 00 00 0a 00 00 00 00 00 00 00 00 00 00"),
        ), // tgt EOM
        good(0x34, &tgt_position),
        good(0x34, &tgt_position), // still unknown before the next write
        check(0x0a, &VO),
        good(0x34, &tgt_position),
    ]);
    assert_eq!(d.write_block(&[1; 512]).unwrap(), WriteStatus::EarlyWarning);
    assert!(matches!(
        d.write_block(&[1; 512]),
        Err(DeviceError::VolumeOverflow { written: 0 })
    ));
}

#[test]
fn reads_map_filemark_short_long_and_end_of_data() {
    let mut d = drive(vec![
        check(
            0x08,
            &hex!("f0 00 20 00 00 10 00 0a 00 00 00 00 00 00 00 00 00 00"),
        ),
        check(
            0x08,
            &hex!("f0 00 80 00 00 20 00 0a 00 00 00 00 00 01 00 00 00 00"),
        ),
        check(
            0x08,
            &hex!("f0 00 20 ff ff f8 00 0a 00 00 00 00 00 00 00 00 00 00"),
        ),
        check(
            0x08,
            &hex!("f0 00 08 00 00 00 01 0a 00 00 00 00 00 05 00 00 00 00"),
        ),
        check(
            0x08,
            &hex!("f0 00 08 00 00 00 01 0a 00 00 00 00 00 05 00 00 00 00"),
        ),
    ]);
    let mut buf = vec![0u8; 8192];
    assert_eq!(d.read_block(&mut buf).unwrap(), ReadStatus::Data(4096));
    assert_eq!(d.read_block(&mut buf).unwrap(), ReadStatus::Filemark);
    let err = d.read_block(&mut buf[..2048]).unwrap_err();
    assert!(matches!(
        err,
        DeviceError::BlockTooLarge {
            block_len: Some(4096),
            buffer_len: 2048
        }
    ));
    assert_eq!(d.read_block(&mut buf).unwrap(), ReadStatus::EndOfData);
    assert_eq!(d.read_block(&mut buf).unwrap(), ReadStatus::EndOfData);
}

#[test]
fn not_a_tape_drive_is_refused() {
    let r = SgDrive::with_transport(Scripted(vec![inquiry(8)].into()), SgDriveOptions::default());
    assert!(matches!(r, Err(DeviceError::IllegalRequest(_))));
}

/// tgt's element status answers for §9.2.2: one page per type.
fn element_page(kind: u8, descs: &[(u16, bool, &str, Option<u16>)]) -> Vec<u8> {
    let len = 52usize;
    let body = len * descs.len();
    let mut d = vec![
        0,
        descs.first().map_or(0, |x| x.0 as u8),
        0,
        descs.len() as u8,
        0,
    ];
    d.extend_from_slice(&((body + 8) as u32).to_be_bytes()[1..]);
    d.extend_from_slice(&[kind, 0x80, 0, len as u8, 0]);
    d.extend_from_slice(&(body as u32).to_be_bytes()[1..]);
    for (address, full, tag, source) in descs {
        let mut x = vec![0u8; len];
        x[1] = *address as u8;
        x[2] = u8::from(*full) | 0x08;
        if let Some(s) = source {
            x[9] = 0x80;
            x[11] = *s as u8;
        }
        x[12..44].fill(b' ');
        x[12..12 + tag.len()].copy_from_slice(tag.as_bytes());
        d.extend_from_slice(&x);
    }
    d
}

fn changer_steps() -> Vec<Step> {
    vec![
        good(0xb8, &element_page(1, &[(3, false, "", None)])),
        good(
            0xb8,
            &element_page(
                2,
                &[
                    (4, true, "TAPE0001", None),
                    (5, true, "TAPE0002", None),
                    (6, true, "TAPE0003", None),
                    (7, false, "", None),
                ],
            ),
        ),
        good(0xb8, &element_page(4, &[(1, false, "", None)])),
    ]
}

#[test]
fn changer_inventory_per_type_and_move_errors() {
    let mut steps = vec![
        inquiry(8),
        good(
            0x1a,
            &hex!("17 00 00 00 1d 12 00 03 00 01 00 04 00 04 00 00 00 00 00 01 00 01 00 00"),
        ),
    ];
    steps.extend(changer_steps());
    steps.push((0xa5, Vec::new(), Reply::good(0)));
    steps.push(check(
        0xa5,
        &hex!("70 00 05 00 00 00 00 0a 00 00 00 00 3b 0d 00 00 00 00"),
    ));
    steps.extend(changer_steps());
    let opts = ChangerOptions {
        retry: RetryPolicy::none(),
        ..ChangerOptions::default()
    };
    let mut c = SgChanger::with_transport(Scripted(steps.into()), opts).unwrap();
    let inv = c.inventory().unwrap();
    assert_eq!(
        inv.of_kind(ElementKind::Storage).filter(|e| e.full).count(),
        3
    );
    assert_eq!(
        inv.find(ElementKind::Drive, 0).unwrap().address,
        ElementAddress(1)
    );
    c.move_medium(ElementAddress(4), ElementAddress(1)).unwrap();
    let err = c
        .move_medium(ElementAddress(5), ElementAddress(1))
        .unwrap_err();
    assert!(
        matches!(&err, DeviceError::DestinationFull(what) if what == "drive 0"),
        "{err}"
    );
}

#[test]
fn changer_eject_hook_runs_before_moving_out_of_a_drive() {
    let mut steps = vec![
        inquiry(8),
        check(
            0x1a,
            &hex!("70 00 05 00 00 00 00 0a 00 00 00 00 24 00 00 00 00 00"),
        ),
    ];
    steps.push((0xa5, Vec::new(), Reply::good(0)));
    let opts = ChangerOptions {
        retry: RetryPolicy::none(),
        ..ChangerOptions::default()
    };
    let mut c = SgChanger::with_transport(Scripted(steps.into()), opts).unwrap();
    let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = ran.clone();
    c.eject_before_unload(
        ElementAddress(1),
        Box::new(move || {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        }),
    );
    c.move_medium(ElementAddress(1), ElementAddress(4)).unwrap();
    assert!(ran.load(std::sync::atomic::Ordering::SeqCst));
}
