//! Publish/subscribe: a broker goroutine that owns the subscriber table ("share memory by
//! communicating"), ported from the Go idiom:
//!
//! ```go
//! for {
//!     select {
//!     case s := <-subscribe:
//!         subs[s.topic] = append(subs[s.topic], s.ch)
//!     case m := <-publish:
//!         for _, ch := range subs[m.topic] {
//!             select {
//!             case ch <- m:
//!             default: // a full subscriber misses the message; nobody else waits
//!                 dropped++
//!             }
//!         }
//!     case <-stop:
//!         for _, ch := range all { close(ch) }
//!         return
//!     }
//! }
//! ```
//!
//! Only the broker touches the table, so it needs no lock. Each subscriber has a buffered
//! channel; delivery never blocks the broker, and a subscriber whose buffer is full misses
//! the message. Stopping the broker closes every subscriber channel, which ends each
//! subscriber's `for msg in &ch` loop.
//!
//! Run: `cargo run --release -p goroutines --example pub_sub`

use goro::prelude::*;
use goro::Sender;
use std::collections::HashMap;

#[derive(Clone, Debug)]
struct Msg {
    topic: &'static str,
    body: String,
}

/// The broker's side of the channels, and its goroutine.
struct Broker {
    subscribe: Chan<(&'static str, Sender<Msg>)>,
    publish: Chan<Msg>,
    stop: Chan<()>,
    handle: JoinHandle<u64>,
}

impl Broker {
    fn start() -> Broker {
        let (subscribe, publish, stop) = (Chan::new(0), Chan::new(0), Chan::new(0));
        let (sub_rx, pub_rx, stop_rx) = (subscribe.receiver(), publish.receiver(), stop.receiver());
        // SAFETY: the broker keeps no thread-bound state across blocking calls.
        let sp = unsafe { Spawner::new() };
        let handle = go!(sp, move || run_broker(sub_rx, pub_rx, stop_rx));
        Broker {
            subscribe,
            publish,
            stop,
            handle,
        }
    }

    /// A new subscription to `topics`, with room for `buffer` undelivered messages.
    fn subscribe(&self, topics: &[&'static str], buffer: usize) -> Receiver<Msg> {
        let ch = Chan::new(buffer);
        for &topic in topics {
            // Unbuffered: once this returns the broker has the subscription, so every
            // message published after it reaches the subscriber.
            self.subscribe.send((topic, ch.sender())).unwrap();
        }
        ch.receiver()
    }

    fn publish(&self, topic: &'static str, body: String) {
        self.publish.send(Msg { topic, body }).unwrap();
    }

    /// Stops the broker, closing every subscription; returns how many deliveries it dropped.
    fn stop(self) -> u64 {
        self.stop.close();
        self.handle.join().unwrap()
    }
}

fn run_broker(
    subscribe: Receiver<(&'static str, Sender<Msg>)>,
    publish: Receiver<Msg>,
    stop: Receiver<()>,
) -> u64 {
    let mut subs: HashMap<&str, Vec<Sender<Msg>>> = HashMap::new();
    let mut dropped = 0;
    loop {
        select! {
            recv(subscribe) -> s => {
                let (topic, ch) = s.unwrap();
                subs.entry(topic).or_default().push(ch);
            }
            recv(publish) -> m => {
                let m = m.unwrap();
                for ch in subs.get(m.topic).into_iter().flatten() {
                    if ch.try_send(m.clone()).is_err() {
                        dropped += 1;
                    }
                }
            }
            recv(stop) -> _ => break,
        }
    }
    // A subscriber on several topics appears once per topic: close each channel once.
    let mut all: Vec<Sender<Msg>> = Vec::new();
    for ch in subs.into_values().flatten() {
        if !all.iter().any(|c| c.same_channel(&ch)) {
            all.push(ch);
        }
    }
    for ch in &all {
        ch.close();
    }
    dropped
}

/// A subscriber goroutine: reads until its channel is closed, returns the topics it saw.
fn reader(name: &'static str, rx: Receiver<Msg>) -> JoinHandle<Vec<&'static str>> {
    // SAFETY: the subscriber keeps no thread-bound state across blocking calls.
    go!(unsafe { Spawner::new() }, {
        let topics: Vec<_> = rx.iter().map(|m| m.topic).collect();
        println!("   {name} received {} messages", topics.len());
        topics
    })
}

fn demo() {
    let broker = Broker::start();
    let alice = reader("alice (news)", broker.subscribe(&["news"], 64));
    let bob = reader(
        "bob (news, sports)",
        broker.subscribe(&["news", "sports"], 64),
    );
    // Subscribed, but reads nothing until the end: its buffer of 1 fills at once.
    let slow = broker.subscribe(&["news"], 1);

    for i in 1..=10 {
        broker.publish("news", format!("headline {i}"));
    }
    for i in 1..=5 {
        broker.publish("sports", format!("score {i}"));
    }
    broker.publish("weather", "nobody listens".to_string());
    let dropped = broker.stop();

    let alice = alice.join().unwrap();
    let bob = bob.join().unwrap();
    let slow: Vec<Msg> = slow.iter().collect();
    println!("   the slow subscriber got {:?}", slow[0].body);
    println!("broker dropped {dropped} deliveries to the full subscriber");
    assert_eq!(alice, ["news"; 10]);
    assert_eq!(bob, [["news"; 10].as_slice(), &["sports"; 5]].concat()); // in order
    assert_eq!(slow.len(), 1);
    assert_eq!(slow[0].body, "headline 1");
    assert_eq!(dropped, 9);
    println!("ok");
}

fn main() {
    println!("a broker, three subscribers, 16 messages on three topics");
    // SAFETY: main and the goroutines it starts keep no thread-bound state across blocking
    // calls. `run` makes main a goroutine, with Go's deadlock detection.
    unsafe { goro::run(demo) }
}
