//! A short TCP read lets the next read park before its syscall (`poll_desc.rs`, "Read before
//! parking, or park before reading"). These are the short reads that do not drain, and the
//! ops that must not leave a stale `DRAINED` behind: each would strand queued bytes (a read
//! parked while data or an EOF waits), which the read timeout turns into a failure here
//! instead of a hang. The reader runs on a goroutine and on a thread (`MODES`); the peer is a
//! plain std socket on the test's thread, and acts only once the reader is parked.
#![cfg(not(loom))]

use gopoll::net::{TcpListener, TcpStream};
use goro_test_support::{go, MODES};
use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::sync::Arc;

/// Runs `reader` on an accepted gopoll stream as party 1 of each mode and, once it is parked
/// in a read, `peer` on the std end. The reader's read timeout ([`HANG`]) makes a stranded
/// read fail rather than hang.
///
/// [`HANG`]: goro_test_support::HANG
fn parked_reader_then_peer(
    reader: impl Fn(&TcpStream) + Send + Sync + Clone + 'static,
    peer: impl Fn(&std::net::TcpStream),
) {
    for mode in MODES {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let p = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(goro_test_support::HANG)).unwrap();
        let s = Arc::new(s);
        let (r, s2) = (reader.clone(), s.clone());
        let party = go(mode, 1, move || r(&s2));
        party.wait_parked_in_io(|| s.as_poll_fd().read_parked());
        peer(&p);
        party.join();
    }
}

/// Reads until `want` bytes came or EOF; panics on an error (a timeout: the read stranded).
fn read_exactly(s: &TcpStream, want: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while got.len() < want {
        match (&*s).read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("read after {:?}: {e}", got),
        }
    }
    got
}

#[test]
fn a_short_read_before_the_peers_fin_still_sees_eof() {
    // "abc" then FIN, both queued before the parked reader runs: its first read is short
    // (3 of 64) but leaves the EOF to read, and no edge will come for it. The event said
    // EPOLLRDHUP, so the short read is not taken for a drain.
    parked_reader_then_peer(
        |s| {
            assert_eq!(read_exactly(s, 3), b"abc");
            assert_eq!((&*s).read(&mut [0; 64]).expect("EOF, not a timeout"), 0);
        },
        |p| {
            (&*p).write_all(b"abc").unwrap();
            p.shutdown(Shutdown::Write).unwrap();
        },
    );
}

#[test]
fn a_read_short_at_the_urgent_mark_still_gets_the_rest() {
    // TCP urgent data: a read stops before the urgent byte (here "c", dropped from the
    // stream without SO_OOBINLINE) with "de" still queued. The event said EPOLLPRI.
    parked_reader_then_peer(
        |s| assert_eq!(read_exactly(s, 4), b"abde"),
        |p| {
            (&*p).write_all(b"ab").unwrap();
            // SAFETY: a one-byte buffer, valid for the call; `p` is an open socket.
            let n = unsafe { libc::send(p.as_raw_fd(), b"c".as_ptr().cast(), 1, libc::MSG_OOB) };
            assert_eq!(n, 1);
            (&*p).write_all(b"de").unwrap();
        },
    );
}

#[test]
fn an_op_that_leaves_data_queued_clears_the_drain() {
    // A short stream read marks the slot drained; then an op of the caller's own
    // (`read_with`, 4 bytes of 10) parks, is woken by the data and leaves 6 bytes queued.
    // The next stream read must read them, not park on the stale drain.
    for mode in MODES {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let p = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(goro_test_support::HANG)).unwrap();
        (&p).write_all(b"x").unwrap();
        assert_eq!((&s).read(&mut [0; 64]).unwrap(), 1, "a short read");
        let s = Arc::new(s);
        let s2 = s.clone();
        let party = go(mode, 1, move || {
            let mut four = [0u8; 4];
            let n = s2
                .as_poll_fd()
                .read_with(|t| (&*t).read(&mut four))
                .unwrap();
            assert_eq!(&four[..n], b"0123");
            read_exactly(&s2, 6)
        });
        party.wait_parked_in_io(|| s.as_poll_fd().read_parked());
        (&p).write_all(b"0123456789").unwrap();
        assert_eq!(party.join(), b"456789");
    }
}

#[test]
fn back_to_back_requests_after_short_reads_all_arrive() {
    // The case the drain is for: request, short read, answer, park before the next read.
    // Counted: every byte of every round comes back, none twice.
    parked_reader_then_peer(
        |s| {
            for round in 0..200u32 {
                let got = read_exactly(s, 4);
                assert_eq!(got, round.to_le_bytes());
                (&*s).write_all(&got).unwrap();
            }
            assert_eq!((&*s).read(&mut [0; 8]).unwrap(), 0);
        },
        |p| {
            for round in 0..200u32 {
                (&*p).write_all(&round.to_le_bytes()).unwrap();
                let mut back = [0; 4];
                (&*p).read_exact(&mut back).unwrap();
                assert_eq!(back, round.to_le_bytes());
            }
            p.shutdown(Shutdown::Write).unwrap();
        },
    );
}
