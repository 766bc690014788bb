//! Every `unsafe` operation of the workspace: the Linux st ioctls (MTIOCTOP, MTIOCGET,
//! MTIOCPOS) and SG_IO. Each wrapper takes a borrowed open file and safe Rust buffers, so
//! callers cannot pass dangling pointers or wrong lengths.
//!
//! The `libc` crate provides `ioctl(2)` but not `struct mtop`/`mtget`/`mtpos` or
//! `sg_io_hdr`, so their layouts are declared here from `include/uapi/linux/mtio.h` and
//! `include/scsi/sg.h` (scsi-tape.md §2.1–§2.3), with size checks at compile time.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// `struct mtop` (mtio.h): `short mt_op; int mt_count;`, 8 bytes.
#[repr(C)]
struct MtOp {
    op: libc::c_short,
    count: libc::c_int,
}

/// `struct mtget` (mtio.h), 48 bytes on x86_64 (§2.3).
#[repr(C)]
#[derive(Default)]
struct MtGetRaw {
    mt_type: libc::c_long,
    mt_resid: libc::c_long,
    mt_dsreg: libc::c_long,
    mt_gstat: libc::c_long,
    mt_erreg: libc::c_long,
    mt_fileno: libc::c_int,
    mt_blkno: libc::c_int,
}

/// `struct sg_io_hdr` (scsi/sg.h), interface 'S'.
#[repr(C)]
struct SgIoHdr {
    interface_id: libc::c_int,
    dxfer_direction: libc::c_int,
    cmd_len: libc::c_uchar,
    mx_sb_len: libc::c_uchar,
    iovec_count: libc::c_ushort,
    dxfer_len: libc::c_uint,
    dxferp: *mut libc::c_void,
    cmdp: *const libc::c_uchar,
    sbp: *mut libc::c_uchar,
    timeout: libc::c_uint,
    flags: libc::c_uint,
    pack_id: libc::c_int,
    usr_ptr: *mut libc::c_void,
    status: libc::c_uchar,
    masked_status: libc::c_uchar,
    msg_status: libc::c_uchar,
    sb_len_wr: libc::c_uchar,
    host_status: libc::c_ushort,
    driver_status: libc::c_ushort,
    resid: libc::c_int,
    duration: libc::c_uint,
    info: libc::c_uint,
}

#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(size_of::<MtOp>() == 8);
    assert!(size_of::<MtGetRaw>() == 48);
    assert!(size_of::<SgIoHdr>() == 88);
};

/// ioctl request numbers, checked on x86_64 (§2.1); SG_IO from scsi/sg.h.
const MTIOCTOP: u64 = 0x4008_6d01;
const MTIOCGET: u64 = 0x8030_6d02;
const MTIOCPOS: u64 = 0x8008_6d03;
const SG_IO: u64 = 0x2285;

const SG_DXFER_NONE: libc::c_int = -1;
const SG_DXFER_TO_DEV: libc::c_int = -2;
const SG_DXFER_FROM_DEV: libc::c_int = -3;

/// The fields of `struct mtget` (§2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct MtGet {
    /// Current partition (st stores the partition in `mt_resid`).
    pub(crate) partition: i64,
    /// Block size (bits 23..0) and density (31..24).
    pub(crate) dsreg: i64,
    /// GMT_* status bits.
    pub(crate) gstat: i64,
    /// File number counted by st, −1 if unknown.
    pub(crate) fileno: i32,
    /// Block number within the file counted by st, −1 if unknown.
    pub(crate) blkno: i32,
}

/// MTIOCTOP: one st operation (§2.2).
pub(crate) fn mt_op(file: &File, op: i16, count: i32) -> io::Result<()> {
    let arg = MtOp { op, count };
    // SAFETY: `file` is an open descriptor for the duration of the call; MTIOCTOP reads exactly
    // one `struct mtop`, which `arg` is (layout asserted above), and does not keep the pointer.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), MTIOCTOP as _, &raw const arg) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// MTIOCGET: the driver's status (§2.3, §2.4).
pub(crate) fn mt_get(file: &File) -> io::Result<MtGet> {
    let mut raw = MtGetRaw::default();
    // SAFETY: MTIOCGET writes one `struct mtget` (48 bytes, asserted above) into `raw`, a
    // live, exclusively borrowed local, and keeps no pointer.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), MTIOCGET as _, &raw mut raw) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(MtGet {
        partition: raw.mt_resid,
        dsreg: raw.mt_dsreg,
        gstat: raw.mt_gstat,
        fileno: raw.mt_fileno,
        blkno: raw.mt_blkno,
    })
}

/// MTIOCPOS: the drive's logical block address (READ POSITION through st).
pub(crate) fn mt_pos(file: &File) -> io::Result<i64> {
    let mut pos: libc::c_long = 0;
    // SAFETY: MTIOCPOS writes one `struct mtpos { long }` into `pos`, a live local.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), MTIOCPOS as _, &raw mut pos) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(pos)
    }
}

/// Data phase of an SG_IO command.
pub(crate) enum SgData<'a> {
    /// No data.
    None,
    /// Data from the device into the buffer.
    In(&'a mut [u8]),
    /// Data from the buffer to the device.
    Out(&'a [u8]),
}

/// What SG_IO reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SgReply {
    pub(crate) status: u8,
    pub(crate) host_status: u16,
    pub(crate) driver_status: u16,
    pub(crate) resid: i32,
    pub(crate) sense_len: usize,
}

/// SG_IO: runs one command synchronously. Buffers longer than `u32::MAX` are refused.
pub(crate) fn sg_io(
    file: &File,
    cdb: &[u8],
    data: SgData<'_>,
    sense: &mut [u8],
    timeout_ms: u32,
) -> io::Result<SgReply> {
    let too_long = |_| io::Error::from(io::ErrorKind::InvalidInput);
    let (direction, ptr, len) = match data {
        SgData::None => (SG_DXFER_NONE, std::ptr::null_mut(), 0),
        SgData::In(buf) => (SG_DXFER_FROM_DEV, buf.as_mut_ptr().cast(), buf.len()),
        SgData::Out(buf) => (SG_DXFER_TO_DEV, buf.as_ptr().cast_mut().cast(), buf.len()),
    };
    let mut hdr = SgIoHdr {
        interface_id: libc::c_int::from(b'S'),
        dxfer_direction: direction,
        cmd_len: u8::try_from(cdb.len()).map_err(too_long)?,
        mx_sb_len: u8::try_from(sense.len().min(255)).map_err(too_long)?,
        iovec_count: 0,
        dxfer_len: u32::try_from(len).map_err(too_long)?,
        dxferp: ptr,
        cmdp: cdb.as_ptr(),
        sbp: sense.as_mut_ptr(),
        timeout: timeout_ms,
        flags: 0,
        pack_id: 0,
        usr_ptr: std::ptr::null_mut(),
        status: 0,
        masked_status: 0,
        msg_status: 0,
        sb_len_wr: 0,
        host_status: 0,
        driver_status: 0,
        resid: 0,
        duration: 0,
        info: 0,
    };
    // SAFETY: every pointer in `hdr` comes from a slice borrowed for this call (`cdb`, `sense`,
    // and the data buffer, whose direction matches its mutability: the kernel writes only into
    // `In` buffers), with the lengths of those slices; SG_IO is synchronous and keeps no
    // pointer after returning. `hdr` itself is a live local of the declared layout.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), SG_IO as _, &raw mut hdr) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(SgReply {
        status: hdr.status,
        host_status: hdr.host_status,
        driver_status: hdr.driver_status,
        resid: hdr.resid,
        sense_len: usize::from(hdr.sb_len_wr).min(sense.len()),
    })
}

/// Clears O_NONBLOCK on an open descriptor (st is opened non-blocking so that an empty drive
/// can be opened for status; data transfers then block as usual).
pub(crate) fn clear_nonblock(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: F_GETFL takes no pointer argument and only reads the flags of an open descriptor.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: F_SETFL takes an integer argument; `fd` is open for the duration of the call.
    let rc = unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}
