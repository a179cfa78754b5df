// The wrk load generator: picking it when it is installed, running it, and reading its --latency report.

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Load generators: wrk when it is installed (`apt-get install wrk`; C, so
// it takes less of the CPU the chain shares with it), else the closed loop
// in load.go.
const (
	genWrk = "wrk"
	genGo  = "go"
)

// pickGenerator resolves -gen auto to wrk when it is on PATH.
func pickGenerator(flag string) (string, error) {
	switch flag {
	case "auto":
		if _, err := exec.LookPath("wrk"); err == nil {
			return genWrk, nil
		}
		return genGo, nil
	case genGo:
		return genGo, nil
	case genWrk:
		if _, err := exec.LookPath("wrk"); err != nil {
			return "", fmt.Errorf("-gen wrk: %w (install it with: apt-get install wrk)", err)
		}
		return genWrk, nil
	}
	return "", fmt.Errorf("-gen %q: want auto, wrk or go", flag)
}

// loadWrk runs wrk on url with clients connections: warmup (not
// recorded), then window, with snap at both ends of the window. wrk's own
// CPU is counted in the load generator's group.
func loadWrk(ctx context.Context, url string, clients int, warmup, window time.Duration, snap func() cpuSnapshot) (result, error) {
	threads := min(clients, 2)
	run := func(d time.Duration) (string, float64, error) {
		cmd := exec.CommandContext(ctx, "wrk", "-t", strconv.Itoa(threads), "-c", strconv.Itoa(clients),
			"-d", wrkSeconds(d), "--timeout", "10s", "--latency", url)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return "", 0, fmt.Errorf("wrk: %w: %s", err, strings.TrimSpace(stderr.String()+" "+stdout.String()))
		}
		cpu := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
		return stdout.String(), cpu, nil
	}
	if _, _, err := run(warmup); err != nil {
		return result{}, err
	}
	before := snap()
	t0 := time.Now()
	out, cpu, err := run(window)
	if err != nil {
		return result{}, err
	}
	res, err := parseWrk(out)
	if err != nil {
		return result{}, err
	}
	res.cpu = snap().sub(before)
	res.cpu.group["load generator"] += cpu
	if res.elapsed <= 0 {
		res.elapsed = time.Since(t0)
	}
	res.connections = int64(clients)
	return res, nil
}

// wrkSeconds is d for wrk's -d, which takes whole seconds (at least 1).
func wrkSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second))) + "s"
}

// parseWrk reads wrk --latency's report: "N requests in 10.00s", the
// latency distribution, "Non-2xx or 3xx responses: N" and socket errors.
func parseWrk(out string) (result, error) {
	var r result
	var sawRequests bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 4 && f[1] == "requests" && f[2] == "in":
			n, err := strconv.Atoi(f[0])
			if err != nil {
				return r, fmt.Errorf("wrk: %q: %w", sc.Text(), err)
			}
			r.requests, sawRequests = n, true
			r.elapsed, _ = wrkDuration(strings.TrimSuffix(f[3], ","))
		case len(f) == 2 && (f[0] == "50%" || f[0] == "90%" || f[0] == "99%"):
			d, err := wrkDuration(f[1])
			if err != nil {
				return r, err
			}
			switch f[0] {
			case "50%":
				r.p50 = d
			case "90%":
				r.p90 = d
			case "99%":
				r.p99 = d
			}
		case strings.HasPrefix(strings.TrimSpace(sc.Text()), "Non-2xx or 3xx responses:"):
			n, _ := strconv.Atoi(f[len(f)-1])
			r.errors += n
			if r.firstErr == "" {
				r.firstErr = strings.TrimSpace(sc.Text())
			}
		case len(f) > 2 && f[0] == "Socket" && f[1] == "errors:":
			// Socket errors: connect 0, read 0, write 0, timeout 0
			for i := 2; i+1 < len(f); i += 2 {
				n, _ := strconv.Atoi(strings.TrimSuffix(f[i+1], ","))
				r.errors += n
			}
			if r.firstErr == "" {
				r.firstErr = strings.TrimSpace(sc.Text())
			}
		}
	}
	if !sawRequests {
		return r, fmt.Errorf("wrk: no request count in its output:\n%s", out)
	}
	return r, nil
}

// wrkDuration reads wrk's times: 812.00us, 1.23ms, 2.01s, 1.00m.
func wrkDuration(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("wrk duration %q: %w", s, err)
			}
			return time.Duration(v * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("wrk duration %q: unknown unit", s)
}
