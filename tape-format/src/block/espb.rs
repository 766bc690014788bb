//! `MTF_ESPB`, end-of-set pad (mtf.md §4.7): the common header only (52 bytes) plus its SPAD,
//! which reaches the next physical block boundary before the filemark that precedes the ESET.
//! Optional; our writer lets the last SPAD do that job instead (§3.5.3 allows both). Decoded as
//! [`super::Body::Espb`], which has no fields.
