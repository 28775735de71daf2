//! loom model of gochan's spinning parker (crates/gochan/src/waitq.rs, `Parker::wait`): with
//! `gochan::internal::set_spin(true)` a party that must block unlocks the channel, spins
//! (one round under loom) watching for DONE, and only then parks. Parks go through
//! gmp-sched's `ParkState` hand-shake (gochan's loom shim), so a hand-over the spin sees
//! is synchronised only by the parker's own Acquire load, as in production.
//!
//! Checked: the value handed over is read after the waker's write (loom's cell tracking), no
//! lost wake-up, values arrive once and in order, no node left linked. The channel lock
//! itself is a loom lock here (see hchan.rs), not the production spin lock.
#![cfg(loom)]

use gochan::internal::queue_lens;
use gochan::Chan;

/// A sender and a receiver meet through spinning parkers, for capacities 0 and 1.
#[test]
fn chan_spinning_parker_send_recv() {
    gochan::internal::set_spin(true);
    for cap in [0, 1] {
        loom::model(move || {
            let ch = Chan::new(cap);
            loom_tests::send_two_recv_two(&ch);
            assert_eq!(queue_lens(&ch), (0, 0));
        });
    }
    gochan::internal::set_spin(false);
}
