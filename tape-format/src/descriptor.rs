//! A descriptor block as laid out on the medium: the DBLK, its streams (4-byte aligned) and the
//! closing `SPAD` to the next FLB boundary (mtf.md §5.1, §6.3). Used for single-block decoding,
//! the worked example of mtf.md §8 and fuzzing; the media reader and writer stream instead.

use crate::block::{Dblk, HEADER_LEN, decode_dblk, looks_like_header};
use crate::decoded::{Decoded, need};
use crate::error::{DecodeError, EncodeError};
use crate::ids::StreamId;
use crate::le::{align_up, to_u64, to_usize};
use crate::stream::{STREAM_HEADER_LEN, StreamHeader, pad4};

/// Most streams accepted in one descriptor (bounds the allocation of the stream list).
pub const MAX_STREAMS: usize = 4096;

/// A DBLK with its streams; stream data borrow the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor<'a> {
    /// The block.
    pub dblk: Dblk,
    /// Streams in order, the final `SPAD` included (absent for stream-less blocks).
    pub streams: Vec<(StreamHeader, &'a [u8])>,
}

/// Decodes a DBLK and its streams up to and including its `SPAD` (or, for a stream-less
/// pre-1.0 block, up to the next DBLK).
pub fn decode_descriptor(input: &[u8]) -> Result<Decoded<Descriptor<'_>>, DecodeError> {
    let (dblk, mut pos) = match decode_dblk(input)? {
        Decoded::Complete { value, consumed } => (value, consumed),
        Decoded::Incomplete { needed } => return Ok(Decoded::Incomplete { needed }),
    };
    let mut streams = Vec::new();
    if dblk.header.block_type == crate::ids::BlockType::SFMB {
        // Soft filemarks have no streams (mtf.md §4.10).
        return Ok(Decoded::Complete {
            value: Descriptor { dblk, streams },
            consumed: pos,
        });
    }
    loop {
        let rest = &input[pos..];
        if let Some(needed) = need(rest, STREAM_HEADER_LEN) {
            return Ok(Decoded::Incomplete { needed });
        }
        let header = match StreamHeader::decode(rest) {
            Ok(d) => d.complete().map(|(h, _)| h),
            Err(e) if streams.is_empty() => {
                // Stream-less block: a DBLK must follow (mtf.md §6.3).
                if let Some(needed) = need(rest, HEADER_LEN) {
                    return Ok(Decoded::Incomplete { needed });
                }
                if looks_like_header(rest) {
                    return Ok(Decoded::Complete {
                        value: Descriptor { dblk, streams },
                        consumed: pos,
                    });
                }
                return Err(e.rebase(to_u64(pos)));
            }
            Err(e) => return Err(e.rebase(to_u64(pos))),
        };
        let Some(header) = header else {
            return Ok(Decoded::Incomplete {
                needed: STREAM_HEADER_LEN,
            });
        };
        pos += STREAM_HEADER_LEN;
        let len = to_usize(header.length);
        if let Some(needed) = need(&input[pos..], len) {
            return Ok(Decoded::Incomplete { needed });
        }
        if streams.len() >= MAX_STREAMS {
            return Err(DecodeError::FieldRange {
                field: "descriptor.streams",
                value: to_u64(MAX_STREAMS),
            });
        }
        streams.push((header, &input[pos..pos + len]));
        pos += len;
        if header.id == StreamId::SPAD {
            return Ok(Decoded::Complete {
                value: Descriptor { dblk, streams },
                consumed: pos,
            });
        }
        let pad = to_usize(pad4(to_u64(pos)));
        if let Some(needed) = need(&input[pos..], pad) {
            return Ok(Decoded::Incomplete { needed });
        }
        pos += pad;
    }
}

/// Encodes `dblk`, the streams (each 4-byte aligned) and a final `SPAD` reaching the next
/// `boundary` (FLB, or physical block before a filemark). The descriptor is assumed to start on
/// a boundary. Returns the bytes appended.
pub fn encode_descriptor(
    dblk: &Dblk,
    streams: &[(StreamHeader, &[u8])],
    boundary: usize,
    out: &mut Vec<u8>,
) -> Result<usize, EncodeError> {
    let start = out.len();
    dblk.encode(out)?;
    for (h, data) in streams {
        if to_u64(data.len()) != h.length {
            return Err(EncodeError::Mismatch("stream length differs from its data"));
        }
        out.extend_from_slice(&h.encode());
        out.extend_from_slice(data);
        out.resize(out.len() + to_usize(pad4(to_u64(out.len() - start))), 0);
    }
    let pos = to_u64(out.len() - start);
    let hdr = to_u64(STREAM_HEADER_LEN);
    let spad_len = align_up(pos + hdr, to_u64(boundary.max(4))) - pos - hdr;
    out.extend_from_slice(&StreamHeader::new(StreamId::SPAD, spad_len).encode());
    out.resize(out.len() + to_usize(spad_len), 0);
    Ok(out.len() - start)
}
