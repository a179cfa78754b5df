// Shell completion against the real daemon: a running project's services, projects and modes, a file's services, and engines that do not answer.

package e2e

import (
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/backend"
	"github.com/chainctl/chainctl/internal/engine"
)

// completions runs `chainctl __complete args...` with env and returns the
// lines before the directive, descriptions included, and the directive.
func completions(t *testing.T, env []string, args ...string) ([]string, string) {
	t.Helper()
	r := chainctlEnv(t, append([]string{"CHAINCTL_PROJECT="}, env...), append([]string{"__complete"}, args...)...)
	if r.code != 0 {
		t.Fatalf("__complete %q: %s", args, r)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, ":") {
		t.Fatalf("__complete %q: no directive line:\n%s", args, r)
	}
	return lines[:len(lines)-1], last
}

// names drops the descriptions.
func names(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i], _, _ = strings.Cut(l, "\t")
	}
	return out
}

func TestCompletionKnowsTheRunningProject(t *testing.T) {
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))

	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"-p", p, "break", ""}, []string{"a", "b", "c"}},
		{[]string{"break", "-p", p, "a", ""}, []string{"b", "c"}},
		{[]string{"heal", "-p", p, "c"}, []string{"c"}},
		{[]string{"logs", "-p", p, ""}, []string{"a", "b", "c"}},
		{[]string{"partition", "-p", p, "a,"}, []string{"a,b", "a,c"}},
		{[]string{"break", "-p", p, "c", "--mode", ""}, engine.ModeNames(backend.Modes(engine.KindDocker))},
	} {
		got, dir := completions(t, nil, c.args...)
		if !slices.Equal(names(got), c.want) || dir != ":4" {
			t.Errorf("__complete %q = %q %s, want %q :4", c.args, got, dir, c.want)
		}
	}

	got, _ := completions(t, nil, "-p", "")
	want := p + "\tdocker, 3 services, running"
	if !slices.Contains(got, want) {
		t.Errorf("__complete -p \"\" = %q, want it to hold %q", got, want)
	}
	got, _ = completions(t, nil, "ps", "--project", p[:len(p)-3])
	if !slices.Equal(names(got), []string{p}) {
		t.Errorf("__complete --project %s = %q, want only %s", p[:len(p)-3], got, p)
	}
}

func TestCompletionReadsTheFileWithoutAProject(t *testing.T) {
	p := newProject(t)
	chain := writeTopology(t, p, fastChain)
	compose := writeTopology(t, p+"-compose", "services:\n  web: {image: chainctl/link:latest}\n  db: {image: chainctl/link:latest}\n")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"break", "-f", chain, ""}, []string{"a", "b", "c"}},
		{[]string{"call", "--file", chain, ""}, []string{"a", "b", "c"}},
		{[]string{"break", "-f", compose, ""}, []string{"db", "web"}},
	} {
		got, dir := completions(t, nil, c.args...)
		if !slices.Equal(names(got), c.want) || dir != ":4" {
			t.Errorf("__complete %q = %q %s, want %q :4", c.args, got, dir, c.want)
		}
	}
	if left := leftovers(p); left != "" {
		t.Errorf("completion created something for %s: %s", p, left)
	}
}

func TestCompletionAgainstAnAbsentOrSilentEngineReturnsNothingPromptly(t *testing.T) {
	needDaemon(t)
	// An engine that accepts connections and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		var held []net.Conn
		for {
			c, err := l.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	for _, host := range []string{"unix:///nonexistent", "tcp://" + l.Addr().String()} {
		for _, args := range [][]string{{"-p", "x", "break", ""}, {"-p", ""}, {"break", "--mode", ""}} {
			start := time.Now()
			r := chainctlEnv(t, []string{"DOCKER_HOST=" + host, "CHAINCTL_PROJECT="}, append([]string{"__complete"}, args...)...)
			took := time.Since(start)
			if r.code != 0 {
				t.Errorf("DOCKER_HOST=%s __complete %q: %s", host, args, r)
			}
			// --mode falls back to every mode; services and projects to nothing.
			want := ":4\n"
			if args[0] == "break" {
				want = strings.Join(backend.ModeNames(), "\n") + "\n:4\n"
			}
			if got := modeNamesOnly(r.stdout); got != want {
				t.Errorf("DOCKER_HOST=%s __complete %q printed %q, want %q", host, args, got, want)
			}
			if strings.Contains(r.stdout+r.stderr, "chainctl:") {
				t.Errorf("DOCKER_HOST=%s __complete %q printed an error: %s", host, args, r)
			}
			if took > 4*time.Second {
				t.Errorf("DOCKER_HOST=%s __complete %q took %s, want at most the 2s completion bound", host, args, took)
			}
		}
	}
}

// modeNamesOnly strips the descriptions from completion output.
func modeNamesOnly(out string) string {
	lines := strings.Split(out, "\n")
	return strings.Join(names(lines), "\n")
}
