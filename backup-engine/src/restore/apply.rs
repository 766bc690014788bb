//! The restore's file-system threads: they own the [`RestoreRoot`]s and make the system calls
//! (create, write, owner, mode, times, link in place) while the caller's thread reads the
//! medium and decodes MTF, so the two overlap, and several directories fill at once (issue 8:
//! a small file's restore is seven system calls; decoding used to wait for them, and one
//! thread could not make them faster than `tar -xf`).
//!
//! # Order
//!
//! Each thread (a *lane*) runs its work in the order given. Everything in one directory — the
//! directory itself and the files in it — goes to the same lane (chosen by the directory's
//! path), so what happens to one name happens in the order of the medium; lanes only ever work
//! in different directories (a directory's lock is what two threads in one would fight over).
//! A regular file is sent whole once its data stream has ended and been checked
//! ([`Applier::file`]), or, past [`STREAM_AT`] bytes, as a start, chunks and an end; how each
//! file or directory ended comes back later ([`Applier::take_done`]), so the caller never waits
//! for a lane but when its queue is full. Links and removals are calls that wait for every lane
//! first ([`Applier::call_after_all`]), since what they name may have been made by any.
//!
//! Jobs travel in batches of up to [`BATCH_JOBS`] jobs or [`STREAM_AT`] bytes, and answers in
//! one message per batch: one job per message cost a thread wake-up per file, a fifth of the
//! restore's time. Memory is bounded by the queues: [`QUEUE`] batches per lane.

use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use super::target::{Meta, PendingFile, Refused, RestoreRoot};

/// A file bigger than this is streamed to its lane in chunks of this size.
pub(crate) const STREAM_AT: usize = 1 << 20;
/// Batches waiting for a lane at most (enough for a directory of 2,000 small files, so the
/// caller can run a directory ahead of a busy lane).
const QUEUE: usize = 16;
/// Jobs per batch at most.
const BATCH_JOBS: usize = 128;
/// Lanes at most.
const MAX_LANES: usize = 4;

/// What a lane's thread holds: its root, and the file being streamed to it.
pub(crate) struct Worker {
    pub(crate) root: RestoreRoot,
    /// The streamed file, and why it failed if it did (it is then abandoned at its end).
    streaming: Option<(Option<PendingFile>, Option<String>)>,
}

type Job = Box<dyn FnOnce(&mut Worker) -> Option<Answer> + Send>;
type Reply = Box<dyn std::any::Any + Send>;

enum Answer {
    File(FileDone),
    Reply(Reply),
}

/// How one regular file (or directory) ended on the file system.
#[derive(Debug)]
pub(crate) struct FileDone {
    /// Its path under the root.
    pub(crate) comps: Vec<Vec<u8>>,
    /// Its path as shown in reports.
    pub(crate) shown: String,
    /// Bytes of data it has.
    pub(crate) bytes: u64,
    /// It is a directory.
    pub(crate) directory: bool,
    /// Whether it is in place, or why not.
    pub(crate) result: Result<(), Refused>,
}

/// One thread and the batch being gathered for it.
struct Lane {
    jobs: Option<SyncSender<Vec<Job>>>,
    batch: Vec<Job>,
    batch_bytes: usize,
    answers: Receiver<Vec<Answer>>,
    thread: Option<JoinHandle<RestoreRoot>>,
}

impl Lane {
    fn start(root: RestoreRoot, index: usize) -> std::io::Result<Self> {
        let (jobs, rx) = sync_channel::<Vec<Job>>(QUEUE);
        let (tx, answers) = channel();
        let thread = std::thread::Builder::new()
            .name(format!("ntbackup-restore-fs{index}"))
            .spawn(move || {
                let mut worker = Worker {
                    root,
                    streaming: None,
                };
                for batch in rx {
                    let answers: Vec<Answer> = batch
                        .into_iter()
                        .filter_map(|job| job(&mut worker))
                        .collect();
                    if !answers.is_empty() && tx.send(answers).is_err() {
                        break;
                    }
                }
                worker.root
            })?;
        Ok(Self {
            jobs: Some(jobs),
            batch: Vec::with_capacity(BATCH_JOBS),
            batch_bytes: 0,
            answers,
            thread: Some(thread),
        })
    }

    /// Queues `job` (carrying `bytes` of data); false if the thread is gone.
    fn send(&mut self, job: Job, bytes: usize) -> bool {
        self.batch.push(job);
        self.batch_bytes += bytes;
        if self.batch.len() >= BATCH_JOBS || self.batch_bytes >= STREAM_AT {
            return self.flush();
        }
        self.jobs.is_some()
    }

    /// Sends the batch being gathered.
    fn flush(&mut self) -> bool {
        self.batch_bytes = 0;
        if self.batch.is_empty() {
            return self.jobs.is_some();
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_JOBS));
        self.jobs.as_ref().is_some_and(|j| j.send(batch).is_ok())
    }

    /// Stops the thread; its root, unless it failed.
    fn stop(&mut self) -> Option<RestoreRoot> {
        self.flush();
        self.jobs = None;
        self.thread.take()?.join().ok()
    }
}

/// The caller's handle on the file-system threads.
pub(crate) struct Applier {
    lanes: Vec<Lane>,
    /// Each directory's lane, once it has one.
    lane_of_dir: std::collections::HashMap<Vec<Vec<u8>>, usize>,
    next_lane: usize,
    /// Everything goes to the first lane (see [`one_lane`](Self::one_lane)).
    one_lane: bool,
    done: Vec<FileDone>,
    /// The lane of the file being streamed.
    streaming: usize,
}

const GONE: &str = "the restore's file-system thread stopped";

impl Applier {
    /// Starts the threads, each with a root from `open` (called with the lane's number): as
    /// many as the machine has processors, up to four, or one with `one_lane`.
    pub(crate) fn start(
        mut open: impl FnMut(usize) -> std::io::Result<RestoreRoot>,
        one_lane: bool,
    ) -> std::io::Result<Self> {
        let count = if one_lane {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, MAX_LANES))
        };
        let mut lanes = Vec::with_capacity(count);
        for i in 0..count {
            lanes.push(Lane::start(open(i)?, i)?);
        }
        Ok(Self {
            lanes,
            lane_of_dir: std::collections::HashMap::new(),
            next_lane: 0,
            one_lane: false,
            done: Vec::new(),
            streaming: 0,
        })
    }

    /// The lane of directory `dir` (and of everything in it): directories take the lanes in
    /// turn as they first come, so the next directory goes to another lane than this one's
    /// and both fill at once.
    fn lane_of(&mut self, dir: &[Vec<u8>]) -> usize {
        if self.lanes.len() == 1 || self.one_lane {
            return 0;
        }
        if let Some(&lane) = self.lane_of_dir.get(dir) {
            return lane;
        }
        let lane = self.next_lane;
        self.next_lane = (lane + 1) % self.lanes.len();
        self.lane_of_dir.insert(dir.to_vec(), lane);
        lane
    }

    /// Makes sure directory `comps` exists; its metadata are applied when the restore
    /// finishes. How it went comes back from [`take_done`](Self::take_done).
    pub(crate) fn directory(&mut self, comps: Vec<Vec<u8>>, shown: String, meta: Meta) {
        let lane = self.lane_of(&comps);
        let name = shown.clone();
        let job: Job = Box::new(move |w| {
            let result = w.root.directory(&comps, meta);
            Some(Answer::File(FileDone {
                comps,
                shown,
                bytes: 0,
                directory: true,
                result,
            }))
        });
        if !self.lanes[lane].send(job, 0) {
            self.gone_file(name, 0);
        }
    }

    fn received(&mut self, answers: Vec<Answer>) -> Option<Reply> {
        let mut reply = None;
        for answer in answers {
            match answer {
                Answer::File(d) => self.done.push(d),
                Answer::Reply(r) => reply = Some(r),
            }
        }
        reply
    }

    /// Runs `f` on lane `lane` after everything given to it before, and returns its answer
    /// (`None` if the thread is gone).
    fn call_on<R: Send + 'static>(
        &mut self,
        lane: usize,
        f: impl FnOnce(&mut Worker) -> R + Send + 'static,
    ) -> Option<R> {
        let l = &mut self.lanes[lane];
        l.batch
            .push(Box::new(move |w| Some(Answer::Reply(Box::new(f(w))))));
        if !l.flush() {
            return None;
        }
        loop {
            let answers = self.lanes[lane].answers.recv().ok()?;
            if let Some(r) = self.received(answers) {
                return r.downcast::<R>().ok().map(|r| *r);
            }
        }
    }

    /// Runs `f` on the lane of directory `dir`, after everything given to that lane.
    pub(crate) fn call<R: Send + 'static>(
        &mut self,
        dir: &[Vec<u8>],
        f: impl FnOnce(&mut Worker) -> R + Send + 'static,
    ) -> Option<R> {
        let lane = self.lane_of(dir);
        self.call_on(lane, f)
    }

    /// From now on, everything runs on one lane, in order, once every lane has done what it
    /// was given.
    pub(crate) fn one_lane(&mut self) {
        if !self.one_lane && self.lanes.len() > 1 {
            for lane in 0..self.lanes.len() {
                // A lane that is gone answers no more; its files are reported as such.
                let _ = self.call_on(lane, |_| ());
            }
            self.one_lane = true;
        }
    }

    /// Runs `f` on the lane of directory `dir` once every lane has done everything given to
    /// it (for what may name a file any lane made: links, removals).
    pub(crate) fn call_after_all<R: Send + 'static>(
        &mut self,
        dir: &[Vec<u8>],
        f: impl FnOnce(&mut Worker) -> R + Send + 'static,
    ) -> Option<R> {
        for lane in 0..self.lanes.len() {
            self.call_on(lane, |_| ())?;
        }
        self.call(dir, f)
    }

    /// A whole regular file: created, written, given `meta` and linked in place.
    pub(crate) fn file(&mut self, comps: Vec<Vec<u8>>, shown: String, data: Vec<u8>, meta: Meta) {
        let bytes = data.len();
        let lane = self.lane_of(parent(&comps));
        let name = shown.clone();
        let job: Job = Box::new(move |w| {
            let result =
                w.root
                    .begin_file(&comps)
                    .and_then(|mut f| match f.file.write_all(&data) {
                        Ok(()) => w.root.commit_file(f, &meta),
                        Err(e) => Err(Refused(format!("writing failed: {e}"))),
                    });
            Some(Answer::File(FileDone {
                comps,
                shown,
                bytes: bytes as u64,
                directory: false,
                result,
            }))
        });
        if !self.lanes[lane].send(job, bytes) {
            self.gone_file(name, bytes as u64);
        }
    }

    /// Starts a regular file whose data follow in [`chunk`](Self::chunk)s.
    pub(crate) fn begin(&mut self, comps: Vec<Vec<u8>>) {
        self.streaming = self.lane_of(parent(&comps));
        let job: Job = Box::new(move |w| {
            w.streaming = Some(match w.root.begin_file(&comps) {
                Ok(f) => (Some(f), None),
                Err(Refused(why)) => (None, Some(why)),
            });
            None
        });
        self.lanes[self.streaming].send(job, 0);
    }

    /// More data of the streamed file.
    pub(crate) fn chunk(&mut self, data: Vec<u8>) {
        let bytes = data.len();
        let job: Job = Box::new(move |w| {
            if let Some((Some(f), failed @ None)) = &mut w.streaming
                && let Err(e) = f.file.write_all(&data)
            {
                *failed = Some(format!("writing failed: {e}"));
            }
            None
        });
        self.lanes[self.streaming].send(job, bytes);
    }

    /// Ends the streamed file: in place with `meta`; its end comes back from
    /// [`take_done`](Self::take_done).
    pub(crate) fn end(&mut self, comps: Vec<Vec<u8>>, shown: String, bytes: u64, meta: Meta) {
        let name = shown.clone();
        let job: Job = Box::new(move |w| {
            let result = match w.streaming.take() {
                Some((Some(f), None)) => w.root.commit_file(f, &meta),
                Some((f, Some(why))) => {
                    if let Some(f) = f {
                        w.root.abandon_file(f);
                    }
                    Err(Refused(why))
                }
                Some((None, None)) | None => Err(Refused("it was never created".into())),
            };
            Some(Answer::File(FileDone {
                comps,
                shown,
                bytes,
                directory: false,
                result,
            }))
        });
        if !self.lanes[self.streaming].send(job, 0) {
            self.gone_file(name, bytes);
        }
    }

    /// Removes the streamed file (the caller reports why).
    pub(crate) fn abandon(&mut self) {
        let job: Job = Box::new(|w| {
            if let Some((Some(f), _)) = w.streaming.take() {
                w.root.abandon_file(f);
            }
            None
        });
        self.lanes[self.streaming].send(job, 0);
    }

    fn gone_file(&mut self, shown: String, bytes: u64) {
        self.done.push(FileDone {
            comps: Vec::new(),
            shown,
            bytes,
            directory: false,
            result: Err(Refused(GONE.into())),
        });
    }

    /// Files that ended since the last call (in order within each directory).
    pub(crate) fn take_done(&mut self) -> Vec<FileDone> {
        self.receive_all();
        std::mem::take(&mut self.done)
    }

    /// Stops the threads and returns their roots (`None` if one failed), after which
    /// [`take_done`](Self::take_done) has every file's end.
    pub(crate) fn finish(&mut self) -> Option<Vec<RestoreRoot>> {
        let roots: Vec<Option<RestoreRoot>> = self.lanes.iter_mut().map(Lane::stop).collect();
        self.receive_all();
        roots.into_iter().collect()
    }

    /// Collects the answers that have come.
    fn receive_all(&mut self) {
        for lane in 0..self.lanes.len() {
            while let Ok(answers) = self.lanes[lane].answers.try_recv() {
                self.received(answers);
            }
        }
    }
}

impl Drop for Applier {
    fn drop(&mut self) {
        // Unfinished files go with the workers (their drop removes them); batches not sent
        // are dropped unrun.
        for lane in &mut self.lanes {
            lane.jobs = None;
            if let Some(thread) = lane.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

/// The directory a path is in.
fn parent(comps: &[Vec<u8>]) -> &[Vec<u8>] {
    &comps[..comps.len().saturating_sub(1)]
}

/// The message for an operation on `what` when the thread is gone.
pub(crate) fn gone(what: &[Vec<u8>]) -> Refused {
    Refused(format!("{}: {GONE}", super::names::show(what)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(path: &str) -> Vec<Vec<u8>> {
        path.split('/').map(|s| s.as_bytes().to_vec()).collect()
    }

    fn start(out: &std::path::Path, one_lane: bool) -> Applier {
        let mut a = Applier::start(
            |lane| RestoreRoot::open(out).map(|r| r.in_lane(lane)),
            one_lane,
        )
        .unwrap();
        if !one_lane {
            // Whatever this machine has: four lanes, so the spread is tested.
            while a.lanes.len() < MAX_LANES {
                let lane = a.lanes.len();
                a.lanes.push(
                    Lane::start(RestoreRoot::open(out).unwrap().in_lane(lane), lane).unwrap(),
                );
            }
        }
        a
    }

    #[test]
    fn files_in_many_directories_land_whole_and_the_last_of_a_name_wins() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut a = start(&out, false);
        let mut expected = Vec::new();
        for d in 0..20 {
            for f in 0..50 {
                let path = format!("d{d}/f{f}");
                let data = format!("{path} first").into_bytes();
                a.file(c(&path), path.clone(), data, Meta::default());
                expected.push(path);
            }
        }
        // The same names again: the later one is what stays.
        for d in 0..20 {
            let path = format!("d{d}/f0");
            a.file(
                c(&path),
                path.clone(),
                format!("{path} again").into_bytes(),
                Meta::default(),
            );
        }
        // A big file streamed in chunks, in a directory of its own.
        let big: Vec<u8> = (0..(3 * STREAM_AT + 7))
            .map(|i| u8::try_from(i % 251).unwrap())
            .collect();
        a.begin(c("big/file"));
        for chunk in big.chunks(STREAM_AT) {
            a.chunk(chunk.to_vec());
        }
        a.end(
            c("big/file"),
            "big/file".into(),
            big.len() as u64,
            Meta::default(),
        );
        // A hard link to a file another lane made.
        let linked = a
            .call_after_all(&c("links"), |w| {
                w.root.hard_link(&c("links/l"), &c("d7/f3"))
            })
            .unwrap();
        assert_eq!(linked, Ok(()));
        let roots = a.finish().unwrap();
        assert_eq!(roots.len(), MAX_LANES);
        let done = a.take_done();
        assert_eq!(done.len(), 20 * 50 + 20 + 1);
        assert!(done.iter().all(|d| d.result.is_ok()), "{done:?}");
        for path in expected {
            let want = if path.ends_with("/f0") {
                format!("{path} again")
            } else {
                format!("{path} first")
            };
            assert_eq!(std::fs::read(out.join(&path)).unwrap(), want.as_bytes());
        }
        assert_eq!(std::fs::read(out.join("big/file")).unwrap(), big);
        assert_eq!(std::fs::read(out.join("links/l")).unwrap(), b"d7/f3 first");
    }

    #[test]
    fn directories_take_the_lanes_in_turn_until_one_lane_is_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = start(&dir.path().join("out"), false);
        let lanes: Vec<usize> = (0..6).map(|i| a.lane_of(&c(&format!("d{i}")))).collect();
        assert_eq!(lanes, [0, 1, 2, 3, 0, 1]);
        assert_eq!(a.lane_of(&c("d2")), 2, "a directory keeps its lane");
        a.file(
            c("d3/f"),
            "d3/f".into(),
            b"before".to_vec(),
            Meta::default(),
        );
        a.one_lane();
        // The barrier: what was given before is done.
        assert_eq!(a.take_done().len(), 1);
        assert_eq!(a.lane_of(&c("d3")), 0);
        assert_eq!(a.lane_of(&c("new")), 0);
    }

    #[test]
    fn an_unfinished_streamed_file_leaves_nothing_when_the_restore_stops() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut a = start(&out, true);
        a.file(
            c("d/whole"),
            "d/whole".into(),
            b"whole".to_vec(),
            Meta::default(),
        );
        a.begin(c("d/cut"));
        a.chunk(vec![1; 100]);
        // Dropped mid-file (a restore that ends on a drive error).
        a.call(&c("d"), |_| ()).unwrap();
        drop(a);
        let names: Vec<_> = std::fs::read_dir(out.join("d"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["whole"]);
    }
}
