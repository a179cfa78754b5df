// Tests of the graph verb, in-process: the mermaid and dot of the example topologies against golden files, and its usage errors.

package app

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of the graph tests")

// runGraphVerb runs `chainctl graph args...` through the root command,
// registering the verb when the root does not have it yet.
func runGraphVerb(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{env: readEnv(), stdout: &out, stderr: &errb}
	root := newRootCmd(g)
	if c, _, ferr := root.Find([]string{"graph"}); ferr != nil || c == root {
		cmd := newGraphCmd(g)
		addFileFlag(cmd, g)
		root.AddCommand(cmd)
	}
	root.SetArgs(append([]string{"graph"}, args...))
	root.SetOut(&out)
	root.SetErr(&errb)
	err = root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// golden compares got with testdata/graph/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "graph", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGraphGolden -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestGraphGolden(t *testing.T) {
	t.Setenv("SHOP_PORT", "8090")
	files := map[string]string{
		"abc":     filepath.Join("..", "..", "..", "topologies", "abc.yaml"),
		"diamond": filepath.Join("..", "..", "..", "topologies", "diamond.yaml"),
		// A compose file: x-chainctl calls, depends_on with a condition, two networks.
		"shop": filepath.Join("..", "..", "..", "examples", "shop", "compose.yaml"),
	}
	for _, topo := range []string{"abc", "diamond", "shop"} {
		for _, format := range []string{"mermaid", "dot"} {
			t.Run(topo+"-"+format, func(t *testing.T) {
				file := files[topo]
				out, stderr, err := runGraphVerb(t, "--offline", "--format", format, file)
				if err != nil {
					t.Fatalf("graph: %v\n%s", err, stderr)
				}
				golden(t, topo+"."+format+".golden", out)
				// -f FILE draws the same.
				again, _, err := runGraphVerb(t, "--offline", "--format", format, "-f", file)
				if err != nil || again != out {
					t.Errorf("graph -f %s differs from graph %s (err %v)", file, file, err)
				}
			})
		}
	}
}

func TestGraphUsageErrors(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	file := filepath.Join("..", "..", "..", "topologies", "abc.yaml")
	for _, args := range [][]string{
		{"--format", "png", file},
		{"--offline", "-p", "someproject"},
	} {
		_, _, err := runGraphVerb(t, args...)
		var ue errUsage
		if !errors.As(err, &ue) {
			t.Errorf("graph %s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}
	// An engine that cannot answer: the file's graph is still drawn, with a warning.
	out, stderr, err := runGraphVerb(t, "--format", "dot", file)
	if err != nil || !strings.Contains(out, `"a" -> "b";`) || !strings.Contains(stderr, "no live state of project abc") {
		t.Errorf("graph without an engine: err %v, stdout %q, stderr %q", err, out, stderr)
	}
}
