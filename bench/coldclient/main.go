// Command coldclient is the benchmark's cold Redfish client: every request opens a new TCP connection and makes a
// new TLS handshake, as Magellan's Redfish client (gofish, Go net/http) does when it talks with "Connection: close".
//
// With -resume=false the client keeps no session cache (tls.Config.ClientSessionCache is nil), so every handshake is
// a full one; with -resume=true it keeps one LRU session cache shared by all its workers, as a long-lived client
// process would, and offers the server's last TLS 1.3 ticket (or TLS 1.2 ticket) on every new connection. Each
// response tells whether its handshake resumed (tls.ConnectionState.DidResume); the count is printed.
//
// The run: -warmup seconds of the same load (not counted), then -d seconds measured with -c workers. With -pid, the
// server's utime+stime (/proc/PID/stat, clock ticks) is read right before the measured part starts and right after
// its last request has returned, so the CPU figure covers exactly the counted requests.
//
// Output: one line of key=value pairs (requests, errors, non2xx, resumed, rps, p50_ms, p99_ms, cpu_ticks, cpu_ms_per_req).
// Standard library only.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type result struct {
	latencies []time.Duration
	ok        int
	non2xx    int
	errors    int
	resumed   int
	firstErr  string
}

func main() {
	url := flag.String("url", "", "URL to GET (https://...)")
	conc := flag.Int("c", 1, "concurrent clients (each one request at a time, a new connection per request)")
	dur := flag.Float64("d", 5, "measured seconds")
	warm := flag.Float64("warmup", 1, "warm-up seconds before the measured part (not counted)")
	resume := flag.Bool("resume", false, "keep a TLS session cache (resumption); false = a full handshake per request")
	maxTLS := flag.String("tls", "", "highest TLS version to offer: 1.2 or 1.3 (default: Go's, 1.3)")
	basic := flag.String("basic", "", "user:password for HTTP Basic authentication")
	pid := flag.Int("pid", 0, "server process whose CPU time (/proc/PID/stat) is read around the measured part")
	clk := flag.Int("clk", 100, "clock ticks per second (getconf CLK_TCK)")
	wait := flag.String("wait", "", "start-up mode: comma-separated URLs polled until each answers 200 (see waitAll)")
	since := flag.Int64("since", 0, "start-up mode: the Unix time (ms) the server was launched")
	flag.Parse()
	if *wait != "" {
		os.Exit(waitAll(strings.Split(*wait, ","), *since))
	}
	if *url == "" || *conc < 1 || *conc > 1024 || *dur <= 0 || *dur > 600 || *warm < 0 || *warm > 60 {
		fmt.Fprintln(os.Stderr, "usage: coldclient -url URL [-c N (1..1024)] [-d SECONDS (<= 600)] [-warmup SECONDS] [-resume] [-tls 1.2|1.3] [-basic USER:PASS] [-pid PID -clk TICKS]")
		os.Exit(2)
	}

	tlsConfig := &tls.Config{
		// The bench certificate is self-signed for another name; verifying it costs only the client (it is on the
		// same 2 cores as the server, so skipping it leaves more CPU to the server, equally for product and ceiling).
		InsecureSkipVerify: true, //nolint:gosec // loopback benchmark
	}
	switch *maxTLS {
	case "1.2":
		tlsConfig.MaxVersion = tls.VersionTLS12
	case "1.3", "":
	default:
		fmt.Fprintln(os.Stderr, "-tls: 1.2 or 1.3")
		os.Exit(2)
	}
	if *resume {
		tlsConfig.ClientSessionCache = tls.NewLRUClientSessionCache(64)
	}
	transport := &http.Transport{
		TLSClientConfig:     tlsConfig,
		DisableKeepAlives:   true, // "Connection: close" and a new connection (TCP + TLS) per request
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		TLSHandshakeTimeout: 5 * time.Second,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	client := &http.Client{Transport: transport, Timeout: 5 * time.Second}
	user, pass, hasBasic := strings.Cut(*basic, ":")

	run := func(seconds float64, record bool) ([]result, time.Duration, int64, int64) {
		results := make([]result, *conc)
		var wg sync.WaitGroup
		var ticks0 int64
		if record && *pid > 0 {
			ticks0 = cpuTicks(*pid)
		}
		start := time.Now()
		deadline := start.Add(time.Duration(seconds * float64(time.Second)))
		for w := 0; w < *conc; w++ {
			wg.Add(1)
			go func(r *result) {
				defer wg.Done()
				// Bounded by time (deadline) and by count (no worker makes more than 10 million requests).
				for n := 0; n < 10_000_000 && time.Now().Before(deadline); n++ {
					req, err := http.NewRequest(http.MethodGet, *url, nil)
					if err != nil {
						r.errors++
						r.firstErr = err.Error()
						return
					}
					if hasBasic {
						req.SetBasicAuth(user, pass)
					}
					t0 := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						r.errors++
						if r.firstErr == "" {
							r.firstErr = err.Error()
						}
						time.Sleep(time.Millisecond) // no hot spin on a refused connection
						continue
					}
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					elapsed := time.Since(t0)
					switch {
					case err != nil:
						r.errors++
						if r.firstErr == "" {
							r.firstErr = err.Error()
						}
					case resp.StatusCode < 200 || resp.StatusCode > 299:
						r.non2xx++
						if r.firstErr == "" {
							r.firstErr = "HTTP " + resp.Status
						}
					default:
						r.ok++
					}
					if resp.TLS != nil && resp.TLS.DidResume {
						r.resumed++
					}
					if record {
						r.latencies = append(r.latencies, elapsed)
					}
				}
			}(&results[w])
		}
		wg.Wait()
		elapsed := time.Since(start)
		var ticks1 int64
		if record && *pid > 0 {
			ticks1 = cpuTicks(*pid)
		}
		return results, elapsed, ticks0, ticks1
	}

	if *warm > 0 {
		run(*warm, false)
	}
	results, elapsed, ticks0, ticks1 := run(*dur, true)

	var total result
	var all []time.Duration
	for _, r := range results {
		total.ok += r.ok
		total.non2xx += r.non2xx
		total.errors += r.errors
		total.resumed += r.resumed
		if total.firstErr == "" {
			total.firstErr = r.firstErr
		}
		all = append(all, r.latencies...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	requests := total.ok + total.non2xx
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := int(p*float64(len(all))+0.5) - 1
		if i < 0 {
			i = 0
		}
		if i >= len(all) {
			i = len(all) - 1
		}
		return float64(all[i].Microseconds()) / 1000
	}
	cpuMsPerReq := "-"
	cpu := "-"
	if *pid > 0 && ticks0 >= 0 && ticks1 >= 0 {
		cpu = strconv.FormatInt(ticks1-ticks0, 10)
		if requests > 0 {
			cpuMsPerReq = fmt.Sprintf("%.3f", float64(ticks1-ticks0)*1000/float64(*clk)/float64(requests))
		}
	}
	fmt.Printf("requests=%d ok=%d non2xx=%d errors=%d resumed=%d seconds=%.3f rps=%.0f p50_ms=%.3f p99_ms=%.3f cpu_ticks=%s cpu_ms_per_req=%s\n",
		requests, total.ok, total.non2xx, total.errors, total.resumed, elapsed.Seconds(), float64(requests)/elapsed.Seconds(),
		pct(0.50), pct(0.99), cpu, cpuMsPerReq)
	if total.firstErr != "" {
		fmt.Fprintf(os.Stderr, "coldclient: first failure: %s\n", total.firstErr)
	}
}

// cpuTicks returns utime+stime of process pid in clock ticks (fields 14 and 15 of /proc/PID/stat), -1 if unreadable.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	s := string(b)
	// The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime is field 14 -> f[11], stime field 15 -> f[12].
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return u + st
}

// waitAll is the start-up mode: one goroutine per URL polls it (a new connection each time, at most every 5 ms,
// at most 3000 tries of at most 0.5 s, and 30 s in all) until it answers 200. Prints one line: first_ms (the first URL's
// first 200, counted from since), all_ms (the last URL's), ok (URLs that answered) and each URL's figure. Exit 1 if
// one never answered.
func waitAll(urls []string, since int64) int {
	if since == 0 {
		since = time.Now().UnixMilli()
	}
	transport := &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback benchmark
		DisableKeepAlives: true,
	}
	client := &http.Client{Transport: transport, Timeout: 500 * time.Millisecond}
	deadline := time.Now().Add(30 * time.Second)
	at := make([]int64, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func(i int, u string) {
			defer wg.Done()
			at[i] = -1
			for n := 0; n < 3000 && time.Now().Before(deadline); n++ {
				t := time.Now()
				resp, err := client.Get(u)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						at[i] = time.Now().UnixMilli() - since
						return
					}
				}
				if d := 5*time.Millisecond - time.Since(t); d > 0 {
					time.Sleep(d)
				}
			}
		}(i, u)
	}
	wg.Wait()
	first, all, ok := int64(-1), int64(-1), 0
	each := make([]string, len(urls))
	for i, a := range at {
		each[i] = strconv.FormatInt(a, 10)
		if a < 0 {
			continue
		}
		ok++
		if i == 0 {
			first = a
		}
		if a > all {
			all = a
		}
	}
	fmt.Printf("first_ms=%d all_ms=%d ok=%d of=%d each_ms=%s\n", first, all, ok, len(urls), strings.Join(each, ","))
	if ok != len(urls) {
		return 1
	}
	return 0
}
