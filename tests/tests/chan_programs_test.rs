//! The programs of Go's test/chan/ directory, ported as tests: doubleselect, fifo,
//! goroutines, nonblock, powser1, powser2, select, select2..select8, sendstmt, sieve1,
//! sieve2, zerosize (sieve is sieve1's older form; perm is a compile-error test: goro's
//! `Sender`/`Receiver` types enforce direction at compile time).
//!
//! Go's programs end by exiting with goroutines still blocked; here every party of a
//! network of goroutines (sieves, power series) selects on a quit channel as well, so the
//! test closes it and waits for every party to end. Where Go sleeps for a party to block,
//! these tests wait until the channel shows it parked. Parties run on goroutines, threads
//! and mixed where that applies.

use gochan::internal::wait_parked;
use gochan::{select, Chan, Select, SendError};
use std::collections::HashSet;
use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use goro_test_support::{go, in_child, is_goroutine, start, Mode, MODES};

/// A network of parties that all end when it is stopped: each blocking operation also
/// waits on `quit`, and returns `None` once it is closed.
#[derive(Clone)]
struct Net {
    mode: Mode,
    quit: Chan<()>,
    wg: gosync::WaitGroup,
    parties: Arc<AtomicUsize>,
}

impl Net {
    fn new(mode: Mode) -> Net {
        Net {
            mode,
            quit: Chan::new(0),
            wg: gosync::WaitGroup::new(),
            parties: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Starts a party (a goroutine or a thread, by the mode); it ends when `f` returns.
    fn go(&self, f: impl FnOnce(&Net) -> Option<()> + Send + 'static) {
        let i = self.parties.fetch_add(1, Ordering::Relaxed);
        let net = self.clone();
        start(is_goroutine(self.mode, i), &self.wg, move || {
            let _ = f(&net);
        });
    }

    fn send<T>(&self, c: &Chan<T>, v: T) -> Option<()> {
        select! {
            send(c, v) -> r => r.ok(),
            recv(self.quit) -> _ => None,
        }
    }

    fn recv<T>(&self, c: &Chan<T>) -> Option<T> {
        select! {
            recv(c) -> v => v,
            recv(self.quit) -> _ => None,
        }
    }

    /// Stops every party and waits until all have ended.
    fn stop(self) {
        self.quit.close();
        self.wg.wait();
    }
}

/// doubleselect.go: a select over four sends never performs two of them. A sender selects
/// over four unbuffered channels; four muxes forward to one channel; the receiver sees each
/// value exactly once.
#[test]
fn doubleselect() {
    for mode in MODES {
        let n = if matches!(mode, Mode::Goroutines) {
            20_000
        } else {
            3_000
        };
        let cs: Vec<Chan<usize>> = (0..4).map(|_| Chan::new(0)).collect();
        let cmux = Chan::new(0);
        let done = Chan::new(0);
        let mut parties = Vec::new();
        let senders = cs.clone();
        parties.push(go(mode, 0, move || {
            let [c1, c2, c3, c4] = &senders[..] else {
                unreachable!()
            };
            for i in 0..n {
                select! {
                    send(c1, i) -> r => r.unwrap(),
                    send(c2, i) -> r => r.unwrap(),
                    send(c3, i) -> r => r.unwrap(),
                    send(c4, i) -> r => r.unwrap(),
                }
            }
            senders.iter().for_each(Chan::close);
        }));
        for (k, c) in cs.into_iter().enumerate() {
            let (out, done) = (cmux.clone(), done.clone());
            parties.push(go(mode, k + 1, move || {
                for v in c.iter() {
                    out.send(v).unwrap();
                }
                done.send(()).unwrap();
            }));
        }
        let closer = cmux.clone();
        parties.push(go(mode, 5, move || {
            for _ in 0..4 {
                done.recv().unwrap();
            }
            closer.close();
        }));
        let mut seen = HashSet::new();
        for v in cmux.iter() {
            assert!(seen.insert(v), "{mode:?}: got duplicate value {v}");
        }
        assert_eq!(seen.len(), n, "{mode:?}: values lost");
        parties.into_iter().for_each(goro_test_support::Party::join);
    }
}

/// fifo.go: a buffered channel and a daisy chain of parties over an unbuffered one both
/// deliver in FIFO order.
#[test]
fn fifo() {
    const N: usize = 10;
    // AsynchFifo
    let ch = Chan::new(N);
    for i in 0..N {
        ch.send(i).unwrap();
    }
    for i in 0..N {
        assert_eq!(ch.recv(), Some(i), "bad receive");
    }
    // SynchFifo: party i waits for its turn on `in`, receives, then passes the turn on.
    for mode in MODES {
        let ch = Chan::new(0);
        let start = Chan::new(0);
        let mut input = start.clone();
        let mut parties = Vec::new();
        for i in 0..N {
            let out = Chan::new(0);
            let (ch, inp, o) = (ch.clone(), input.clone(), out.clone());
            parties.push(go(mode, i, move || {
                inp.recv().unwrap();
                assert_eq!(ch.recv(), Some(i), "{mode:?}: out of order");
                o.send(1).unwrap();
            }));
            input = out;
        }
        start.send(0).unwrap();
        for i in 0..N {
            ch.send(i).unwrap();
        }
        input.recv().unwrap();
        parties.into_iter().for_each(goro_test_support::Party::join);
    }
}

/// goroutines.go: a long chain of parties, each passing one value from its right to its
/// left channel, is built and torn down cleanly.
#[test]
fn goroutines() {
    for mode in MODES {
        let n = match mode {
            Mode::Goroutines => 10_000,
            Mode::Threads => 100,
            Mode::Mixed => 200,
        };
        let leftmost = Chan::new(0);
        let mut left = leftmost.clone();
        let mut parties = Vec::with_capacity(n);
        for i in 0..n {
            let right = Chan::new(0);
            let (l, r) = (left, right.clone());
            parties.push(go(mode, i, move || l.send(r.recv().unwrap()).unwrap()));
            left = right;
        }
        let last = go(mode, n, move || left.send(1).unwrap());
        assert_eq!(leftmost.recv(), Some(1));
        last.join();
        parties.into_iter().for_each(goro_test_support::Party::join);
    }
}

/// nonblock.go, for one type: non-blocking operations succeed exactly when the other side
/// is there (a parked receiver or sender, or buffer room or a buffered value).
fn nonblock_with<T>(mode: Mode, buffer: usize, to_main: T, from_main: T)
where
    T: Clone + PartialEq + Debug + Send + 'static,
{
    let c = Chan::<T>::new(buffer);
    let strobe = Chan::new(0);
    assert!(c.try_recv().is_err(), "blocked sender");

    // A parked receiver: the non-blocking send succeeds.
    let (c1, s1, want) = (c.clone(), strobe.clone(), from_main.clone());
    let r = go(mode, 0, move || {
        assert_eq!(c1.recv(), Some(want), "receiver value");
        s1.send(true).unwrap();
    });
    if buffer == 0 {
        wait_parked(&c, 0, 1);
    }
    assert!(
        c.try_send(from_main).is_ok(),
        "{mode:?}: receiver buffer={buffer}"
    );
    strobe.recv().unwrap();
    r.join();

    // A parked sender (or a buffered value): the non-blocking receive succeeds.
    let (c1, s1, v) = (c.clone(), strobe.clone(), to_main.clone());
    let s = go(mode, 1, move || {
        c1.send(v).unwrap();
        s1.send(true).unwrap();
    });
    if buffer > 0 {
        strobe.recv().unwrap();
    } else {
        wait_parked(&c, 1, 0);
    }
    assert_eq!(
        c.try_recv().ok(),
        Some(to_main),
        "{mode:?}: sender buffer={buffer}"
    );
    if buffer == 0 {
        strobe.recv().unwrap();
    }
    s.join();
}

/// nonblock.go: for int32, int64, bool and string channels, unbuffered and with a buffer
/// of one.
#[test]
fn nonblock() {
    for mode in MODES {
        for buffer in 0..2 {
            nonblock_with(mode, buffer, 234i32, 123);
            nonblock_with(mode, buffer, 234_567i64, 123_456);
            nonblock_with(mode, buffer, true, true);
            nonblock_with(mode, buffer, String::from("hello again"), "hello".into());
        }
    }
}

// ---------------------------------------------------------------------------------------
// powser1.go and powser2.go: McIlroy's power series as networks of demand channels.

/// A rational; a zero denominator marks the end of a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rat {
    num: i64,
    den: i64,
}

fn gcd(u: i64, v: i64) -> i64 {
    if u < 0 {
        return gcd(-u, v);
    }
    if u == 0 {
        return v;
    }
    gcd(v % u, u)
}

fn i2tor(u: i64, v: i64) -> Rat {
    let g = gcd(u, v);
    if v > 0 {
        Rat {
            num: u / g,
            den: v / g,
        }
    } else {
        Rat {
            num: -u / g,
            den: -v / g,
        }
    }
}

fn itor(u: i64) -> Rat {
    i2tor(u, 1)
}

const ZERO: Rat = Rat { num: 0, den: 1 };
const ONE: Rat = Rat { num: 1, den: 1 };

fn finis() -> Rat {
    i2tor(1, 0)
}

fn end(u: Rat) -> i64 {
    i64::from(u.den == 0)
}

fn add(u: Rat, v: Rat) -> Rat {
    let g = gcd(u.den, v.den);
    i2tor(
        u.num * (v.den / g) + v.num * (u.den / g),
        u.den * (v.den / g),
    )
}

fn mul(u: Rat, v: Rat) -> Rat {
    let g1 = gcd(u.num, v.den);
    let g2 = gcd(u.den, v.num);
    Rat {
        num: (u.num / g1) * (v.num / g2),
        den: (u.den / g2) * (v.den / g1),
    }
}

fn neg(u: Rat) -> Rat {
    i2tor(-u.num, u.den)
}

/// What flows on a series' data channel: a `Rat` (powser1) or a trait object (powser2, Go's
/// channels of interfaces).
trait Coef: Clone + Send + 'static {
    fn of(r: Rat) -> Self;
    fn rat(&self) -> Rat;
}

impl Coef for Rat {
    fn of(r: Rat) -> Self {
        r
    }
    fn rat(&self) -> Rat {
        *self
    }
}

/// powser2's `item` interface.
trait Item: Send + Sync + Debug {
    fn value(&self) -> Rat;
}

impl Item for Rat {
    fn value(&self) -> Rat {
        *self
    }
}

impl Coef for Arc<dyn Item> {
    fn of(r: Rat) -> Self {
        Arc::new(r)
    }
    fn rat(&self) -> Rat {
        self.value()
    }
}

/// A demand channel: a request on `req` is answered on `dat` (a power series).
struct Ps<T> {
    req: Chan<i32>,
    dat: Chan<T>,
}

impl<T> Clone for Ps<T> {
    fn clone(&self) -> Self {
        Ps {
            req: self.req.clone(),
            dat: self.dat.clone(),
        }
    }
}

fn mk_ps<T>() -> Ps<T> {
    Ps {
        req: Chan::new(0),
        dat: Chan::new(0),
    }
}

fn get<T: Coef>(net: &Net, s: &Ps<T>) -> Option<Rat> {
    net.send(&s.req, 0)?;
    net.recv(&s.dat).map(|v| v.rat())
}

fn put<T: Coef>(net: &Net, r: Rat, s: &Ps<T>) -> Option<()> {
    net.recv(&s.req)?;
    net.send(&s.dat, T::of(r))
}

/// One item from each of two series, asked for and taken in whatever order they come.
fn get2<T: Coef>(net: &Net, a: &Ps<T>, b: &Ps<T>) -> Option<[Rat; 2]> {
    let (mut req0, mut req1) = (a.req.clone(), b.req.clone());
    let (mut dat0, mut dat1) = (Chan::<T>::nil(), Chan::<T>::nil());
    let mut out = [ZERO; 2];
    for _ in 0..4 {
        select! {
            send(req0, 0) -> r => {
                r.ok()?;
                dat0 = a.dat.clone();
                req0 = Chan::nil();
            }
            send(req1, 0) -> r => {
                r.ok()?;
                dat1 = b.dat.clone();
                req1 = Chan::nil();
            }
            recv(dat0) -> v => {
                out[0] = v?.rat();
                dat0 = Chan::nil();
            }
            recv(dat1) -> v => {
                out[1] = v?.rat();
                dat1 = Chan::nil();
            }
            recv(net.quit) -> _ => return None,
        }
    }
    Some(out)
}

fn copy<T: Coef>(net: &Net, from: &Ps<T>, to: &Ps<T>) -> Option<()> {
    loop {
        net.recv(&to.req)?;
        let v = get(net, from)?;
        net.send(&to.dat, T::of(v))?;
    }
}

/// One generation of a split: serves one item to both outputs, the newest generation
/// serving `out[0]` (see powser1.go's comment on dosplit).
fn dosplit<T: Coef>(net: &Net, from: Ps<T>, mut out: [Ps<T>; 2], wait: Chan<i32>) -> Option<()> {
    let mut both = false;
    select! {
        recv(out[0].req) -> _ => {}
        recv(wait) -> _ => {
            both = true;
            select! {
                recv(out[0].req) -> _ => {}
                recv(out[1].req) -> _ => out.swap(0, 1),
                recv(net.quit) -> _ => return None,
            }
        }
        recv(net.quit) -> _ => return None,
    }
    net.send(&from.req, 0)?;
    let release = Chan::new(0);
    {
        let (from, out, release) = (from.clone(), out.clone(), release.clone());
        net.go(move |net| dosplit(net, from, out, release));
    }
    let dat = net.recv(&from.dat)?;
    net.send(&out[0].dat, dat.clone())?;
    if !both {
        net.recv(&wait)?;
    }
    net.recv(&out[1].req)?;
    net.send(&out[1].dat, dat)?;
    net.send(&release, 0)
}

fn split_into<T: Coef>(net: &Net, from: Ps<T>, out: [Ps<T>; 2]) -> Option<()> {
    let release = Chan::new(0);
    let r = release.clone();
    net.go(move |net| dosplit(net, from, out, r));
    net.send(&release, 0)
}

fn split<T: Coef>(net: &Net, u: &Ps<T>) -> [Ps<T>; 2] {
    let uu = [mk_ps(), mk_ps()];
    let (u, o) = (u.clone(), uu.clone());
    net.go(move |net| split_into(net, u, o));
    uu
}

fn rep<T: Coef>(net: &Net, c: Rat) -> Ps<T> {
    let z = mk_ps();
    let zz = z.clone();
    net.go(move |net| loop {
        put(net, c, &zz)?;
    });
    z
}

fn add_ps<T: Coef>(net: &Net, u: &Ps<T>, v: &Ps<T>) -> Ps<T> {
    let z = mk_ps();
    let (u, v, zz) = (u.clone(), v.clone(), z.clone());
    net.go(move |net| loop {
        net.recv(&zz.req)?;
        let uv = get2(net, &u, &v)?;
        match end(uv[0]) + 2 * end(uv[1]) {
            0 => net.send(&zz.dat, T::of(add(uv[0], uv[1])))?,
            1 => {
                net.send(&zz.dat, T::of(uv[1]))?;
                copy(net, &v, &zz)?;
            }
            2 => {
                net.send(&zz.dat, T::of(uv[0]))?;
                copy(net, &u, &zz)?;
            }
            _ => net.send(&zz.dat, T::of(finis()))?,
        }
    });
    z
}

fn cmul<T: Coef>(net: &Net, c: Rat, u: &Ps<T>) -> Ps<T> {
    let z = mk_ps();
    let (u, zz) = (u.clone(), z.clone());
    net.go(move |net| {
        loop {
            net.recv(&zz.req)?;
            let x = get(net, &u)?;
            if end(x) != 0 {
                break;
            }
            net.send(&zz.dat, T::of(mul(c, x)))?;
        }
        net.send(&zz.dat, T::of(finis()))
    });
    z
}

fn sub_ps<T: Coef>(net: &Net, u: &Ps<T>, v: &Ps<T>) -> Ps<T> {
    add_ps(net, u, &cmul(net, neg(ONE), v))
}

fn mul_ps<T: Coef>(net: &Net, u: &Ps<T>, v: &Ps<T>) -> Ps<T> {
    let z = mk_ps();
    let (u, v, zz) = (u.clone(), v.clone(), z.clone());
    net.go(move |net| {
        net.recv(&zz.req)?;
        let uv = get2(net, &u, &v)?;
        if end(uv[0]) != 0 || end(uv[1]) != 0 {
            return net.send(&zz.dat, T::of(finis()));
        }
        net.send(&zz.dat, T::of(mul(uv[0], uv[1])))?;
        let uu = split(net, &u);
        let vv = split(net, &v);
        let w = add_ps(net, &cmul(net, uv[0], &vv[0]), &cmul(net, uv[1], &uu[0]));
        net.recv(&zz.req)?;
        let first = get(net, &w)?;
        net.send(&zz.dat, T::of(first))?;
        copy(net, &add_ps(net, &w, &mul_ps(net, &uu[1], &vv[1])), &zz)
    });
    z
}

fn diff<T: Coef>(net: &Net, u: &Ps<T>) -> Ps<T> {
    let z = mk_ps();
    let (u, zz) = (u.clone(), z.clone());
    net.go(move |net| {
        net.recv(&zz.req)?;
        let x = get(net, &u)?;
        if end(x) == 0 {
            for i in 1.. {
                let x = get(net, &u)?;
                if end(x) != 0 {
                    break;
                }
                net.send(&zz.dat, T::of(mul(itor(i), x)))?;
                net.recv(&zz.req)?;
            }
        }
        net.send(&zz.dat, T::of(finis()))
    });
    z
}

fn integ<T: Coef>(net: &Net, c: Rat, u: &Ps<T>) -> Ps<T> {
    let z = mk_ps();
    let (u, zz) = (u.clone(), z.clone());
    net.go(move |net| {
        put(net, c, &zz)?;
        for i in 1.. {
            net.recv(&zz.req)?;
            let x = get(net, &u)?;
            if end(x) != 0 {
                break;
            }
            net.send(&zz.dat, T::of(mul(i2tor(1, i), x)))?;
        }
        net.send(&zz.dat, T::of(finis()))
    });
    z
}

/// exp(U) for U with a zero constant term: Z = integral of Z * U'.
fn exp_ps<T: Coef>(net: &Net, u: &Ps<T>) -> Ps<T> {
    let zz = [mk_ps(), mk_ps()];
    let integral = integ(net, ONE, &mul_ps(net, &zz[0], &diff(net, u)));
    split_into(net, integral, zz.clone()).expect("stopped while starting");
    zz[1].clone()
}

/// U(c x^n): each term multiplied by c^i and followed by n-1 zeros.
fn mon_subst<T: Coef>(net: &Net, u: &Ps<T>, c0: Rat, n: usize) -> Ps<T> {
    let z = mk_ps();
    let (u, zz) = (u.clone(), z.clone());
    net.go(move |net| {
        let mut c = ONE;
        loop {
            net.recv(&zz.req)?;
            let x = get(net, &u)?;
            net.send(&zz.dat, T::of(mul(x, c)))?;
            c = mul(c, c0);
            if end(x) != 0 {
                return net.send(&zz.dat, T::of(finis()));
            }
            for _ in 1..n {
                net.recv(&zz.req)?;
                net.send(&zz.dat, T::of(ZERO))?;
            }
        }
    });
    z
}

fn check<T: Coef>(net: &Net, u: &Ps<T>, c: Rat, count: usize, what: &str) {
    for _ in 0..count {
        let r = get(net, u).unwrap();
        assert_eq!(r, c, "{what}");
    }
}

fn checka<T: Coef>(net: &Net, u: &Ps<T>, a: &[Rat], what: &str) {
    for (i, &c) in a.iter().enumerate() {
        assert_eq!(get(net, u), Some(c), "{what}: term {i}");
    }
}

/// powser1.go's checks, over channels of `T`.
fn powser<T: Coef>(mode: Mode) {
    const N: i64 = 10;
    let net = Net::new(mode);
    let ones = rep::<T>(&net, ONE);
    let twos = rep::<T>(&net, itor(2));
    check(&net, &ones, ONE, 5, "Ones");
    check(
        &net,
        &add_ps(&net, &ones, &ones),
        itor(2),
        0,
        "Add Ones Ones",
    );
    check(
        &net,
        &add_ps(&net, &ones, &twos),
        itor(3),
        0,
        "Add Ones Twos",
    );
    let a: Vec<Rat> = (0..N).map(|i| itor(i + 1)).collect();
    checka(&net, &diff(&net, &ones), &a, "Diff"); // 1 2 3 4 5
    let a: Vec<Rat> = (0..N)
        .map(|i| if i == 0 { ZERO } else { i2tor(1, i) })
        .collect();
    checka(&net, &integ(&net, ZERO, &ones), &a, "Integ"); // 0 1 1/2 1/3 1/4 1/5
    check(&net, &cmul(&net, neg(ONE), &twos), itor(-2), 10, "CMul"); // -2 -2 -2
    check(
        &net,
        &sub_ps(&net, &ones, &twos),
        itor(-1),
        0,
        "Sub Ones Twos",
    );
    let a: Vec<Rat> = (0..N).map(|i| itor(i + 1)).collect();
    checka(&net, &mul_ps(&net, &ones, &ones), &a, "Mul"); // 1 2 3 4 5
    let a = [
        itor(1),
        itor(1),
        i2tor(3, 2),
        i2tor(13, 6),
        i2tor(73, 24),
        i2tor(167, 40),
        i2tor(4051, 720),
        i2tor(37633, 5040),
        i2tor(43817, 4480),
        i2tor(4_596_553, 362_880),
    ];
    checka(&net, &exp_ps(&net, &ones), &a, "Exp"); // 1 1 3/2 13/6 73/24
    let mut c = 1;
    let a: Vec<Rat> = (0..N)
        .map(|i| {
            if i % 2 == 0 {
                ZERO
            } else {
                let r = i2tor(c, i);
                c = -c;
                r
            }
        })
        .collect();
    let at = integ(&net, ZERO, &mon_subst(&net, &ones, neg(ONE), 2));
    checka(&net, &at, &a, "ATan"); // 0 1 0 -1/3 0 1/5
    net.stop();
}

/// powser1.go: power series over channels of rationals.
#[test]
fn powser1() {
    for mode in [Mode::Goroutines, Mode::Mixed] {
        powser::<Rat>(mode);
    }
}

/// powser2.go: the same over channels of interface values (trait objects).
#[test]
fn powser2() {
    for mode in [Mode::Goroutines, Mode::Mixed] {
        powser::<Arc<dyn Item>>(mode);
    }
}

/// select.go: a loop of selects over two buffered sends and `default`; a channel set to
/// nil after its send never fires again, and every send value is evaluated each time.
#[test]
fn select() {
    let counter = AtomicUsize::new(0);
    let shift = AtomicUsize::new(0);
    let get_value = || {
        counter.fetch_add(1, Ordering::Relaxed);
        1u32 << shift.load(Ordering::Relaxed)
    };
    let send = |mut a: Chan<u32>, mut b: Chan<u32>| {
        let mut i = 0;
        loop {
            select! {
                send(a, get_value()) -> r => {
                    r.unwrap();
                    i += 1;
                    a = Chan::nil();
                }
                send(b, get_value()) -> r => {
                    r.unwrap();
                    i += 1;
                    b = Chan::nil();
                }
                default => break,
            }
            shift.fetch_add(1, Ordering::Relaxed);
        }
        i
    };
    let a = Chan::new(1);
    let b = Chan::new(1);
    assert_eq!(send(a.clone(), b.clone()), 2);
    let (av, bv) = (a.recv().unwrap(), b.recv().unwrap());
    assert_eq!(av | bv, 3, "bad values {av} {bv}");
    assert_eq!(send(a.clone(), Chan::nil()), 1);
    assert_eq!(counter.load(Ordering::Relaxed), 10);
}

/// Bytes allocated and not yet freed, by every thread of this process.
static LIVE: std::sync::atomic::AtomicIsize = std::sync::atomic::AtomicIsize::new(0);

struct Counting;

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's obligations are passed on unchanged.
        unsafe { std::alloc::System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's obligations are passed on unchanged.
        unsafe { std::alloc::System.dealloc(p, l) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// select2.go: selects do not consume undue memory. After a warm-up of 100,000 selects, a
/// second 100,000 leave live memory within Go's 110,000 bytes (5,000 and 5,500 with a
/// thread sending, which is slower). In a child process, so no other test allocates
/// meanwhile.
#[test]
fn select2() {
    in_child("select2", &[], || {
        for (mode, n) in [(Mode::Goroutines, 100_000), (Mode::Mixed, 5_000)] {
            let c = Chan::new(0);
            let dummy = Chan::<i32>::new(0);
            let round = || {
                let s = c.clone();
                let sender = go(mode, 0, move || {
                    for _ in 0..n {
                        s.send(1).unwrap();
                    }
                });
                for _ in 0..n {
                    select! {
                        recv(c) -> _ => {}
                        recv(dummy) -> _ => panic!("dummy"),
                    }
                }
                sender.join();
            };
            round();
            let before = LIVE.load(Ordering::Relaxed);
            round();
            let grown = LIVE.load(Ordering::Relaxed) - before;
            let limit = n as isize * 11 / 10;
            assert!(
                grown <= limit,
                "{mode:?}: {grown} bytes more for {n} selects"
            );
        }
    });
}

/// select3.go, "always blocks": `f` must park. It runs on a goroutine, which is left parked
/// for good where nothing can wake it (a nil channel, an empty select).
fn blocks_forever(f: impl FnOnce() + Send + 'static) {
    let returned = Arc::new(AtomicBool::new(false));
    let r = returned.clone();
    // SAFETY: `f` keeps only channels across its blocking call.
    let h = unsafe {
        goro::spawn(move || {
            f();
            r.store(true, Ordering::SeqCst);
        })
    };
    let id = h.id();
    drop(h); // detached: it never ends
    goro_test_support::wait_until(|| {
        goro::debug::goroutines()
            .iter()
            .any(|g| g.id == id && matches!(g.state, goro::debug::GoroutineState::Waiting(_)))
    });
    assert!(!returned.load(Ordering::SeqCst), "it did not block");
}

/// select3.go, "always blocks" on a channel: `f(ch)` parks on `ch` (as `senders`
/// senders and `receivers` receivers), from a goroutine and from a thread; closing `ch` then
/// lets it go.
fn blocks_on(f: fn(&Chan<i32>), senders: usize, receivers: usize) {
    for mode in [Mode::Goroutines, Mode::Threads] {
        let ch = Chan::new(0);
        let returned = Arc::new(AtomicBool::new(false));
        let (c, r) = (ch.clone(), returned.clone());
        let p = go(mode, 0, move || {
            f(&c);
            r.store(true, Ordering::SeqCst);
        });
        wait_parked(&ch, senders, receivers);
        assert!(
            !returned.load(Ordering::SeqCst),
            "{mode:?}: it did not block"
        );
        ch.close();
        p.join();
    }
}

/// select3.go: which operations and selects block, never block, or fail (Go: panic).
#[test]
fn select3() {
    let closedch = Chan::<i32>::new(0);
    closedch.close();

    // Sending to or receiving from a nil channel blocks.
    blocks_forever(|| {
        let _ = Chan::<i32>::nil().send(7);
    });
    blocks_forever(|| {
        Chan::<i32>::nil().recv();
    });
    // A nil channel in a select is never selected.
    let nilch = Chan::<i32>::nil();
    select! {
        send(nilch, 7) -> _ => unreachable!(),
        default => {}
    }
    select! {
        recv(nilch) -> _ => unreachable!(),
        default => {}
    }
    // Sending to a channel with buffer room never blocks.
    let ch = Chan::new(1);
    ch.send(7).unwrap();
    // Receiving from a closed channel never blocks, and gives "zero, not ok" (None).
    for _ in 0..10 {
        assert_eq!(closedch.recv(), None);
        assert_eq!(closedch.try_recv(), Err(gochan::TryRecvError::Closed));
    }
    // Sending to a closed channel fails (Go panics); the value comes back.
    assert_eq!(closedch.send(7), Err(SendError(7)));
    // Receiving from a channel that is not ready blocks.
    blocks_on(
        |c| {
            c.recv();
        },
        0,
        1,
    );
    // Empty selects, and selects of nil channels only, block.
    blocks_forever(|| select! {});
    blocks_forever(|| {
        let nilch = Chan::<i32>::nil();
        select! { recv(nilch) -> _ => unreachable!() }
    });
    blocks_forever(|| {
        let nilch = Chan::<i32>::nil();
        select! { send(nilch, 7) -> _ => unreachable!() }
    });
    blocks_forever(|| {
        let nilch = Chan::<i32>::nil();
        select! {
            recv(nilch) -> _ => unreachable!(),
            send(nilch, 7) -> _ => unreachable!(),
        }
    });
    // Selects over channels that are not ready block.
    blocks_on(|c| select! { recv(c) -> _ => {} }, 0, 1);
    // Selects with a default do not block.
    select! { default => {} }
    // Selects with ready channels do not block, and do not take the default.
    let ch = Chan::new(1);
    select! {
        send(ch, 7) -> r => r.unwrap(),
        default => unreachable!(),
    }
    select! {
        recv(ch) -> v => assert_eq!(v, Some(7)),
        default => unreachable!(),
    }
    // Selects on closed channels behave like the plain operations.
    select! { recv(closedch) -> v => assert_eq!(v, None) }
    select! { send(closedch, 7) -> r => assert_eq!(r, Err(SendError(7))) }
    // A select does not get confused when it sees itself on both ends of one channel.
    blocks_on(
        |c| {
            select! {
                send(c, 1) -> _ => {}
                recv(c) -> _ => {}
            }
        },
        1,
        1,
    );
}

/// select4.go: the receive target of a case that is not chosen is never evaluated (in
/// Rust, an arm's pattern and body run only for the fired case).
#[test]
fn select4() {
    let called = AtomicBool::new(false);
    let f = || {
        called.store(true, Ordering::SeqCst);
        0
    };
    let c = Chan::new(1);
    let c1 = Chan::<i32>::new(0);
    c.send(42).unwrap();
    let mut x = 0;
    select! {
        recv(c1) -> _ => x = f(),
        recv(c) -> v => x += v.unwrap(),
    }
    assert_eq!(x, 42);
    assert!(!called.load(Ordering::SeqCst), "called f");
}

/// select5.go (a program that generates the test): every combination of a blocking or
/// non-blocking select with a dummy channel that is never ready and a nil channel, for a
/// receive, a send and a select with nothing ready; and the order in which a select
/// evaluates its channel and value expressions (left to right, top to bottom, once).
#[test]
fn select5() {
    let c = Chan::new(1);
    let dummy = Chan::<i32>::new(0);
    let nilch = Chan::<i32>::nil();
    let mut n = 1;
    // Bits of `combo`: default, dummy send, dummy recv, nil send, nil recv.
    for combo in 0..32u32 {
        let with = |bit: u32| combo & (1 << bit) != 0;
        // The other cases this combination adds, then the select, blocking or not.
        fn fire<'a>(
            mut sel: Select<'a>,
            with: impl Fn(u32) -> bool,
            dummy: &'a Chan<i32>,
            nilch: &'a Chan<i32>,
        ) -> gochan::SelectedOperation<'a> {
            if with(1) {
                sel.send(dummy, 1);
            }
            if with(2) {
                sel.recv(dummy);
            }
            if with(3) {
                sel.send(nilch, 1);
            }
            if with(4) {
                sel.recv(nilch);
            }
            if with(0) {
                sel.try_select().expect("nonblock")
            } else {
                sel.select()
            }
        }
        // Receive n, one way or another.
        c.send(n).unwrap();
        let mut sel = Select::new();
        let i = sel.recv(&c);
        let op = fire(sel, with, &dummy, &nilch);
        assert_eq!(op.index(), i);
        assert_eq!(op.recv(&c), Some(n));
        n += 1;

        // Send n, one way or another.
        let mut sel = Select::new();
        let i = sel.send(&c, n);
        let op = fire(sel, with, &dummy, &nilch);
        assert_eq!(op.index(), i);
        op.send(&c).unwrap();
        assert_eq!(c.recv(), Some(n));
        n += 1;

        // Nothing ready: only the default can run (all combinations but the empty one).
        if combo & !1 != 0 {
            let mut sel = Select::new();
            if with(1) {
                sel.send(&dummy, 1);
            }
            if with(2) {
                sel.recv(&dummy);
            }
            if with(3) {
                sel.send(&nilch, 1);
            }
            if with(4) {
                sel.recv(&nilch);
            }
            assert!(sel.try_select().is_err());
        }
    }

    // Order of evaluation: channel and value expressions in order, each once.
    let order = AtomicUsize::new(0);
    let check_order = |o: usize| {
        let before = order.swap(o, Ordering::SeqCst);
        assert!(o > before, "invalid order {o} after {before}");
    };
    let fc = |ch: &Chan<i32>, o: usize| {
        check_order(o);
        ch.clone()
    };
    let fv = |v: i32, o: usize| {
        check_order(o);
        v
    };
    c.send(n).unwrap();
    select! {
        recv(fc(&c, 1)) -> v => assert_eq!(v, Some(n)),
        send(fc(&dummy, 2), fv(1, 3)) -> _ => panic!("dummy send"),
        recv(fc(&dummy, 4)) -> _ => panic!("dummy receive"),
        send(fc(&nilch, 5), fv(1, 6)) -> _ => panic!("nilch send"),
        recv(fc(&nilch, 7)) -> _ => panic!("nilch recv"),
    }
    assert_eq!(order.load(Ordering::SeqCst), 7);
    n += 1;
    order.store(0, Ordering::SeqCst);
    select! {
        send(fc(&c, 1), fv(n, 2)) -> r => r.unwrap(),
        send(fc(&dummy, 3), fv(1, 4)) -> _ => panic!("dummy send"),
        recv(fc(&dummy, 5)) -> _ => panic!("dummy receive"),
        send(fc(&nilch, 6), fv(1, 7)) -> _ => panic!("nilch send"),
        recv(fc(&nilch, 8)) -> _ => panic!("nilch recv"),
    }
    assert_eq!(order.load(Ordering::SeqCst), 8);
    assert_eq!(c.recv(), Some(n));
}

/// select6.go (Go issue 2075): a select that loses on a channel where others also wait
/// must leave that channel's queue intact. Two parties wait on c1 (one of them in a select
/// that also waits on c2); c2 fires; both c1 waiters must still be woken.
#[test]
fn select6() {
    for mode in MODES {
        let (c1, c2, c3) = (Chan::new(0), Chan::new(0), Chan::new(0));
        let a = c1.clone();
        let p1 = go(mode, 0, move || {
            a.recv().unwrap();
        });
        let (a, b, c) = (c1.clone(), c2.clone(), c3.clone());
        let p2 = go(mode, 1, move || {
            select! {
                recv(a) -> _ => panic!("dummy"),
                recv(b) -> _ => c.send(true).unwrap(),
            }
            a.recv().unwrap();
        });
        wait_parked(&c1, 0, 2);
        let b = c2.clone();
        let p3 = go(mode, 2, move || b.send(true).unwrap());
        c3.recv().unwrap();
        c1.send(true).unwrap();
        c1.send(true).unwrap();
        for p in [p1, p2, p3] {
            p.join();
        }
    }
}

/// select7.go: receives and sends that discard the value, as plain operations, one-case
/// selects and two-case selects, in every pairing.
#[test]
fn select7() {
    type Recv = fn(Chan<i32>);
    let recv1: Recv = |c| {
        c.recv();
    };
    let recv2: Recv = |c| select! { recv(c) -> _ => {} };
    let recv3: Recv = |c| {
        let c2 = Chan::<i32>::new(0);
        select! {
            recv(c) -> _ => {}
            recv(c2) -> _ => {}
        }
    };
    let send1 = |c: &Chan<i32>| c.send(1).unwrap();
    let send2 = |c: &Chan<i32>| select! { send(c, 1) -> r => r.unwrap() };
    let send3 = |c: &Chan<i32>| {
        let c2 = Chan::new(0);
        select! {
            send(c, 1) -> r => r.unwrap(),
            send(c2, 1) -> _ => unreachable!(),
        }
    };
    for mode in MODES {
        for recv in [recv1, recv2, recv3] {
            for (k, send) in [&send1 as &dyn Fn(&Chan<i32>), &send2, &send3]
                .iter()
                .enumerate()
            {
                let c = Chan::new(0);
                let c1 = c.clone();
                let p = go(mode, k, move || recv(c1));
                send(&c);
                p.join();
            }
        }
    }
}

/// select8.go: `break` in the arms of one-, two- and three-case selects leaves the select
/// (here: a labeled block around it), with and without `default`.
#[test]
#[allow(unreachable_code)]
fn select8() {
    for mode in MODES {
        let ch = Chan::new(0);
        let c = ch.clone();
        let sender = go(mode, 0, move || while c.send(5).is_ok() {});
        'a: {
            select! { recv(ch) -> _ => break 'a }
            panic!("unreachable");
        }
        'b: {
            select! { default => break 'b }
            panic!("unreachable");
        }
        'c: {
            select! {
                recv(ch) -> _ => break 'c,
                default => break 'c,
            }
            panic!("unreachable");
        }
        'd: {
            select! {
                recv(ch) -> _ => break 'd,
                send(ch, 10) -> _ => panic!("unreachable"),
                default => break 'd,
            }
            panic!("unreachable");
        }
        ch.close();
        sender.join();
    }
}

/// sendstmt.go: a send case whose channel is itself received from a channel of channels;
/// and a send of a boolean expression.
#[test]
fn sendstmt() {
    let cc = Chan::<Chan<i32>>::new(1);
    let c = Chan::new(1);
    cc.send(c.clone()).unwrap();
    select! {
        send(cc.recv().unwrap(), 2) -> r => r.unwrap(),
        default => panic!("nonblock"),
    }
    assert_eq!(c.recv(), Some(2), "bad receive");
    let c = Chan::new(1);
    // Go's point is that `c <- false || true` parses as a send of `false || true`.
    #[allow(clippy::overly_complex_bool_expr)]
    let v = std::hint::black_box(false) || true;
    c.send(v).unwrap();
    assert_eq!(c.recv(), Some(true), "sent false");
}

const PRIMES: [u64; 25] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
];

/// sieve1.go (and sieve.go, its older form): the daisy chain of divisibility filters gives
/// the primes below 100.
#[test]
fn sieve1() {
    for mode in MODES {
        let net = Net::new(mode);
        let primes = Chan::new(0);
        let out = primes.clone();
        net.go(move |net| {
            let mut ch = Chan::new(0);
            let gen = ch.clone();
            net.go(move |net| {
                for i in 2.. {
                    net.send(&gen, i)?;
                }
                None
            });
            loop {
                let prime = net.recv(&ch)?;
                net.send(&out, prime)?;
                let ch1 = Chan::new(0);
                let (from, to) = (ch.clone(), ch1.clone());
                net.go(move |net| loop {
                    let i = net.recv(&from)?;
                    if i % prime != 0 {
                        net.send(&to, i)?;
                    }
                });
                ch = ch1;
            }
        });
        for p in PRIMES {
            assert_eq!(primes.recv(), Some(p), "{mode:?}");
        }
        net.stop();
    }
}

/// sieve2.go: an Eratosthenes sieve over odd candidates, merging the multiples of each
/// prime from a heap of channels, with a proxy that buffers without bound (a select whose
/// send case is disabled by a nil channel while its buffer is empty).
#[test]
fn sieve2() {
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, VecDeque};

    /// A channel of the numbers from `start` on, step `step`.
    fn count(net: &Net, start: u64, step: u64, buf: usize) -> Chan<u64> {
        let out = Chan::new(buf);
        let o = out.clone();
        net.go(move |net| {
            let mut n = start;
            loop {
                net.send(&o, n)?;
                n += step;
            }
        });
        out
    }

    /// A channel that never blocks its sender: values wait in an unbounded queue.
    fn send_proxy(net: &Net, out: Chan<u64>) -> Chan<u64> {
        let proxy = Chan::new(10);
        let p = proxy.clone();
        net.go(move |net| {
            let mut queue = VecDeque::new();
            loop {
                let (c, e) = match queue.front() {
                    Some(&e) => (out.clone(), e),
                    None => (Chan::nil(), 0),
                };
                select! {
                    recv(p) -> v => queue.push_back(v?),
                    send(c, e) -> r => {
                        r.ok()?;
                        queue.pop_front();
                    }
                    recv(net.quit) -> _ => return None,
                }
            }
        });
        proxy
    }

    for mode in MODES {
        let net = Net::new(mode);
        let out = Chan::new(10);
        out.send(2).unwrap();
        out.send(3).unwrap();
        let composites = Chan::new(50);
        let primes = Chan::new(10);
        primes.send(3).unwrap();

        // Merge the multiples of each prime into `composites`, in increasing order.
        let (pr, comp) = (primes.clone(), composites.clone());
        net.go(move |net| {
            // (head, index into chans): the smallest head first.
            let mut heap = BinaryHeap::new();
            let mut chans: Vec<Chan<u64>> = Vec::new();
            let mut min = 15;
            loop {
                let p = net.recv(&pr)?;
                let m = count(net, p * p, 2 * p, 10);
                let head = net.recv(&m)?;
                while min < head {
                    net.send(&comp, min)?;
                    let Reverse((h, i)) = heap.pop().unwrap();
                    min = h;
                    heap.push(Reverse((net.recv(&chans[i])?, i)));
                }
                while min == head {
                    let Reverse((h, i)) = heap.pop().unwrap();
                    min = h;
                    heap.push(Reverse((net.recv(&chans[i])?, i)));
                }
                net.send(&comp, head)?;
                heap.push(Reverse((net.recv(&m)?, chans.len())));
                chans.push(m);
            }
        });

        // Sieve the composites out of the odd candidates.
        let o = out.clone();
        net.go(move |net| {
            let primes = send_proxy(net, primes);
            let candidates = count(net, 5, 2, 50);
            let mut p = net.recv(&candidates)?;
            loop {
                let c = net.recv(&composites)?;
                while p < c {
                    net.send(&primes, p)?;
                    net.send(&o, p)?;
                    p = net.recv(&candidates)?;
                }
                if p == c {
                    p = net.recv(&candidates)?;
                }
            }
        });

        for want in PRIMES {
            assert_eq!(out.recv(), Some(want), "{mode:?}");
        }
        net.stop();
    }
}

/// zerosize.go: channels of zero-sized types, unbuffered and buffered, work.
#[test]
fn zerosize() {
    let a = Chan::<[u8; 0]>::new(0);
    let b = Chan::<[u8; 0]>::new(1);
    let c = Chan::<()>::new(0);
    let d = Chan::<()>::new(1);
    b.send([]).unwrap();
    assert_eq!(b.recv(), Some([]));
    d.send(()).unwrap();
    assert_eq!(d.recv(), Some(()));
    let (a1, c1) = (a.clone(), c.clone());
    let t = std::thread::spawn(move || {
        a1.send([]).unwrap();
        c1.send(()).unwrap();
    });
    assert_eq!(a.recv(), Some([]));
    assert_eq!(c.recv(), Some(()));
    t.join().unwrap();
}
