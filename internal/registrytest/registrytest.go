// Package registrytest runs a real registry (distribution v3) on a free
// loopback port for tests, built from the Go module proxy with the Go
// build cache, and pushes images to it through the Engine API. The
// engine allows plain HTTP to registries on 127.0.0.0/8. Tests only; no
// product code imports it.
package registrytest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Module is the registry the tests build: `go install Module@Version`.
const (
	Module  = "github.com/distribution/distribution/v3/cmd/registry"
	Version = "v3.1.2"
)

// startTimeout bounds the wait for /v2/ to answer.
const startTimeout = 30 * time.Second

// Registry is one running registry.
type Registry struct {
	Addr     string // 127.0.0.1:port
	User     string // with Options.User: what it accepts
	Password string
}

// Options tune Start.
type Options struct {
	// User and Password, when User is set, turn on htpasswd auth.
	User, Password string
}

var installMu sync.Mutex

// Binary builds the registry once per machine (later builds come from
// the Go build cache and the installed binary) and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	installMu.Lock()
	defer installMu.Unlock()
	dir := filepath.Join(os.TempDir(), "chainctl-registry-"+Version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Test packages run in parallel: one go install at a time.
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	bin := filepath.Join(dir, "registry")
	start := time.Now()
	cmd := exec.Command(goTool(), "install", Module+"@"+Version)
	cmd.Dir = t.TempDir() // outside any module
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOWORK=off", "GOFLAGS=-buildvcs=false", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the test registry (go install %s@%s; it needs the Go module proxy the first time): %v\n%s", Module, Version, err, out)
	}
	t.Logf("registry %s ready in %s", Version, time.Since(start).Round(time.Millisecond))
	return bin
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// Start runs a registry with its storage in a temporary directory and
// stops it when the test ends.
func Start(t testing.TB, o Options) *Registry {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	r := &Registry{User: o.User, Password: o.Password}
	var last string
	for attempt := 0; attempt < 3; attempt++ { // a free port can be taken before the registry binds it
		addr, err := freeAddr()
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := r.writeConfig(dir, addr)
		if err != nil {
			t.Fatal(err)
		}
		ok, out := run(t, bin, cfg, addr, o.User != "")
		if ok {
			r.Addr = addr
			return r
		}
		last = out
	}
	t.Fatalf("the test registry did not start:\n%s", last)
	return nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (r *Registry) writeConfig(dir, addr string) (string, error) {
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
  secret: %s
`, filepath.Join(dir, "data"), addr, hex.EncodeToString(secret))
	if r.User != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(r.Password), bcrypt.MinCost)
		if err != nil {
			return "", err
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(r.User+":"+string(hash)+"\n"), 0o600); err != nil {
			return "", err
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: chainctl-test\n    path: %s\n", htpasswd)
	}
	path := filepath.Join(dir, "config.yml")
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}

// run starts the registry and waits until /v2/ answers (401 with auth);
// on failure it says what the registry printed.
func run(t testing.TB, bin, cfg, addr string, auth bool) (bool, string) {
	var out bytes.Buffer
	cmd := exec.Command(bin, "serve", cfg)
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the test registry: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	want := http.StatusOK
	if auth {
		want = http.StatusUnauthorized
	}
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false, out.String()
		default:
		}
		if resp, err := client.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				t.Cleanup(stop)
				return true, ""
			}
		}
		time.Sleep(50 * time.Millisecond) // polling, under the deadline above
	}
	stop()
	return false, fmt.Sprintf("/v2/ on %s did not answer %d within %s\n%s", addr, want, startTimeout, out.String())
}

// Repo is a repository name of the test's own under the registry:
// Addr/<test name>-<random>.
func (r *Registry) Repo(t testing.TB) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := strings.ToLower(t.Name())
	name = strings.Map(func(c rune) rune {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			return c
		}
		return '-'
	}, name)
	name = strings.Trim(name, "-")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	return r.Addr + "/" + strings.Trim(name, "-") + "-" + hex.EncodeToString(b)
}

// ctx is the deadline of one engine call made here.
func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Minute)
}
