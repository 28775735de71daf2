//! A concurrent web crawler with bounded parallelism: the Go tour's "Web Crawler" exercise,
//! solved in goro, over a fake in-memory fetcher.
//!
//! ```go
//! func (c *crawler) crawl(url string, depth int) {
//!     defer c.wg.Done()
//!     c.mu.Lock()
//!     if depth <= 0 || c.seen[url] { c.mu.Unlock(); return }
//!     c.seen[url] = true
//!     c.mu.Unlock()
//!     c.sem <- struct{}{}        // take one of N fetch slots
//!     body, urls, err := c.fetcher.Fetch(url)
//!     <-c.sem                    // give it back
//!     ...
//!     for _, u := range urls { c.wg.Add(1); go c.crawl(u, depth-1) }
//! }
//! ```
//!
//! One goroutine per link; a mutex-guarded set makes each URL fetched once; a buffered
//! channel of N slots is the semaphore that bounds how many fetches run at once; a
//! WaitGroup says when the crawl is over. First the Go tour's five-page golang.org, then a
//! 255-page site with 5 ms fetches and 8 slots.
//!
//! Run: `cargo run --release -p goroutines --example crawler`

use goro::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A fake web: a URL's body and links, served after `latency`.
struct FakeFetcher {
    pages: HashMap<String, (String, Vec<String>)>,
    latency: Duration,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl FakeFetcher {
    fn new(pages: HashMap<String, (String, Vec<String>)>, latency: Duration) -> FakeFetcher {
        FakeFetcher {
            pages,
            latency,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        }
    }

    /// Go: `Fetch(url string) (body string, urls []string, err error)`.
    fn fetch(&self, url: &str) -> Result<(String, Vec<String>), String> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        sleep(self.latency); // the network: parks this goroutine only
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.pages
            .get(url)
            .cloned()
            .ok_or_else(|| format!("not found: {url}"))
    }
}

struct Crawler {
    fetcher: FakeFetcher,
    /// Go: `mu sync.Mutex; seen map[string]bool`.
    seen: Mutex<HashSet<String>>,
    /// Go: `sem chan struct{}`, with a buffer of one slot per concurrent fetch.
    sem: Chan<()>,
    /// `(url, body)` of each page fetched, and the errors.
    found: Mutex<Vec<(String, String)>>,
    errors: Mutex<Vec<String>>,
    wg: WaitGroup,
}

impl Crawler {
    /// Crawls from `url` to `depth` links deep with at most `slots` fetches at once.
    fn run(fetcher: FakeFetcher, url: &str, depth: u32, slots: usize) -> Arc<Crawler> {
        let c = Arc::new(Crawler {
            fetcher,
            seen: Mutex::new(HashSet::new()),
            sem: Chan::new(slots),
            found: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
            wg: WaitGroup::new(),
        });
        c.clone().spawn(url.to_string(), depth);
        c.wg.wait();
        c
    }

    fn spawn(self: Arc<Self>, url: String, depth: u32) {
        let wg = self.wg.clone();
        // SAFETY: `crawl` keeps no thread-bound state across blocking calls (the gosync
        // guards it takes are dropped before it blocks, and may move threads anyway).
        let sp = unsafe { Spawner::new() };
        sp.spawn_in(&wg, move || self.crawl(url, depth));
    }

    fn crawl(self: Arc<Self>, url: String, depth: u32) {
        if depth == 0 || !self.seen.lock().insert(url.clone()) {
            return;
        }
        self.sem.send(()).unwrap(); // take a slot; waits while all are taken
        let page = self.fetcher.fetch(&url);
        self.sem.recv(); // give it back
        match page {
            Ok((body, urls)) => {
                self.found.lock().push((url, body));
                for u in urls {
                    self.clone().spawn(u, depth - 1);
                }
            }
            Err(e) => self.errors.lock().push(e),
        }
    }
}

/// The Go tour's fakeFetcher.
fn golang_org() -> HashMap<String, (String, Vec<String>)> {
    let site: [(&str, &str, &[&str]); 4] = [
        ("", "The Go Programming Language", &["pkg/", "cmd/"]),
        ("pkg/", "Packages", &["", "cmd/", "pkg/fmt/", "pkg/os/"]),
        ("pkg/fmt/", "Package fmt", &["", "pkg/"]),
        ("pkg/os/", "Package os", &["", "pkg/"]),
    ];
    let url = |path: &str| format!("https://golang.org/{path}");
    site.into_iter()
        .map(|(path, body, links)| {
            let links = links.iter().map(|l| url(l)).collect();
            (url(path), (body.to_string(), links))
        })
        .collect()
}

/// Pages 1..=255 of a binary tree: page n links to its children 2n and 2n + 1, its parent
/// and the root.
fn big_site() -> HashMap<String, (String, Vec<String>)> {
    let url = |n: u32| format!("https://example.org/{n}");
    (1..=255)
        .map(|n| {
            let links = [2 * n, 2 * n + 1, n / 2, 1]
                .into_iter()
                .filter(|&l| (1..=255).contains(&l));
            (url(n), (format!("page {n}"), links.map(url).collect()))
        })
        .collect()
}

fn crawl_all() {
    println!("the Go tour's fake golang.org, depth 4, 2 fetch slots:");
    let c = Crawler::run(
        FakeFetcher::new(golang_org(), Duration::from_millis(1)),
        "https://golang.org/",
        4,
        2,
    );
    let mut found = c.found.lock().clone();
    found.sort();
    for (url, body) in &found {
        println!("   found: {url} {body:?}");
    }
    for e in c.errors.lock().iter() {
        println!("   {e}");
    }
    assert_eq!(found.len(), 4);
    assert_eq!(*c.errors.lock(), ["not found: https://golang.org/cmd/"]);

    const SLOTS: usize = 8;
    const LATENCY: Duration = Duration::from_millis(5);
    println!("a 255-page site, {LATENCY:?} per fetch, {SLOTS} fetch slots:");
    let t0 = Instant::now();
    let c = Crawler::run(
        FakeFetcher::new(big_site(), LATENCY),
        "https://example.org/1",
        8,
        SLOTS,
    );
    let (pages, max) = (
        c.found.lock().len(),
        c.fetcher.max_in_flight.load(Ordering::SeqCst),
    );
    println!(
        "   {pages} pages in {:.0?} ({:?} one at a time); at most {max} fetches at once",
        t0.elapsed(),
        LATENCY * pages as u32
    );
    assert_eq!(pages, 255);
    assert!(c.errors.lock().is_empty());
    assert!(
        max <= SLOTS,
        "the semaphore bounds parallelism: {max} > {SLOTS}"
    );
    assert_eq!(c.seen.lock().len(), 255);
    println!("ok");
}

fn main() {
    // SAFETY: main and the goroutines it starts keep no thread-bound state across blocking
    // calls. `run` makes main a goroutine, with Go's deadlock detection.
    unsafe { goro::run(crawl_all) }
}
