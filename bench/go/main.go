// Command gobench runs the Go versions of goro's benchmark workloads (see bench/src/spec.rs):
//
//	gobench WORKLOAD [key=value ..]
//
// and prints one line that `cargo xtask bench` parses, the same as the Rust peers:
//
//	RESULT workload=W peer=go metric=M value=V [extra=..] peak_rss_kib=K
//
// GOMAXPROCS comes from the environment, set by the harness.
package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var params = map[string]string{}

func param(key string, def int) int {
	v, ok := params[key]
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
	if err != nil {
		fmt.Fprintf(os.Stderr, "parameter %s=%s: not a number\n", key, v)
		os.Exit(2)
	}
	return n
}

func statusKiB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			f := strings.Fields(line[len(field):])
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

var workload string

type kv struct {
	k string
	v float64
}

func report(metric string, value float64, extra ...kv) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "RESULT workload=%s peer=go metric=%s value=%.3f", workload, metric, value)
	for _, e := range extra {
		fmt.Fprintf(&sb, " %s=%.3f", e.k, e.v)
	}
	fmt.Fprintf(&sb, " peak_rss_kib=%d", statusKiB("VmHWM:"))
	fmt.Println(sb.String())
}

func nsPer(d time.Duration, ops int) float64 {
	if ops < 1 {
		ops = 1
	}
	return float64(d.Nanoseconds()) / float64(ops)
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gobench WORKLOAD [key=value ..]")
		os.Exit(2)
	}
	workload = os.Args[1]
	for _, a := range os.Args[2:] {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "bad parameter %q: expected key=value\n", a)
			os.Exit(2)
		}
		params[k] = v
	}
	switch workload {
	case "spawn":
		spawn()
	case "yield":
		yield()
	case "parked":
		parked()
	case "pingpong":
		pingpong()
	case "prodcons":
		prodcons()
	case "select":
		selectFed()
	case "skynet":
		skynetRun()
	case "burst":
		burst()
	case "fairness":
		fairness()
	case "mutex":
		mutex()
	case "uncontended":
		uncontended()
	case "syscall":
		syscallCost()
	case "hog":
		hog()
	case "fairness-hog":
		fairnessHog()
	case "waitgroup":
		waitgroup()
	case "mutex-tail":
		mutexTail()
	case "echo-server":
		echoServer()
	case "http-server":
		httpServer()
	case "nethttp-server":
		netHTTPServer()
	default:
		fmt.Fprintf(os.Stderr, "peer go has no `%s` workload\n", workload)
		os.Exit(3)
	}
}

// spawn: n goroutines spawned, then all joined (a WaitGroup; each stores its result).
func spawn() {
	n := param("n", 1_000_000)
	results := make([]int, n)
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			results[i] = i
			wg.Done()
		}(i)
	}
	wg.Wait()
	d := time.Since(start)
	sum := 0
	for _, r := range results {
		sum += r
	}
	if sum != n*(n-1)/2 {
		panic("spawn: bad sum")
	}
	report("ns_per_spawn", nsPer(d, n), kv{"ms", ms(d)})
}

// yield: two goroutines each calling runtime.Gosched n times.
func yield() {
	n := param("n", 1_000_000)
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(2)
	for g := 0; g < 2; g++ {
		go func() {
			for i := 0; i < n; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	report("ns_per_yield", nsPer(time.Since(start), 2*n))
}

// parkMany starts n goroutines, each blocked receiving on its own channel, and returns once
// all have started; release ends them all and waits for them.
func parkMany(n int) (release func()) {
	var ready atomic.Int64
	chans := make([]chan struct{}, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range chans {
		c := make(chan struct{})
		chans[i] = c
		go func() {
			ready.Add(1)
			<-c
			wg.Done()
		}()
	}
	for ready.Load() < int64(n) {
		time.Sleep(time.Millisecond)
	}
	return func() {
		for _, c := range chans {
			c <- struct{}{}
		}
		wg.Wait()
	}
}

// parked: n goroutines, each blocked receiving on its own channel.
func parked() {
	n := param("n", 100_000)
	before := statusKiB("VmRSS:")
	release := parkMany(n)
	// hold=S: parked for S seconds before the reading; else 50 ms.
	time.Sleep(max(50*time.Millisecond, time.Duration(param("hold", 0))*time.Second))
	during := statusKiB("VmRSS:")
	release()
	report("bytes_per_g", float64(during-before)*1024/float64(n))
}

// burst: n goroutines parked at once, then all ended; RSS before, at the height, and each
// second after for secs seconds. Value: RSS secs after the burst over RSS before it.
func burst() {
	n := param("n", 1_000_000)
	secs := param("secs", 10)
	time.Sleep(50 * time.Millisecond)
	before := statusKiB("VmRSS:")
	release := parkMany(n)
	height := statusKiB("VmRSS:")
	release()
	extra := []kv{{"before_kib", float64(before)}, {"height_kib", float64(height)}}
	start := time.Now()
	var last int64
	for s := 0; s <= secs; s++ {
		time.Sleep(time.Until(start.Add(time.Duration(s) * time.Second)))
		last = statusKiB("VmRSS:")
		extra = append(extra, kv{fmt.Sprintf("rss_%ds_kib", s), float64(last)})
	}
	report("rss_after_over_before", float64(last)/float64(max(before, int64(1))), extra...)
}

// pingpong: unbuffered round trips between two goroutines.
func pingpong() {
	n := param("n", 200_000)
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		if <-pong != i {
			panic("pingpong: wrong value")
		}
	}
	d := time.Since(start)
	close(ping)
	report("ns_per_op", nsPer(d, n))
}

// prodcons: 4 producers and 4 consumers on one channel of capacity cap.
func prodcons() {
	n := param("n", 1_000_000)
	capacity := param("cap", 0)
	const sides = 4
	per := n / sides
	c := make(chan int, capacity)
	sums := make([]int, sides)
	start := time.Now()
	var cons, prod sync.WaitGroup
	cons.Add(sides)
	prod.Add(sides)
	for i := 0; i < sides; i++ {
		go func(i int) {
			// Sum into a local and store once, as the Rust peers do: a shared slice written
			// per message would bounce its cache line between the consumers' cores.
			sum := 0
			for v := range c {
				sum += v
			}
			sums[i] = sum
			cons.Done()
		}(i)
		go func() {
			for j := 0; j < per; j++ {
				c <- j
			}
			prod.Done()
		}()
	}
	prod.Wait()
	close(c)
	cons.Wait()
	d := time.Since(start)
	total := 0
	for _, s := range sums {
		total += s
	}
	if total != sides*per*(per-1)/2 {
		panic("prodcons: bad sum")
	}
	report("ns_per_msg", nsPer(d, per*sides))
}

// select: one goroutine selecting over 4 channels, each fed by its own goroutine.
func selectFed() {
	n := param("n", 1_000_000)
	capacity := param("cap", 100)
	per := n / 4
	start := time.Now()
	cs := make([]chan int, 4)
	for i := range cs {
		c := make(chan int, capacity)
		cs[i] = c
		go func() {
			for j := 0; j < per; j++ {
				c <- j
			}
			close(c)
		}()
	}
	c0, c1, c2, c3 := cs[0], cs[1], cs[2], cs[3]
	got, open := 0, 4
	for open > 0 {
		var ok bool
		select {
		case _, ok = <-c0:
			if !ok {
				c0 = nil
			}
		case _, ok = <-c1:
			if !ok {
				c1 = nil
			}
		case _, ok = <-c2:
			if !ok {
				c2 = nil
			}
		case _, ok = <-c3:
			if !ok {
				c3 = nil
			}
		}
		if ok {
			got++
		} else {
			open--
		}
	}
	d := time.Since(start)
	if got != per*4 {
		panic("select: lost messages")
	}
	report("ns_per_select", nsPer(d, got))
}

// skynet: the classic; every node spawns ten children that send their sums on its channel.
func skynet(out chan<- int, num, size, div int) {
	if size == 1 {
		out <- num
		return
	}
	c := make(chan int)
	for i := 0; i < div; i++ {
		go skynet(c, num+i*(size/div), size/div, div)
	}
	sum := 0
	for i := 0; i < div; i++ {
		sum += <-c
	}
	out <- sum
}

func skynetRun() {
	size := param("size", 1_000_000)
	// Live goroutines, sampled every 200 us (runtime.NumGoroutine; the sampler is one of them).
	var stop atomic.Bool
	peak := make(chan int)
	go func() {
		p := 0
		for !stop.Load() {
			p = max(p, runtime.NumGoroutine()-1)
			time.Sleep(200 * time.Microsecond)
		}
		peak <- p
	}()
	start := time.Now()
	c := make(chan int)
	go skynet(c, 0, size, 10)
	sum := <-c
	d := time.Since(start)
	stop.Store(true)
	peakLive := <-peak
	if sum != size*(size-1)/2 {
		panic("skynet: bad sum")
	}
	report("ms", ms(d), kv{"peak_live", float64(peakLive)})
}

// fairness: n selects over 4 always-ready buffered channels, each refilled after it fires.
func fairness() {
	n := param("n", 1_000_000)
	cs := make([]chan int, 4)
	for i := range cs {
		cs[i] = make(chan int, 1)
		cs[i] <- 0
	}
	var counts [4]int
	for j := 0; j < n; j++ {
		var i int
		select {
		case <-cs[0]:
			i = 0
		case <-cs[1]:
			i = 1
		case <-cs[2]:
			i = 2
		case <-cs[3]:
			i = 3
		}
		counts[i]++
		cs[i] <- 0
	}
	extra := make([]kv, 4)
	dev := 0.0
	for i, c := range counts {
		share := float64(c) * 100 / float64(n)
		extra[i] = kv{fmt.Sprintf("share%d_pct", i), share}
		d := share - 25
		if d < 0 {
			d = -d
		}
		if d > dev {
			dev = d
		}
	}
	report("max_dev_pct", dev, extra...)
}

func work(x uint64, iters int) uint64 {
	for i := 0; i < iters; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

var sink atomic.Uint64

// mutex: g goroutines share n lock/unlock pairs; work busy iterations outside the lock.
func mutex() {
	g := max(param("g", 2), 1)
	n := param("n", 1_000_000)
	iters := param("work", 0)
	per := n / g
	var mu sync.Mutex
	counter := 0
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(g)
	for i := 0; i < g; i++ {
		go func(i int) {
			x := uint64(i + 1)
			for j := 0; j < per; j++ {
				mu.Lock()
				counter++
				mu.Unlock()
				if iters > 0 {
					x = work(x, iters)
				}
			}
			sink.Add(x)
			wg.Done()
		}(i)
	}
	wg.Wait()
	d := time.Since(start)
	if counter != per*g {
		panic("mutex: lost updates")
	}
	report("ns_per_lock", nsPer(d, per*g))
}

// uncontended: lock+unlock n times on one goroutine.
func uncontended() {
	n := param("n", 10_000_000)
	var mu sync.Mutex
	counter := 0
	start := time.Now()
	for i := 0; i < n; i++ {
		mu.Lock()
		counter++
		mu.Unlock()
	}
	d := time.Since(start)
	if counter != n {
		panic("uncontended: lost updates")
	}
	report("ns_per_lock", nsPer(d, n))
}

// waitgroup: n cycles of Add(1), Done, Wait; with spawn=1 the Done runs on a new goroutine and
// Wait really waits (Go's BenchmarkWaitGroupActuallyWait).
func waitgroup() {
	n := param("n", 1_000_000)
	spawn := param("spawn", 0) != 0
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		if spawn {
			go wg.Done()
		} else {
			wg.Done()
		}
		wg.Wait()
	}
	report("ns_per_cycle", nsPer(time.Since(start), n))
}

// mutex-tail: g goroutines hammer one lock, each timing every Lock call: the longest wait in
// µs, and the 99th and 99.9th percentiles over every call.
func mutexTail() {
	g := max(param("g", 4), 1)
	n := param("n", 1_000_000)
	per := n / g
	var mu sync.Mutex
	counter := 0
	waits := make([][]uint32, g)
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(g)
	for i := 0; i < g; i++ {
		go func(i int) {
			w := make([]uint32, 0, per)
			for j := 0; j < per; j++ {
				t := time.Now()
				mu.Lock()
				d := time.Since(t)
				counter++
				mu.Unlock()
				w = append(w, uint32(min(d.Nanoseconds(), math.MaxUint32)))
			}
			waits[i] = w
			wg.Done()
		}(i)
	}
	wg.Wait()
	d := time.Since(start)
	if counter != per*g {
		panic("mutex-tail: lost updates")
	}
	var all []uint32
	for _, w := range waits {
		all = append(all, w...)
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		k := int(math.Ceil(float64(len(all))*p/100)) - 1
		k = max(0, min(k, len(all)-1))
		return float64(all[k]) / 1e3
	}
	report("max_wait_us", float64(all[len(all)-1])/1e3,
		kv{"p999_wait_us", pct(99.9)}, kv{"p99_wait_us", pct(99)}, kv{"ns_per_lock", nsPer(d, per*g)})
}

// listen raises the fd limit, listens on 127.0.0.1:0, prints "LISTENING addr" and exits when
// stdin reaches EOF (the client closes it, or dies): the start of every server workload.
func listen() net.Listener {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	fmt.Printf("LISTENING %s\n", l.Addr())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	return l
}

var endOfRequest = []byte("\r\n\r\n")

// serveEach runs serve(c) on a goroutine for every connection l accepts, closing c after.
func serveEach(l net.Listener, serve func(c net.Conn)) {
	for {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "accept:", err)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		go func() {
			defer c.Close()
			serve(c)
		}()
	}
}

// httpResponse is bench/src/http.rs's RESPONSE, byte for byte.
const httpResponse = "HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!"

// http-server: the server side of the `http` workload (bench/src/http.rs) on Go's raw net
// package: a goroutine per connection reading up to 4 KiB, answering every complete request
// in it and writing the answers at once, as goro's and tokio's servers do.
func httpServer() {
	serveEach(listen(), func(c net.Conn) {
		buf := make([]byte, 4096)
		out := make([]byte, 0, len(httpResponse)*16)
		have := 0
		for {
			n, err := c.Read(buf[have:])
			if err != nil {
				return
			}
			have += n
			used := 0
			for {
				end := bytes.Index(buf[used:have], endOfRequest)
				if end < 0 {
					break
				}
				used += end + 4
				out = append(out, httpResponse...)
			}
			have = copy(buf, buf[used:have])
			if have == len(buf) {
				return
			}
			if len(out) > 0 {
				if _, err := c.Write(out); err != nil {
					return
				}
				out = out[:0]
			}
		}
	})
}

// nethttp-server: the `http` workload on Go's net/http, the server most Go programs use: the
// same answer from a handler.
func netHTTPServer() {
	l := listen()
	body := []byte("Hello, World!")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr["Server"] = []string{"bench"}
		hdr["Content-Type"] = []string{"text/plain"}
		hdr["Content-Length"] = []string{"13"}
		_, _ = w.Write(body)
	})
	if err := http.Serve(l, h); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

// echo-server: the server side of the `echo` workload (bench/src/echo.rs drives it): Go's net
// package, a goroutine per connection reading up to 4 KiB and writing it back. Prints
// "LISTENING addr" first; exits when stdin reaches EOF (the client closes it, or dies).
func echoServer() {
	serveEach(listen(), func(c net.Conn) {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
		}
	})
}

// syscallCost: syscall.Syscall wraps the call in entersyscall/exitsyscall.
func syscallCost() {
	n := param("n", 1000000)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		syscall.Syscall(syscall.SYS_GETPPID, 0, 0, 0)
	}
	report("ns_per_call", nsPer(time.Since(t0), n))
}

// hog: how late a 1 ms ticker runs while another goroutine spins without yielding.
func hog() {
	secs := param("secs", 2)
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		for !stop.Load() {
		}
		close(done)
	}()
	period := time.Millisecond
	ticker := time.NewTicker(period)
	end := time.Now().Add(time.Duration(secs) * time.Second)
	var late []float64
	last := time.Now()
	for time.Now().Before(end) {
		<-ticker.C
		now := time.Now()
		l := now.Sub(last.Add(period))
		if l < 0 {
			l = 0
		}
		late = append(late, float64(l.Nanoseconds())/1e3)
		last = now
	}
	ticker.Stop()
	stop.Store(true)
	<-done
	slices.Sort(late)
	pick := func(q float64) float64 { return late[int(q*float64(len(late)-1))] }
	report("p99_late_us", pick(0.99), kv{"p50_late_us", pick(0.5)}, kv{"max_late_us", late[len(late)-1]})
}

// fairnessHog: Go's TestPingPongHog (runtime/proc_test.go) as a workload, run at GOMAXPROCS=1.
// Two "hog" goroutines hand a token back and forth, doing 1e6 units of work per hand-off (a unit:
// one xorshift step, as in mutex's work; the test's `*counter++` would cost what each compiler
// makes of the loop); two "light" ones do 1e3. After ms milliseconds done is closed. Value: hog
// units / light units at that moment (the test wants it within [1/20, 20]); +Inf when a pair
// never ran.
func fairnessHog() {
	period := time.Duration(param("ms", 300)) * time.Millisecond
	done := make(chan bool)
	hogChan, lightChan := make(chan bool), make(chan bool)
	hogCount, lightCount := 0, 0
	run := func(limit int, counter *int, wake chan bool) {
		x := uint64(1)
		for {
			select {
			case <-done:
				sink.Add(x)
				return
			case <-wake:
				x = work(x, limit)
				*counter += limit
				wake <- true
			}
		}
	}
	for i := 0; i < 2; i++ {
		go run(1e6, &hogCount, hogChan)
	}
	for i := 0; i < 2; i++ {
		go run(1e3, &lightCount, lightChan)
	}
	hogChan <- true
	lightChan <- true
	time.Sleep(period)
	close(done)
	// With one P nothing else runs while main does: the counts are those at close(done).
	hog, light := float64(hogCount), float64(lightCount)
	<-hogChan
	<-lightChan
	ratio := math.Inf(1) // a pair never ran: starved, as the Rust peers report it
	if hog > 0 && light > 0 {
		ratio = hog / light
	}
	report("hog_per_light", ratio, kv{"hog_units", hog}, kv{"light_units", light})
}
