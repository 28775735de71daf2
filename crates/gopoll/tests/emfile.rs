//! Out of fds (EMFILE) in an accept loop: accept returns the error at once instead of
//! spinning or hanging, and the pending connection is still there once fds are freed.
//! Its own test binary: it lowers this process's RLIMIT_NOFILE.
#![cfg(not(loom))]

use gopoll::net::TcpListener;
use goro_test_support::goroutine;
use std::os::fd::OwnedFd;

#[test]
fn accept_emfile_returns_error_then_recovers() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    // Start the runtime before the fds run out (its Ms need none, but be safe).
    goroutine(|| ()).join().unwrap();
    let _client = std::net::TcpStream::connect(addr).unwrap();

    // Lower the soft limit to what is open now plus a little, then use those up.
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit to write into.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    let open = std::fs::read_dir("/proc/self/fd").unwrap().count() as u64;
    let low = libc::rlimit {
        rlim_cur: open + 16,
        rlim_max: lim.rlim_max,
    };
    // SAFETY: `low` is a valid rlimit; lowering the soft limit is always allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &low) }, 0);
    let mut hog: Vec<OwnedFd> = Vec::new();
    let probe = std::fs::File::open("/dev/null").unwrap();
    while let Ok(f) = probe.try_clone() {
        hog.push(f.into());
    }

    let (l, e) = goroutine(move || {
        let e = l.accept().map(|_| ()).unwrap_err();
        (l, e)
    })
    .join()
    .unwrap();
    assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e:?}");

    // Free the fds: the connection that was pending is accepted now.
    hog.clear();
    // SAFETY: `lim` is the limit we read above.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    let (s, _) = goroutine(move || l.accept()).join().unwrap().unwrap();
    assert_eq!(s.peer_addr().unwrap(), _client.local_addr().unwrap());
}
