//! The rows of scsi-tape.md §3.6 ("condition → what st returns") and the observed sequences of
//! §3.3, each turned into the `tape-core` outcome.

use super::*;

fn err(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

fn seen(before: i64, after: i64, gstat: i64, latched: bool) -> Observed {
    Observed {
        before: Some(before),
        after: Some(after),
        gstat,
        latched,
        repeated: false,
    }
}

fn status(step: WriteStep) -> Result<WriteStatus, DeviceError> {
    match step {
        WriteStep::Done(r) => r,
        WriteStep::Repeat => panic!("unexpected repeat"),
    }
}

#[test]
fn plain_write() {
    let s = write(&Ok(4096), 4096, 0, seen(5, 6, gmt::ONLINE, false));
    assert_eq!(status(s).unwrap(), WriteStatus::Written);
}

#[test]
fn write_that_crossed_early_warning_returns_count_with_eot() {
    // Real drive: INFORMATION 0 at EW, st returns the count and enters ST_EOM_OK.
    let s = write(
        &Ok(4096),
        4096,
        0,
        seen(5, 6, gmt::ONLINE | gmt::EOT, false),
    );
    assert_eq!(status(s).unwrap(), WriteStatus::EarlyWarning);
}

#[test]
fn enospc_without_io_is_repeated_once() {
    // ST_EOM_OK → ST_EOD_1: ENOSPC, nothing moved, GMT_EOD.
    let s = write(
        &Err(err(libc::ENOSPC)),
        4096,
        0,
        seen(9980, 9980, gmt::EOD, true),
    );
    assert!(matches!(s, WriteStep::Repeat));
    // The repeat went to the drive and succeeded: still early warning (latched).
    let s = write(&Ok(4096), 4096, 0, seen(9980, 9981, gmt::EOT, true));
    assert_eq!(status(s).unwrap(), WriteStatus::EarlyWarning);
}

#[test]
fn enospc_although_written_is_early_warning() {
    // §9.1.6 quirk 1 seen through st: ENOSPC but MTIOCPOS advanced by the block.
    let s = write(
        &Err(err(libc::ENOSPC)),
        32768,
        0,
        seen(9979, 9980, gmt::EOT, false),
    );
    assert_eq!(status(s).unwrap(), WriteStatus::EarlyWarning);
}

#[test]
fn enospc_from_the_drive_is_physical_end() {
    // Real drive at PEOM, variable mode: VOLUME OVERFLOW, nothing written, ST_EOM_OK.
    let s = write(
        &Err(err(libc::ENOSPC)),
        4096,
        0,
        seen(9998, 9998, gmt::EOT, true),
    );
    assert!(matches!(
        status(s),
        Err(DeviceError::VolumeOverflow { written: 0 })
    ));
    // The repeat of a no-I/O ENOSPC also failed: physical end.
    let mut o = seen(9998, 9998, gmt::EOD, true);
    o.repeated = true;
    let s = write(&Err(err(libc::ENOSPC)), 4096, 0, o);
    assert!(matches!(
        status(s),
        Err(DeviceError::VolumeOverflow { written: 0 })
    ));
}

#[test]
fn fixed_mode_short_count_at_physical_end() {
    // Observed: 10 × 512-byte blocks per write, short count 4608 at PEOM.
    let s = write(&Ok(4608), 5120, 512, seen(9990, 9999, gmt::EOT, true));
    assert!(matches!(
        status(s),
        Err(DeviceError::VolumeOverflow { written: 4608 })
    ));
}

#[test]
fn fixed_mode_enospc_with_partial_progress() {
    let s = write(
        &Err(err(libc::ENOSPC)),
        5120,
        512,
        seen(9990, 9993, gmt::EOT, true),
    );
    assert!(matches!(
        status(s),
        Err(DeviceError::VolumeOverflow { written: 1536 })
    ));
}

#[test]
fn eio_with_buffered_data_lost() {
    let s = write(
        &Err(err(libc::EIO)),
        5120,
        512,
        seen(9990, 9990, gmt::EOT, false),
    );
    let e = status(s).unwrap_err();
    assert!(matches!(&e, DeviceError::MediumError { detail, .. } if detail.contains("lost")));
}

#[test]
fn write_protected_and_other_errors() {
    let s = write(
        &Err(err(libc::EACCES)),
        512,
        0,
        seen(0, 0, gmt::WR_PROT, false),
    );
    assert!(matches!(status(s), Err(DeviceError::WriteProtected)));
    let s = write(&Err(err(libc::EINVAL)), 7, 0, seen(0, 0, 0, false));
    assert!(matches!(status(s), Err(DeviceError::Io { .. })));
    let s = write(&Err(err(libc::EIO)), 512, 0, seen(0, 0, 0, false));
    assert!(matches!(status(s), Err(DeviceError::Io { .. })));
    assert!(matches!(
        errno_error(&err(libc::ENOMEDIUM), "open"),
        DeviceError::NoMedium
    ));
    assert!(matches!(
        errno_error(&err(libc::EBUSY), "open"),
        DeviceError::Busy(_)
    ));
}

#[test]
fn filemarks_at_early_warning_and_physical_end() {
    assert_eq!(
        filemarks(&Ok(()), seen(10, 11, 0, false)).unwrap(),
        WriteStatus::Written
    );
    assert_eq!(
        filemarks(&Ok(()), seen(10, 11, 0, true)).unwrap(),
        WriteStatus::EarlyWarning
    );
    let r = filemarks(&Err(err(libc::EIO)), seen(9999, 9999, gmt::EOT, true));
    assert!(matches!(r, Err(DeviceError::VolumeOverflow { written: 0 })));
    let r = filemarks(&Err(err(libc::ENOSPC)), seen(9999, 9999, 0, false));
    assert!(matches!(r, Err(DeviceError::VolumeOverflow { written: 0 })));
    assert!(matches!(
        filemarks(&Err(err(libc::EIO)), seen(5, 5, 0, false)),
        Err(DeviceError::Io { .. })
    ));
}

#[test]
fn read_data_filemark_and_end_of_data() {
    assert_eq!(
        read(&Ok(100), 4096, seen(0, 1, 0, false)).unwrap(),
        ReadStatus::Data(100)
    );
    // 0 with the position moved: a filemark was consumed.
    assert_eq!(
        read(&Ok(0), 4096, seen(5, 6, 0, false)).unwrap(),
        ReadStatus::Filemark
    );
    // 0 without movement: the first BLANK CHECK after a filemark.
    assert_eq!(
        read(&Ok(0), 4096, seen(6, 6, gmt::EOD, false)).unwrap(),
        ReadStatus::EndOfData
    );
    // Then EIO: still end of data.
    let r = read(&Err(err(libc::EIO)), 4096, seen(6, 6, gmt::EOD, false));
    assert_eq!(r.unwrap(), ReadStatus::EndOfData);
}

#[test]
fn read_without_positions_falls_back_to_status_bits() {
    let blind = Observed {
        before: None,
        after: None,
        gstat: gmt::EOD,
        latched: false,
        repeated: false,
    };
    assert_eq!(read(&Ok(0), 10, blind).unwrap(), ReadStatus::EndOfData);
    let blind = Observed { gstat: 0, ..blind };
    assert_eq!(read(&Ok(0), 10, blind).unwrap(), ReadStatus::Filemark);
}

#[test]
fn read_block_too_large_and_medium_error() {
    let r = read(&Err(err(libc::ENOMEM)), 1024, seen(3, 4, 0, false));
    assert!(matches!(
        r,
        Err(DeviceError::BlockTooLarge {
            block_len: None,
            buffer_len: 1024
        })
    ));
    let r = read(&Err(err(libc::EIO)), 1024, seen(3, 3, gmt::ONLINE, false));
    assert!(matches!(r, Err(DeviceError::Io { .. })));
}

#[test]
fn read_eio_after_probe() {
    // EOD without a filemark before it: st returns EIO at once (§3.4); the probe did not move.
    assert_eq!(read_eio(Some(true)).unwrap(), ReadStatus::EndOfData);
    assert!(matches!(
        read_eio(Some(false)),
        Err(DeviceError::MediumError { .. })
    ));
    assert!(matches!(
        read_eio(None),
        Err(DeviceError::MediumError { .. })
    ));
}
