//! The restore's file-system threads: they own the [`RestoreRoot`]s and make the system calls
//! (create, write, owner, mode, times, link in place) while the caller's thread reads the
//! medium and decodes MTF, so the two overlap, and several directories fill at once (issue 8:
//! a small file's restore is seven system calls; decoding used to wait for them, and one
//! thread could not make them faster than `tar -xf`).
//!
//! # Order
//!
//! Each thread (a *lane*) runs its work in the order given. A directory gets a lane the first
//! time it is seen, the lanes in turn (so the next directory fills on another lane while this
//! one's files are still being written); the directory's own creation and every file and
//! symbolic link in it go to that lane, so what happens to a name happens in the medium's
//! order. A lane may create a missing parent on the way (`mkdir` of an existing directory is
//! harmless), but lanes otherwise work in different directories, whose locks are what two
//! threads in one directory would fight over.
//!
//! A regular file is sent whole once its data stream has ended and been checked
//! ([`Applier::file`]), or, past [`STREAM_AT`] bytes, as a start, chunks and an end; how each
//! object ended comes back later ([`Applier::take_done`]), so the caller never waits for a
//! lane but when its queue is full. Hard links and listings (which may name what any lane
//! made) wait for every lane first ([`Applier::call_after_all`]); from a second set on,
//! everything goes to one lane ([`Applier::one_lane`]), since a later set may reuse a name for
//! another kind of object. Within one set a name is one object, but a damaged or hostile
//! medium may repeat one as a link or file and a directory (`a` a link, then `a/b`): before a
//! lane is given a name another lane has pending as the other kind, that lane finishes, so the
//! first of the two is made and the second refused, as the medium's order says.
//!
//! Jobs travel in batches of up to [`BATCH_JOBS`] jobs or [`STREAM_AT`] bytes, and answers in
//! one message per batch: one job per message cost a thread wake-up per file, a fifth of the
//! restore's time. Memory is bounded by the queues: [`QUEUE`] batches per lane.

use std::collections::{HashMap, VecDeque};
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
    Done(Done),
    Reply(Reply),
}

/// How one object (a regular file, a symbolic link or a directory) ended on the file system.
#[derive(Debug)]
pub(crate) struct Done {
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

const GONE: &str = "the restore's file-system thread stopped";

/// An object given to a lane, until its end comes back.
struct InFlight {
    /// A hash of its path (to tell, cheaply, whether a name is pending on the lane).
    name: u64,
    shown: String,
    bytes: u64,
    directory: bool,
}

impl InFlight {
    fn new(comps: &[Vec<u8>], shown: &str, bytes: u64, directory: bool) -> Self {
        Self {
            name: name_hash(comps),
            shown: shown.to_owned(),
            bytes,
            directory,
        }
    }
}

fn name_hash(comps: &[Vec<u8>]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    comps.hash(&mut h);
    h.finish()
}

/// One thread and the batch being gathered for it.
struct Lane {
    jobs: Option<SyncSender<Vec<Job>>>,
    batch: Vec<Job>,
    batch_bytes: usize,
    answers: Receiver<Vec<Answer>>,
    /// The objects given to it whose end has not come back, in order: what to report if the
    /// thread dies.
    inflight: VecDeque<InFlight>,
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
            inflight: VecDeque::new(),
            thread: Some(thread),
        })
    }

    /// Queues `job` (carrying `bytes` of data), sending the batch when it is full.
    fn send(&mut self, job: Job, bytes: usize) {
        self.batch.push(job);
        self.batch_bytes += bytes;
        if self.batch.len() >= BATCH_JOBS || self.batch_bytes >= STREAM_AT {
            self.flush();
        }
    }

    /// Sends the batch being gathered; false if the thread is gone (the batch is lost, and
    /// its objects are reported from `inflight`).
    fn flush(&mut self) -> bool {
        self.batch_bytes = 0;
        if self.batch.is_empty() {
            return self.jobs.is_some();
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_JOBS));
        self.jobs.as_ref().is_some_and(|j| j.send(batch).is_ok())
    }

    /// Queues a job that answers with a [`Done`] for `comps`.
    fn send_object(&mut self, job: Job, bytes: usize, object: InFlight) {
        self.inflight.push_back(object);
        self.send(job, bytes);
    }

    /// Stops the thread (after what it was given); its root, unless it failed.
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
    lane_of_dir: HashMap<Vec<Vec<u8>>, usize>,
    next_lane: usize,
    /// Everything goes to the first lane (see [`one_lane`](Self::one_lane)).
    one_lane: bool,
    done: Vec<Done>,
    /// The lane of the file being streamed.
    streaming: usize,
}

impl Applier {
    /// Starts the threads, the first with `root` and the others with copies of it: as many as
    /// the machine has processors, up to four, or one with `one_lane`.
    pub(crate) fn start(root: RestoreRoot, one_lane: bool) -> std::io::Result<Self> {
        let count = if one_lane {
            1
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, MAX_LANES))
        };
        let others = (1..count)
            .map(|lane| root.another(lane))
            .collect::<std::io::Result<Vec<_>>>()?;
        let lanes = std::iter::once(root)
            .chain(others)
            .enumerate()
            .map(|(i, root)| Lane::start(root, i))
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Self {
            lanes,
            lane_of_dir: HashMap::new(),
            next_lane: 0,
            one_lane,
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
        // This lane may create `dir` and its parents on the way. If one of those names is a
        // file or link another lane has yet to make (a damaged or hostile medium: a link
        // `a`, then `a/b`), that lane makes it first, as the medium's order says; the new
        // lane then finds it in the way and refuses, never following it.
        for end in 1..=dir.len() {
            let name = &dir[..end];
            let Some(&other) = self.lane_of_dir.get(parent(name)) else {
                continue;
            };
            let hash = name_hash(name);
            // (A hash collision only costs a wait.)
            let pending = other != lane
                && self.lanes[other]
                    .inflight
                    .iter()
                    .any(|o| !o.directory && o.name == hash);
            if pending {
                let _: Option<()> = self.call_on(other, |_| ());
            }
        }
        lane
    }

    /// The lane for a file or link named `comps`: its directory's. If a directory of that name
    /// is another lane's, that lane is done first, so the name is what the medium's order
    /// makes it (the later object refused if the earlier is in the way).
    fn lane_of_name(&mut self, comps: &[Vec<u8>]) -> usize {
        let lane = self.lane_of(parent(comps));
        if let Some(&other) = self.lane_of_dir.get(comps)
            && other != lane
            && !self.one_lane
        {
            let _: Option<()> = self.call_on(other, |_| ());
        }
        lane
    }

    /// Takes the answers of lane `lane`; the reply to a call if one was among them.
    fn received(&mut self, lane: usize, answers: Vec<Answer>) -> Option<Reply> {
        let mut reply = None;
        for answer in answers {
            match answer {
                Answer::Done(d) => {
                    self.lanes[lane].inflight.pop_front();
                    self.done.push(d);
                }
                Answer::Reply(r) => reply = Some(r),
            }
        }
        reply
    }

    /// Sends `f` to lane `lane` after everything given to it before; false if it is gone.
    fn ask<R: Send + 'static>(
        &mut self,
        lane: usize,
        f: impl FnOnce(&mut Worker) -> R + Send + 'static,
    ) -> bool {
        let l = &mut self.lanes[lane];
        l.batch
            .push(Box::new(move |w| Some(Answer::Reply(Box::new(f(w))))));
        l.flush()
    }

    /// The answer to what [`ask`](Self::ask) sent to lane `lane`.
    fn reply<R: Send + 'static>(&mut self, lane: usize) -> Option<R> {
        loop {
            let answers = self.lanes[lane].answers.recv().ok()?;
            if let Some(r) = self.received(lane, answers) {
                return r.downcast::<R>().ok().map(|r| *r);
            }
        }
    }

    /// Runs `f` on the lane of directory `dir`, after everything given to that lane, and
    /// returns its answer (`None` if the thread is gone).
    pub(crate) fn call<R: Send + 'static>(
        &mut self,
        dir: &[Vec<u8>],
        f: impl FnOnce(&mut Worker) -> R + Send + 'static,
    ) -> Option<R> {
        let lane = self.lane_of(dir);
        self.call_on(lane, f)
    }

    /// Runs `f` on lane `lane` after everything given to it, and returns its answer (`None` if
    /// the thread is gone).
    fn call_on<R: Send + 'static>(
        &mut self,
        lane: usize,
        f: impl FnOnce(&mut Worker) -> R + Send + 'static,
    ) -> Option<R> {
        if !self.ask(lane, f) {
            return None;
        }
        self.reply(lane)
    }

    /// Waits until every lane has done everything given to it (all lanes working meanwhile);
    /// false if one is gone.
    fn barrier(&mut self) -> bool {
        let lanes = self.lanes.len();
        let asked: Vec<bool> = (0..lanes).map(|lane| self.ask(lane, |_| ())).collect();
        let mut all = true;
        for (lane, asked) in asked.into_iter().enumerate() {
            all &= asked && self.reply::<()>(lane).is_some();
        }
        all
    }

    /// From now on, everything runs on one lane, in order, once every lane has done what it
    /// was given.
    pub(crate) fn one_lane(&mut self) {
        if !self.one_lane && self.lanes.len() > 1 {
            // A lane that is gone answers no more; its objects are reported at the end.
            self.barrier();
            self.one_lane = true;
        }
    }

    /// Runs `f` on the lane of directory `dir` once every lane has done everything given to
    /// it (for what may name an object any lane made: hard links, listings).
    pub(crate) fn call_after_all<R: Send + 'static>(
        &mut self,
        dir: &[Vec<u8>],
        f: impl FnOnce(&mut Worker) -> R + Send + 'static,
    ) -> Option<R> {
        if !self.barrier() {
            return None;
        }
        self.call(dir, f)
    }

    /// Makes sure directory `comps` exists; its metadata are applied when the restore
    /// finishes. How it went comes back from [`take_done`](Self::take_done).
    pub(crate) fn directory(&mut self, comps: Vec<Vec<u8>>, shown: String, meta: Meta) {
        let lane = self.lane_of(&comps);
        let object = InFlight::new(&comps, &shown, 0, true);
        let job: Job = Box::new(move |w| {
            let result = w.root.directory(&comps, meta);
            Some(done(comps, shown, 0, true, result))
        });
        self.lanes[lane].send_object(job, 0, object);
    }

    /// A symbolic link to `target` (stored as it is, never followed).
    pub(crate) fn symlink(
        &mut self,
        comps: Vec<Vec<u8>>,
        shown: String,
        target: Vec<u8>,
        meta: Meta,
    ) {
        let lane = self.lane_of_name(&comps);
        let object = InFlight::new(&comps, &shown, 0, false);
        let job: Job = Box::new(move |w| {
            let result = w.root.symlink(&comps, &target, &meta);
            Some(done(comps, shown, 0, false, result))
        });
        self.lanes[lane].send_object(job, 0, object);
    }

    /// A whole regular file: created, written, given `meta` and linked in place.
    pub(crate) fn file(&mut self, comps: Vec<Vec<u8>>, shown: String, data: Vec<u8>, meta: Meta) {
        let bytes = data.len();
        let lane = self.lane_of_name(&comps);
        let object = InFlight::new(&comps, &shown, bytes as u64, false);
        let job: Job = Box::new(move |w| {
            let result =
                w.root
                    .begin_file(&comps)
                    .and_then(|mut f| match f.file.write_all(&data) {
                        Ok(()) => w.root.commit_file(f, &meta),
                        Err(e) => Err(Refused(format!("writing failed: {e}"))),
                    });
            Some(done(comps, shown, bytes as u64, false, result))
        });
        self.lanes[lane].send_object(job, bytes, object);
    }

    /// Starts a regular file whose data follow in [`chunk`](Self::chunk)s.
    pub(crate) fn begin(&mut self, comps: Vec<Vec<u8>>) {
        self.streaming = self.lane_of_name(&comps);
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
        let object = InFlight::new(&comps, &shown, bytes, false);
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
            Some(done(comps, shown, bytes, false, result))
        });
        self.lanes[self.streaming].send_object(job, 0, object);
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

    /// Objects that ended since the last call (in order within each directory).
    pub(crate) fn take_done(&mut self) -> Vec<Done> {
        self.receive_all();
        std::mem::take(&mut self.done)
    }

    /// Stops the threads; the roots of those that did not fail, first lane first, and
    /// whether all of them were there. Then [`take_done`](Self::take_done) has every object's
    /// end (those of a failed thread as refused).
    pub(crate) fn finish(&mut self) -> (Vec<RestoreRoot>, bool) {
        let roots: Vec<Option<RestoreRoot>> = self.lanes.iter_mut().map(Lane::stop).collect();
        self.receive_all();
        for lane in &mut self.lanes {
            for o in lane.inflight.drain(..) {
                self.done.push(Done {
                    comps: Vec::new(),
                    shown: o.shown,
                    bytes: o.bytes,
                    directory: o.directory,
                    result: Err(Refused(GONE.into())),
                });
            }
        }
        let all = roots.iter().all(Option::is_some);
        (roots.into_iter().flatten().collect(), all)
    }

    /// Collects the answers that have come.
    fn receive_all(&mut self) {
        for lane in 0..self.lanes.len() {
            while let Ok(answers) = self.lanes[lane].answers.try_recv() {
                self.received(lane, answers);
            }
        }
    }
}

impl Drop for Applier {
    fn drop(&mut self) {
        // The restore ended early (a drive error): the whole, checked files gathered so far
        // are still made, so what is on disk is what came before the error on the medium;
        // the streamed file, unfinished, goes with its worker (its drop removes it).
        for lane in &mut self.lanes {
            lane.flush();
            lane.jobs = None;
            if let Some(thread) = lane.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

fn done(
    comps: Vec<Vec<u8>>,
    shown: String,
    bytes: u64,
    directory: bool,
    result: Result<(), Refused>,
) -> Answer {
    Answer::Done(Done {
        comps,
        shown,
        bytes,
        directory,
        result,
    })
}

/// The directory a path is in.
pub(crate) fn parent(comps: &[Vec<u8>]) -> &[Vec<u8>] {
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

    /// A whole small file `path` holding `data`.
    fn put(a: &mut Applier, path: &str, data: &[u8]) {
        a.file(c(path), path.into(), data.to_vec(), Meta::default());
    }

    fn start(out: &std::path::Path, one_lane: bool) -> Applier {
        let mut a = Applier::start(RestoreRoot::open(out).unwrap(), one_lane).unwrap();
        if !one_lane {
            // Whatever this machine has: four lanes, so the spread is tested.
            while a.lanes.len() < MAX_LANES {
                let lane = a.lanes.len();
                let root = RestoreRoot::open(out).unwrap().another(lane).unwrap();
                a.lanes.push(Lane::start(root, lane).unwrap());
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
                put(&mut a, &path, &data);
                expected.push(path);
            }
        }
        // The same names again: the later one is what stays.
        for d in 0..20 {
            let path = format!("d{d}/f0");
            put(&mut a, &path, format!("{path} again").as_bytes());
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
        let (roots, all) = a.finish();
        assert!(all);
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
        put(&mut a, "d3/f", b"before");
        a.one_lane();
        // The barrier: what was given before is done.
        assert_eq!(a.take_done().len(), 1);
        assert_eq!(a.lane_of(&c("d3")), 0);
        assert_eq!(a.lane_of(&c("new")), 0);
    }

    #[test]
    fn every_object_is_reported_once_even_when_a_lane_dies() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = start(&dir.path().join("out"), true);
        for i in 0..10 {
            put(&mut a, &format!("d/f{i}"), &[1]);
        }
        // A bug on the thread: it panics (and says so on stderr).
        let answer: Option<()> = a.call(&c("d"), |_| panic!("a lane's bug"));
        assert_eq!(answer, None);
        for i in 10..20 {
            put(&mut a, &format!("d/f{i}"), &[1]);
        }
        a.directory(c("e"), "e".into(), Meta::default());
        let (roots, all) = a.finish();
        assert!(!all && roots.is_empty());
        let done = a.take_done();
        let mut shown: Vec<&str> = done.iter().map(|d| d.shown.as_str()).collect();
        shown.sort_unstable();
        let mut want: Vec<String> = (0..20).map(|i| format!("d/f{i}")).collect();
        want.push("e".into());
        want.sort_unstable();
        assert_eq!(shown, want, "each object once");
        assert!(done[10..].iter().all(|d| d.result.is_err()));
    }

    #[test]
    fn an_unfinished_streamed_file_leaves_nothing_when_the_restore_stops() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut a = start(&out, true);
        put(&mut a, "d/whole", b"whole");
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
