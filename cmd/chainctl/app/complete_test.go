// Tests of shell completion through cobra's __complete, in-process: flag values, files, a file's services, and an absent engine.

package app

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/backend"
	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/export"
	"github.com/chainctl/chainctl/internal/progress"
)

// complete runs `chainctl __complete args...` and returns the choices
// (without their descriptions) and the directive line (":4").
func complete(t *testing.T, args ...string) (choices []string, directive string) {
	t.Helper()
	r := run(context.Background(), append([]string{"__complete"}, args...)...)
	if r.code != 0 {
		t.Fatalf("__complete %q: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	directive = lines[len(lines)-1]
	if !strings.HasPrefix(directive, ":") {
		t.Fatalf("__complete %q: no directive line at the end:\n%s", args, r.stdout)
	}
	for _, l := range lines[:len(lines)-1] {
		name, _, _ := strings.Cut(l, "\t")
		choices = append(choices, name)
	}
	return choices, directive
}

// noEngine points the client at a socket that does not exist.
func noEngine(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	t.Setenv("CHAINCTL_PROJECT", "")
}

func TestCompletionOfFixedFlagValues(t *testing.T) {
	noEngine(t)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--progress", ""}, progress.Modes},
		{[]string{"ps", "--progress", ""}, progress.Modes},
		{[]string{"up", "--pull", ""}, []string{engine.PullAlways, engine.PullMissing, engine.PullNever}},
		{[]string{"up", "--engine", ""}, engine.Kinds},
		{[]string{"export", "--format", ""}, export.Formats},
		{[]string{"break", "c", "--direction", ""}, []string{"in", "out", "both"}},
		{[]string{"completion", ""}, []string{"bash", "fish", "powershell", "zsh"}},
	}
	for _, c := range cases {
		got, dir := complete(t, c.args...)
		if !slices.Equal(got, c.want) || dir != ":4" {
			t.Errorf("__complete %q = %q %s, want %q :4 (no files)", c.args, got, dir, c.want)
		}
	}
}

func TestCompletionOfModesWithoutTheEngineOffersEveryMode(t *testing.T) {
	noEngine(t)
	start := time.Now()
	got, dir := complete(t, "break", "-p", "nowhere", "--mode", "")
	if !slices.Equal(got, backend.ModeNames()) || dir != ":4" {
		t.Errorf("--mode = %q %s, want every backend's modes %q :4", got, dir, backend.ModeNames())
	}
	if d := time.Since(start); d > completeTimeout+time.Second {
		t.Errorf("--mode completion took %s without an engine", d)
	}
}

func TestModeCompletionsFollowTheEngine(t *testing.T) {
	for _, kind := range engine.Kinds {
		var got []string
		for _, c := range modeCompletions(kind) {
			name, help, ok := strings.Cut(c, "\t")
			if !ok || help == "" {
				t.Errorf("%s: mode %q has no description", kind, c)
			}
			got = append(got, name)
		}
		if want := engine.ModeNames(backend.Modes(kind)); !slices.Equal(got, want) {
			t.Errorf("%s modes = %q, want %q", kind, got, want)
		}
	}
	docker := strings.Join(modeCompletions(engine.KindDocker), "\n")
	if strings.Contains(docker, engine.ModeScaleZero+"\t") {
		t.Errorf("docker offers the swarm-only %s:\n%s", engine.ModeScaleZero, docker)
	}
}

func TestCompletionOfFiles(t *testing.T) {
	noEngine(t)
	for _, args := range [][]string{{"up", ""}, {"config", ""}, {"export", ""}, {"up", "-f", ""}, {"ps", "--file", ""}, {"logs", "--file", ""}} {
		got, dir := complete(t, args...)
		if !slices.Equal(got, []string{"yaml", "yml"}) || dir != ":8" {
			t.Errorf("__complete %q = %q %s, want [yaml yml] :8 (files by extension)", args, got, dir)
		}
	}
	if got, dir := complete(t, "up", "abc.yaml", ""); len(got) != 0 || dir != ":4" {
		t.Errorf("up's second argument = %q %s, want nothing :4", got, dir)
	}
}

func TestCompletionOfServicesFromTheFile(t *testing.T) {
	noEngine(t)
	abc := filepath.Join("..", "..", "..", "topologies", "abc.yaml")
	compose := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(compose, []byte("services:\n  web: {image: x}\n  db: {image: y}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"break", "-f", abc, ""}, []string{"a", "b", "c"}},
		{[]string{"break", "-f", abc, "c/1", "a", ""}, []string{"b"}},
		{[]string{"break", "-f", abc, "b"}, []string{"b"}},
		{[]string{"heal", "-f", abc, ""}, []string{"a", "b", "c"}},
		{[]string{"heal", "--partition", "-f", abc, ""}, nil},
		{[]string{"logs", "--file", abc, "-f", ""}, []string{"a", "b", "c"}},
		{[]string{"call", "-f", abc, ""}, []string{"a", "b", "c"}},
		{[]string{"call", "-f", abc, "a", ""}, nil},
		{[]string{"partition", "-f", abc, "a,"}, []string{"a,b", "a,c"}},
		{[]string{"partition", "-f", abc, "a,b", ""}, []string{"c"}},
		{[]string{"break", "-f", abc, "c", "--from", "a,"}, []string{"a,b", "a,c"}},
		{[]string{"break", "-f", compose, ""}, []string{"db", "web"}},
		{[]string{"break", "-f", filepath.Join(t.TempDir(), "missing.yaml"), ""}, nil},
	}
	for _, c := range cases {
		got, dir := complete(t, c.args...)
		if !slices.Equal(got, c.want) || dir != ":4" {
			t.Errorf("__complete %q = %q %s, want %q :4", c.args, got, dir, c.want)
		}
	}
}

func TestCompletionWithoutTheEngineOffersNothingAtOnce(t *testing.T) {
	noEngine(t)
	for _, args := range [][]string{{"-p", ""}, {"break", ""}, {"-p", "x", "logs", ""}, {"partition", "a,"}} {
		start := time.Now()
		r := run(context.Background(), append([]string{"__complete"}, args...)...)
		if r.code != 0 || r.stdout != ":4\n" {
			t.Errorf("__complete %q without an engine: exit %d, stdout %q; want 0 and only \":4\"", args, r.code, r.stdout)
		}
		if strings.Contains(r.stderr, "unreachable") || strings.Contains(r.stderr, "chainctl:") {
			t.Errorf("__complete %q printed an error: %s", args, r.stderr)
		}
		if d := time.Since(start); d > completeTimeout+time.Second {
			t.Errorf("__complete %q took %s without an engine", args, d)
		}
	}
}

func TestCompletionScriptsAreGenerated(t *testing.T) {
	want := map[string]string{"bash": "__start_chainctl", "zsh": "#compdef chainctl", "fish": "complete -c chainctl"}
	for shell, marker := range want {
		r := run(context.Background(), "completion", shell)
		if r.code != 0 || !strings.Contains(r.stdout, marker) {
			t.Errorf("completion %s: exit %d, want a script with %q:\n%.300s%s", shell, r.code, marker, r.stdout, r.stderr)
		}
		if shell != "bash" {
			continue
		}
		check := exec.Command("bash", "-n")
		check.Stdin = strings.NewReader(r.stdout)
		if out, err := check.CombinedOutput(); err != nil {
			t.Errorf("completion bash is not valid bash: %v\n%s", err, out)
		}
	}
}
