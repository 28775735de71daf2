//! `PollFd` around fds std has no goroutine-blocking type for: a pipe.
#![cfg(not(loom))]

use gopoll::PollFd;
use goro_test_support::goroutine;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

fn pipe() -> (File, File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds pipe2 writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 returned two fresh fds that nobody else owns.
    unsafe {
        (
            File::from(OwnedFd::from_raw_fd(fds[0])),
            File::from(OwnedFd::from_raw_fd(fds[1])),
        )
    }
}

#[test]
fn pipe_between_goroutines() {
    let (r, w) = pipe();
    let (r, w) = (PollFd::new(r).unwrap(), PollFd::new(w).unwrap());
    let reader = goroutine(move || {
        let mut r = r;
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        all
    });
    let writer = goroutine(move || {
        let mut w = w;
        // 1 MiB through a 64 KiB pipe: the writer parks on a full pipe many times.
        for i in 0..256u32 {
            w.write_all(&[i as u8; 4096]).unwrap();
        }
    });
    writer.join().unwrap();
    let all = reader.join().unwrap();
    assert_eq!(all.len(), 256 * 4096);
    assert!(all
        .chunks(4096)
        .enumerate()
        .all(|(i, c)| c.iter().all(|&b| b == i as u8)));
}

#[test]
fn into_inner_gives_the_fd_back() {
    let (r, w) = pipe();
    let r = PollFd::new(r).unwrap();
    let mut f = r.into_inner();
    drop(w);
    let mut buf = Vec::new();
    assert_eq!(f.read_to_end(&mut buf).unwrap(), 0);
}
