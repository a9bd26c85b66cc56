//! Surviving a mapped file that shrinks under us.
//!
//! errscope memory-maps its inputs. When another process truncates a mapped file
//! (logrotate's `copytruncate` does exactly that), reading a page past the new end
//! raises `SIGBUS`, whose default action kills the process. A nightly job must not die
//! that way, so every mapping errscope reads is registered here, and a `SIGBUS`
//! handler turns a fault inside a registered mapping into zeros:
//!
//! - it maps anonymous zero pages (`MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS`) over the
//!   mapping from the faulting page to its end, so the faulting read, retried when
//!   the handler returns, reads zeros, and so does every later read of that part;
//! - it records, for the mapping, the offset from which bytes may be such zeros
//!   ([`Guard::cut_at`]), so the analysis can drop what it read from there and report
//!   the file as changed during the run.
//!
//! A `SIGBUS` anywhere else (not errscope's mapping, or one the handler cannot
//! patch) goes to the handler that was installed before (Rust's runtime has one for
//! stack overflows), or gets the default action: the process dies as it would have.
//!
//! The registry is a fixed array of slots written with atomics, because a signal
//! handler can neither lock nor allocate. A mapping that finds no free slot is not
//! made: the caller streams that file instead.
//!
//! `mmap` is not on POSIX's list of async-signal-safe functions, but it is a plain
//! system call on Linux and the other Unixes, with no user-space state; replacing
//! pages from a fault handler is what language runtimes commonly do.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// Mappings that can be registered at once (every mapped input of a run is mapped
/// at the same time). Beyond this, files are streamed.
pub const SLOTS: usize = 4096;

const FREE: u8 = 0;
const CLAIMED: u8 = 1;
const ACTIVE: u8 = 2;
/// `cut` of a mapping that was never patched.
const NOT_CUT: usize = usize::MAX;

struct Slot {
    state: AtomicU8,
    ptr: AtomicUsize,
    len: AtomicUsize,
    /// Offset from which the mapping reads zeros, or [`NOT_CUT`].
    cut: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)] // only used to initialise REGISTRY
const EMPTY_SLOT: Slot = Slot {
    state: AtomicU8::new(FREE),
    ptr: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    cut: AtomicUsize::new(NOT_CUT),
};

static REGISTRY: [Slot; SLOTS] = [EMPTY_SLOT; SLOTS];

/// A registered mapping. Drop it before unmapping (declare it before the map in a
/// struct, so it drops first).
#[derive(Debug)]
pub struct Guard {
    slot: usize,
}

impl Guard {
    /// Register the mapping `[ptr, ptr + len)`, installing the handler on first use.
    /// `None` when the handler cannot be installed or every slot is taken: do not
    /// map (or do not read) the file then.
    pub fn register(ptr: *const u8, len: usize) -> Option<Guard> {
        if !imp::install() {
            return None;
        }
        for (i, slot) in REGISTRY.iter().enumerate() {
            if slot
                .state
                .compare_exchange(FREE, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                slot.ptr.store(ptr as usize, Ordering::Relaxed);
                slot.len.store(len, Ordering::Relaxed);
                slot.cut.store(NOT_CUT, Ordering::Relaxed);
                // Publishes ptr/len/cut to the handler, which loads state with Acquire.
                slot.state.store(ACTIVE, Ordering::Release);
                return Some(Guard { slot: i });
            }
        }
        None
    }

    /// The offset from which the mapping may read zeros instead of the file's bytes
    /// (the file shrank while mapped), or `None` if it never faulted. It only ever
    /// decreases: every byte read before `cut_at` (as seen after reading it) was the
    /// file's own.
    pub fn cut_at(&self) -> Option<usize> {
        match REGISTRY[self.slot].cut.load(Ordering::SeqCst) {
            NOT_CUT => None,
            offset => Some(offset),
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        REGISTRY[self.slot].state.store(FREE, Ordering::Release);
    }
}

/// Find the registered mapping holding `addr`, patch it from `addr`'s page to its end
/// with zero pages, and record the cut. Returns whether the fault was handled.
/// Called from the signal handler: atomics and one system call only.
#[cfg(unix)]
fn patch(addr: usize, page: usize) -> bool {
    for slot in REGISTRY.iter() {
        if slot.state.load(Ordering::Acquire) != ACTIVE {
            continue;
        }
        let ptr = slot.ptr.load(Ordering::Relaxed);
        let len = slot.len.load(Ordering::Relaxed);
        if addr < ptr || addr - ptr >= len {
            continue;
        }
        let start = addr & !(page - 1);
        let end = (ptr + len).div_ceil(page) * page;
        // The cut is recorded before the zeros are mapped: a reader that sees zeros
        // (without faulting itself) and then checks `cut_at` sees this cut.
        slot.cut
            .fetch_min(start.saturating_sub(ptr), Ordering::SeqCst);
        return imp::zero_pages(start, end - start);
    }
    false
}

#[cfg(unix)]
mod imp {
    use std::mem::MaybeUninit;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::OnceLock;

    /// The action that was in place before ours, to chain to.
    struct Previous(libc::sigaction);
    // SAFETY: a plain C struct written once (before our handler is installed) and
    // only read afterwards.
    unsafe impl Sync for Previous {}
    unsafe impl Send for Previous {}

    static PREVIOUS: OnceLock<Option<Previous>> = OnceLock::new();
    static PAGE: AtomicUsize = AtomicUsize::new(4096);

    /// Install the handler once; whether it is in place.
    pub(super) fn install() -> bool {
        PREVIOUS
            .get_or_init(|| {
                // SAFETY: sysconf has no preconditions.
                let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
                if page > 0 {
                    PAGE.store(page as usize, Ordering::Relaxed);
                }
                let mut old = MaybeUninit::<libc::sigaction>::zeroed();
                // SAFETY: a zeroed sigaction is a valid value (no handler, empty
                // flags); its mask is then emptied with sigemptyset, and the handler
                // has the SA_SIGINFO signature. `old` receives the previous action.
                unsafe {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = on_sigbus as *const () as libc::sighandler_t;
                    action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                    libc::sigemptyset(&mut action.sa_mask);
                    if libc::sigaction(libc::SIGBUS, &action, old.as_mut_ptr()) != 0 {
                        return None;
                    }
                    Some(Previous(old.assume_init()))
                }
            })
            .is_some()
    }

    /// Map anonymous zero pages over `[start, start + len)`.
    pub(super) fn zero_pages(start: usize, len: usize) -> bool {
        // SAFETY: the range lies within a mapping errscope made and registered (the
        // caller checked), so replacing it cannot clobber anything else; reads of it
        // then see zeros. The mapping's owner unmaps the whole range when dropped.
        let got = unsafe {
            libc::mmap(
                start as *mut libc::c_void,
                len,
                libc::PROT_READ,
                libc::MAP_FIXED | libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        got as usize == start
    }

    extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo_t with SA_SIGINFO; for SIGBUS,
        // si_addr is the faulting address.
        let addr = unsafe { (*info).si_addr() } as usize;
        if super::patch(addr, PAGE.load(Ordering::Relaxed)) {
            // Returning retries the read, which now sees zeros.
            return;
        }
        chain(sig, info, ctx);
    }

    /// Hand a fault that is not ours to the previous handler, or restore the default
    /// action so that the retried access kills the process as it would have.
    fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        let previous = PREVIOUS.get().and_then(Option::as_ref);
        match previous {
            Some(Previous(old))
                if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN =>
            {
                if old.sa_flags & libc::SA_SIGINFO != 0 {
                    // SAFETY: with SA_SIGINFO the stored handler has this signature.
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        unsafe { std::mem::transmute(old.sa_sigaction) };
                    f(sig, info, ctx);
                } else {
                    // SAFETY: without SA_SIGINFO the stored handler takes the signal only.
                    let f: extern "C" fn(libc::c_int) =
                        unsafe { std::mem::transmute(old.sa_sigaction) };
                    f(sig);
                }
            }
            _ => {
                // SAFETY: resetting a signal's action to SIG_DFL with a zeroed
                // sigaction is always valid; the faulting access then repeats and
                // takes the default action.
                unsafe {
                    let mut default: libc::sigaction = std::mem::zeroed();
                    default.sa_sigaction = libc::SIG_DFL;
                    libc::sigaction(libc::SIGBUS, &default, std::ptr::null_mut());
                }
            }
        }
    }
}

#[cfg(not(unix))]
mod imp {
    /// No SIGBUS outside Unix: nothing to install.
    pub(super) fn install() -> bool {
        true
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;

    /// A file mapped and registered, then truncated: reads past the new end give
    /// zeros instead of killing the test process, and the cut is recorded at the
    /// first page that faulted.
    #[test]
    fn truncated_mapping_reads_zeros_and_records_the_cut() {
        let page = 4096usize.max(unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize);
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&vec![b'x'; 8 * page]).unwrap();
        // SAFETY (test): the file is private to this test; truncating it is the point.
        let map = unsafe { memmap2::Mmap::map(&file).unwrap() };
        let guard = Guard::register(map.as_ptr(), map.len()).unwrap();
        assert_eq!(guard.cut_at(), None);
        assert_eq!(map[5 * page], b'x');
        file.set_len((2 * page + 10) as u64).unwrap();
        // Within the new size: the file's bytes; past it in its last page: zeros, no
        // fault; past that page: a fault, patched.
        assert_eq!(map[2 * page + 9], b'x');
        assert_eq!(map[2 * page + 10], 0);
        assert_eq!(guard.cut_at(), None);
        let tail = std::hint::black_box(&map[5 * page..]);
        assert!(tail.iter().all(|&b| b == 0));
        assert_eq!(guard.cut_at(), Some(5 * page));
        // An earlier fault lowers the cut; the pages between read zeros too.
        assert_eq!(std::hint::black_box(map[3 * page + 1]), 0);
        assert_eq!(guard.cut_at(), Some(3 * page));
        assert_eq!(map[2 * page], b'x');
        drop(guard);
        drop(map);
    }

    #[test]
    fn slots_are_reused() {
        let data = [1u8; 16];
        for _ in 0..SLOTS + 10 {
            let g = Guard::register(data.as_ptr(), data.len()).unwrap();
            assert_eq!(g.cut_at(), None);
        }
    }

    /// A SIGBUS outside any registered mapping still kills the process: run this
    /// test binary again, in a child that faults on an unregistered mapping.
    #[test]
    fn foreign_sigbus_still_kills() {
        use std::os::unix::process::ExitStatusExt;
        const CHILD: &str = "ERRSCOPE_TEST_FOREIGN_SIGBUS";
        if std::env::var_os(CHILD).is_some() {
            // Install the handler, then fault outside anything registered.
            let _ = Guard::register([0u8].as_ptr(), 1);
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(&[b'x'; 3 * 4096 * 4]).unwrap();
            // SAFETY (test): the file is private; the fault is the point.
            let map = unsafe { memmap2::Mmap::map(&file).unwrap() };
            file.set_len(0).unwrap();
            let byte = std::hint::black_box(map[4096 * 8]);
            // Not reached: the read above dies of SIGBUS.
            std::process::exit(i32::from(byte) + 3);
        }
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "input::sigbus::tests::foreign_sigbus_still_kills",
            ])
            .env(CHILD, "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.signal(), Some(libc::SIGBUS), "{status:?}");
    }
}
