// The lab: the network and link containers of one run, made, inspected and removed through the docker CLI.

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// benchLabel marks everything this tool creates; its value is unique per
// run, so cleanup removes this run's resources and nothing else.
const benchLabel = "io.chainctl.bench"

// docker runs the docker CLI (a bench tool may shell out; product code
// talks to the Engine API) and returns its trimmed stdout.
func docker(ctx context.Context, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// lab is one run's resources: a network and the link containers on it.
type lab struct {
	id      string // linkload-<random>, the label value and the name prefix
	image   string
	network string
	env     []string // KEY=VALUE for every link container (-env)
}

func newLab(image string) (*lab, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	id := "linkload-" + hex.EncodeToString(b)
	return &lab{id: id, image: image, network: id + "-net"}, nil
}

func (l *lab) label() string          { return benchLabel + "=" + l.id }
func (l *lab) name(svc string) string { return l.id + "-" + svc }

func (l *lab) createNetwork(ctx context.Context) error {
	_, err := docker(ctx, "network", "create", "--driver", "bridge", "--label", l.label(), l.network)
	return err
}

// runLink starts one link container with the alias svc. Healthchecks are
// off: the image's probe (an exec every 2 s in every container) is engine
// work that would land in the measurement as noise.
func (l *lab) runLink(ctx context.Context, svc, next string, publish bool) error {
	args := []string{"run", "-d", "--name", l.name(svc), "--label", l.label(),
		"--network", l.network, "--network-alias", svc,
		"--no-healthcheck",
		"-e", "CHAINCTL_SERVICE=" + svc}
	if next != "" {
		args = append(args, "-e", "NEXT="+next)
	}
	for _, e := range l.env {
		args = append(args, "-e", e)
	}
	if publish {
		args = append(args, "-p", "127.0.0.1::8080")
	}
	_, err := docker(ctx, append(args, l.image)...)
	return err
}

// hostURL is the base URL of svc's published 8080, on loopback.
func (l *lab) hostURL(ctx context.Context, svc string) (string, error) {
	out, err := docker(ctx, "port", l.name(svc), "8080/tcp")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if host, port, err := net.SplitHostPort(line); err == nil && net.ParseIP(host).To4() != nil {
			return "http://" + net.JoinHostPort(host, port), nil
		}
	}
	return "", fmt.Errorf("%s: no IPv4 binding of 8080/tcp in %q", l.name(svc), out)
}

// inspect returns svc's container ID and the host PID of its link process
// (PID 1 in the container) as the host sees them.
func (l *lab) inspect(ctx context.Context, svc string) (id string, pid int, err error) {
	out, err := docker(ctx, "inspect", "--format", "{{.Id}} {{.State.Pid}}", l.name(svc))
	if err != nil {
		return "", 0, err
	}
	f := strings.Fields(out)
	if len(f) != 2 {
		return "", 0, fmt.Errorf("inspect %s: unexpected %q", l.name(svc), out)
	}
	pid, err = strconv.Atoi(f[1])
	return f[0], pid, err
}

// memUsage is what `docker stats` shows as the container's memory use.
func (l *lab) memUsage(ctx context.Context, svc string) (float64, error) {
	out, err := docker(ctx, "stats", "--no-stream", "--format", "{{.MemUsage}}", l.name(svc))
	if err != nil {
		return 0, err
	}
	used, _, _ := strings.Cut(out, "/")
	return parseBytes(strings.TrimSpace(used))
}

// parseBytes reads docker's human sizes: 3.2MiB, 812KiB, 1.1GiB, 4kB, 12B.
func parseBytes(s string) (float64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
	}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil {
				return 0, fmt.Errorf("memory %q: %w", s, err)
			}
			return v * u.mult, nil
		}
	}
	return 0, fmt.Errorf("memory %q: unknown unit", s)
}

// cleanup removes every container and network carrying this run's label,
// and only those. It runs on a fresh context: it must work after Ctrl-C.
func (l *lab) cleanup() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	ids, err := docker(ctx, "ps", "-aq", "--filter", "label="+l.label())
	if err != nil {
		errs = append(errs, err)
	} else if ids != "" {
		if _, err := docker(ctx, append([]string{"rm", "-f", "-v"}, strings.Fields(ids)...)...); err != nil {
			errs = append(errs, err)
		}
	}
	nets, err := docker(ctx, "network", "ls", "-q", "--filter", "label="+l.label())
	if err != nil {
		errs = append(errs, err)
	} else if nets != "" {
		if _, err := docker(ctx, append([]string{"network", "rm"}, strings.Fields(nets)...)...); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cleanup of %s: %w\nremove what is left with: docker rm -f $(docker ps -aq --filter label=%s); docker network rm $(docker network ls -q --filter label=%s)",
			l.id, err, l.label(), l.label())
	}
	return nil
}

// waitChain polls base/?format=json until it answers 200 with the path
// want (x1, or a → b → c), or the deadline passes; the error says what
// was last seen.
func waitChain(ctx context.Context, base string, want []string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := "no answer yet"
	for {
		got, err := probePath(ctx, client, base)
		switch {
		case err != nil:
			last = err.Error()
		case strings.Join(got, " → ") == strings.Join(want, " → "):
			return nil
		default:
			last = fmt.Sprintf("path %s, want %s", strings.Join(got, " → "), strings.Join(want, " → "))
		}
		select {
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
				return fmt.Errorf("%s not ready after %s: last seen: %s", base, timeout, last)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// probePath fetches the chain tree and returns the services along it.
func probePath(ctx context.Context, client *http.Client, base string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/?format=json", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	type node struct {
		Service string  `json:"service"`
		Calls   []*node `json:"calls"`
	}
	var n node
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("tree: %w", err)
	}
	var path []string
	for p := &n; p != nil; {
		path = append(path, p.Service)
		if len(p.Calls) == 0 {
			break
		}
		p = p.Calls[0]
	}
	return path, nil
}

// commandLine is one line of output of a command, or "unknown".
func commandLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func warnf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "linkload: "+format+"\n", args...)
}
