// End-to-end load test of the 3-hop chain: no failure, memory and goroutines back down.

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadDuration is 10 s in `make test` and 60 s with CHAINCTL_LOAD_SECONDS=60
// (`make test-long`).
func loadDuration() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("CHAINCTL_LOAD_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 10 * time.Second
}

// goroutines reads the entry's goroutine count from /health?verbose,
// through its published port.
func goroutines(t *testing.T, url string) int {
	t.Helper()
	_, body, err := get(url + "/health?verbose")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Goroutines int `json:"goroutines"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("health?verbose: %v: %s", err, body)
	}
	return v.Goroutines
}

func memoryMiB(t *testing.T, container string) float64 {
	t.Helper()
	out := docker(t, "stats", "--no-stream", "--format", "{{.MemUsage}}", container)
	var v float64
	var unit string
	fmt.Sscanf(strings.Fields(out)[0], "%f%s", &v, &unit)
	switch unit {
	case "KiB":
		v /= 1024
	case "GiB":
		v *= 1024
	}
	return v
}

// TestChainUnderLoad drives the 3-hop chain with 16 concurrent clients on
// loopback for a bounded time: no request may fail, the entry's goroutines
// and memory must come back down afterwards.
func TestChainUnderLoad(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	url := endpoint(t, p, "a")
	callOK(t, p)
	baseGoroutines := goroutines(t, url)
	baseMem := memoryMiB(t, p+"-a-1")

	var ok, failed atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(loadDuration())
	const workers = 16
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				resp, err := client.Get(url + "/")
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("HTTP %d", resp.StatusCode)
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	client.CloseIdleConnections()
	t.Logf("%d requests through a → b → c in %s (%.0f/s), %d failed", ok.Load(), loadDuration(), float64(ok.Load())/loadDuration().Seconds(), failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d requests failed; first: %v", failed.Load(), firstErr.Load())
	}
	// What may stay: the entry's pool of keep-alive connections to b, at
	// most one per concurrent client, two goroutines each (read and write
	// loop). Anything beyond that grows with the request count: a leak.
	limit := baseGoroutines + 2*workers + 4
	eventually(t, 15*time.Second, "goroutines back to idle", func() (bool, string) {
		g := goroutines(t, url)
		return g <= limit, fmt.Sprintf("%d goroutines, %d before the load, limit %d", g, baseGoroutines, limit)
	})
	if mem := memoryMiB(t, p+"-a-1"); mem > baseMem+16 {
		t.Errorf("entry memory grew from %.1f to %.1f MiB", baseMem, mem)
	} else {
		t.Logf("entry memory %.1f MiB before, %.1f MiB after", baseMem, mem)
	}
}

// TestSlowClientIsCutOff: a client that sends half a request line and
// stalls is disconnected by the link's header timeout.
func TestSlowClientIsCutOff(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, "name: PROJECT\nservices:\n  a: {image: chainctl/link:latest, ports: [\"8080\"]}\n"))
	addr := strings.TrimPrefix(endpoint(t, p, "a"), "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = io.ReadAll(conn) // returns when the server closes the connection
	if took := time.Since(start); err != nil || took > 10*time.Second {
		t.Errorf("slow client held the connection %s (err %v), want it cut after the 5 s header timeout", took, err)
	}
}
