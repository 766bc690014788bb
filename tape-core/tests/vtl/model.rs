//! Random operation sequences against a simple reference model of a tape (quinn-style): the
//! virtual drive must agree with the model on every outcome, across closes and reopens.

use proptest::prelude::*;
use tape_core::vtl::{InsertSource, VirtualDrive};
use tape_core::{BlockAddress, DeviceError, ReadStatus, SpaceStatus, TapeDrive, WriteStatus};

use crate::{library, pattern};

const CAPACITY: u64 = 24_000;
const EARLY_WARNING: u64 = 5_000;
const COST: u64 = 16;

#[derive(Debug, Clone)]
enum Op {
    Write { len: usize, seed: u64 },
    Filemarks(u32),
    Read { buf: usize },
    SpaceBlocks(i64),
    SpaceFilemarks(i64),
    Locate(u64),
    Rewind,
    EndOfData,
    Position,
    Reopen,
    UnloadLoad,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (1usize..3_000, any::<u64>()).prop_map(|(len, seed)| Op::Write { len, seed }),
        2 => (0u32..3).prop_map(Op::Filemarks),
        5 => (1usize..3_500).prop_map(|buf| Op::Read { buf }),
        2 => (-4i64..=4).prop_map(Op::SpaceBlocks),
        2 => (-3i64..=3).prop_map(Op::SpaceFilemarks),
        2 => (0u64..30).prop_map(Op::Locate),
        1 => Just(Op::Rewind),
        1 => Just(Op::EndOfData),
        1 => Just(Op::Position),
        1 => Just(Op::Reopen),
        1 => Just(Op::UnloadLoad),
    ]
}

/// What an operation did, in a form both sides produce.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Write(WriteStatus),
    Read(ReadStatus, Vec<u8>),
    Space(SpaceStatus),
    Position(u64),
    Done,
    Overflow,
    TooLarge(usize),
    BeyondEnd(u64),
}

#[derive(Debug, Clone, PartialEq)]
enum Obj {
    Block(Vec<u8>),
    Mark,
}

/// The reference: a vector of objects and a position; nothing else.
#[derive(Debug, Default)]
struct Model {
    tape: Vec<Obj>,
    pos: usize,
}

impl Model {
    fn used(&self, upto: usize) -> u64 {
        self.tape[..upto]
            .iter()
            .map(|o| {
                COST + if let Obj::Block(b) = o {
                    b.len() as u64
                } else {
                    0
                }
            })
            .sum()
    }

    fn put(&mut self, obj: Obj) -> Outcome {
        self.tape.truncate(self.pos);
        let cost = COST
            + if let Obj::Block(b) = &obj {
                b.len() as u64
            } else {
                0
            };
        if self.used(self.pos) + cost > CAPACITY {
            return Outcome::Overflow;
        }
        self.tape.push(obj);
        self.pos += 1;
        let early = self.used(self.pos) >= CAPACITY - EARLY_WARNING;
        Outcome::Write(if early {
            WriteStatus::EarlyWarning
        } else {
            WriteStatus::Written
        })
    }

    fn apply(&mut self, op: &Op) -> Outcome {
        match *op {
            Op::Write { len, seed } => self.put(Obj::Block(pattern(len, seed))),
            Op::Filemarks(n) => {
                let mut last = Outcome::Write(WriteStatus::Written);
                for _ in 0..n {
                    last = self.put(Obj::Mark);
                    if last == Outcome::Overflow {
                        return last;
                    }
                }
                if n == 0 && self.used(self.pos) >= CAPACITY - EARLY_WARNING {
                    last = Outcome::Write(WriteStatus::EarlyWarning);
                }
                last
            }
            Op::Read { buf } => match self.tape.get(self.pos) {
                None => Outcome::Read(ReadStatus::EndOfData, vec![]),
                Some(Obj::Mark) => {
                    self.pos += 1;
                    Outcome::Read(ReadStatus::Filemark, vec![])
                }
                Some(Obj::Block(b)) => {
                    self.pos += 1;
                    if b.len() > buf {
                        Outcome::TooLarge(b.len())
                    } else {
                        Outcome::Read(ReadStatus::Data(b.len()), b.clone())
                    }
                }
            },
            Op::SpaceBlocks(n) => Outcome::Space(self.space_blocks(n)),
            Op::SpaceFilemarks(n) => Outcome::Space(self.space_filemarks(n)),
            Op::Locate(a) => {
                if a as usize > self.tape.len() {
                    self.pos = self.tape.len();
                    Outcome::BeyondEnd(self.pos as u64)
                } else {
                    self.pos = a as usize;
                    Outcome::Done
                }
            }
            Op::Rewind | Op::UnloadLoad => {
                self.pos = 0;
                Outcome::Done
            }
            Op::EndOfData => {
                self.pos = self.tape.len();
                Outcome::Done
            }
            Op::Position => Outcome::Position(self.pos as u64),
            Op::Reopen => Outcome::Done,
        }
    }

    fn space_blocks(&mut self, n: i64) -> SpaceStatus {
        let mut left = n.unsigned_abs();
        while left > 0 {
            if n > 0 {
                match self.tape.get(self.pos) {
                    None => return SpaceStatus::EndOfData { remaining: left },
                    Some(o) => {
                        self.pos += 1;
                        if *o == Obj::Mark {
                            return SpaceStatus::Filemark { remaining: left };
                        }
                    }
                }
            } else {
                if self.pos == 0 {
                    return SpaceStatus::BeginningOfMedium { remaining: left };
                }
                self.pos -= 1;
                if self.tape[self.pos] == Obj::Mark {
                    return SpaceStatus::Filemark { remaining: left };
                }
            }
            left -= 1;
        }
        SpaceStatus::Done
    }

    fn space_filemarks(&mut self, n: i64) -> SpaceStatus {
        let marks: Vec<usize> = self
            .tape
            .iter()
            .enumerate()
            .filter(|(_, o)| **o == Obj::Mark)
            .map(|(i, _)| i)
            .collect();
        let wanted = n.unsigned_abs() as usize;
        if n > 0 {
            let ahead: Vec<usize> = marks.into_iter().filter(|&m| m >= self.pos).collect();
            if ahead.len() >= wanted {
                self.pos = ahead[wanted - 1] + 1;
                SpaceStatus::Done
            } else {
                self.pos = self.tape.len();
                SpaceStatus::EndOfData {
                    remaining: (wanted - ahead.len()) as u64,
                }
            }
        } else if n < 0 {
            let behind: Vec<usize> = marks.into_iter().filter(|&m| m < self.pos).rev().collect();
            if behind.len() >= wanted {
                self.pos = behind[wanted - 1];
                SpaceStatus::Done
            } else {
                self.pos = 0;
                SpaceStatus::BeginningOfMedium {
                    remaining: (wanted - behind.len()) as u64,
                }
            }
        } else {
            SpaceStatus::Done
        }
    }
}

fn real(drive: &mut VirtualDrive, op: &Op) -> Outcome {
    let result = match *op {
        Op::Write { len, seed } => drive.write_block(&pattern(len, seed)).map(Outcome::Write),
        Op::Filemarks(n) => drive.write_filemarks(n).map(Outcome::Write),
        Op::Read { buf } => {
            let mut b = vec![0; buf];
            drive.read_block(&mut b).map(|s| match s {
                ReadStatus::Data(n) => Outcome::Read(s, b[..n].to_vec()),
                other => Outcome::Read(other, vec![]),
            })
        }
        Op::SpaceBlocks(n) => drive.space_blocks(n).map(Outcome::Space),
        Op::SpaceFilemarks(n) => drive.space_filemarks(n).map(Outcome::Space),
        Op::Locate(a) => drive.locate(BlockAddress(a)).map(|()| Outcome::Done),
        Op::Rewind => drive.rewind().map(|()| Outcome::Done),
        Op::EndOfData => drive.space_to_end_of_data().map(|()| Outcome::Done),
        Op::Position => drive.position().map(|a| Outcome::Position(a.0)),
        Op::UnloadLoad => drive
            .unload()
            .and_then(|()| drive.load())
            .map(|()| Outcome::Done),
        Op::Reopen => unreachable!("handled by the caller"),
    };
    match result {
        Ok(o) => o,
        Err(DeviceError::VolumeOverflow { written: 0 }) => Outcome::Overflow,
        Err(DeviceError::BlockTooLarge {
            block_len: Some(n), ..
        }) => Outcome::TooLarge(n),
        Err(DeviceError::BeyondEndOfData { end_of_data, .. }) => Outcome::BeyondEnd(end_of_data),
        Err(e) => panic!("unexpected error for {op:?}: {e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn virtual_drive_behaves_like_the_reference_model(ops in proptest::collection::vec(op(), 1..80)) {
        let (_dir, lib) = library(1, CAPACITY, EARLY_WARNING);
        lib.insert(0, InsertSource::NextBlank).unwrap();
        let mut drive = Some(lib.drive(0).unwrap());
        let mut model = Model::default();
        for (i, op) in ops.iter().enumerate() {
            let expected = model.apply(op);
            let got = if let Op::Reopen = op {
                drive.take().unwrap().close().unwrap();
                drive = Some(lib.drive(0).unwrap());
                Outcome::Done
            } else {
                real(drive.as_mut().unwrap(), op)
            };
            prop_assert_eq!(&got, &expected, "op {} {:?}", i, op);
            let pos = drive.as_mut().unwrap().position().unwrap();
            prop_assert_eq!(pos.0, model.pos as u64, "position after op {} {:?}", i, op);
        }
        // Whatever happened, a fresh handle reads back exactly the model's tape.
        drop(drive);
        let mut d = lib.drive(0).unwrap();
        d.rewind().unwrap();
        let mut buf = vec![0; 4_000];
        for (i, obj) in model.tape.iter().enumerate() {
            match (obj, d.read_block(&mut buf).unwrap()) {
                (Obj::Mark, ReadStatus::Filemark) => {}
                (Obj::Block(b), ReadStatus::Data(n)) => prop_assert_eq!(&buf[..n], &b[..], "object {}", i),
                (o, got) => prop_assert!(false, "object {} is {:?} but read {:?}", i, o, got),
            }
        }
        prop_assert_eq!(d.read_block(&mut buf).unwrap(), ReadStatus::EndOfData);
    }
}
