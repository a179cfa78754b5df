// Tests of the limits (services, alias bombs, file size), of Load, of YAML syntax errors' lines, with fuzzing and benchmarks.

package topology

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chainSource is a chain s0 -> s1 -> ... of n services.
func chainSource(n int) string {
	var b strings.Builder
	b.WriteString("name: big\nservices:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  s%d:\n    image: chainctl/link:latest\n    ports: [\"8080\"]\n    environment: {ROLE: hop}\n", i)
		if i+1 < n {
			fmt.Fprintf(&b, "    calls: [s%d]\n", i+1)
		}
	}
	return b.String()
}

func TestMaxServicesLoadFast(t *testing.T) {
	src := chainSource(MaxServices)
	start := time.Now()
	top, err := Parse([]byte(src), "big.yaml", nil)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	levels := top.Levels()
	if len(top.Services) != MaxServices || len(levels) != MaxServices {
		t.Errorf("%d services in %d levels", len(top.Services), len(levels))
	}
	if got := len(top.Callers(fmt.Sprintf("s%d", MaxServices-1))); got != MaxServices-1 {
		t.Errorf("%d callers of the last hop", got)
	}
	t.Logf("%d services parsed in %s", MaxServices, elapsed)
	if elapsed > time.Second {
		t.Errorf("%d services took %s to parse", MaxServices, elapsed)
	}
	tooMany := src + "  extra: {image: x}\n"
	if _, err := Parse([]byte(tooMany), "big.yaml", nil); err == nil || !strings.Contains(err.Error(), "big.yaml:3: services: 1001 services: the limit is 1000") {
		t.Errorf("1001 services: err = %v", err)
	}
}

// TestAliasBomb: a billion-laughs document is refused quickly, without
// expanding it.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "x-%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("services:\n  a:\n    image: x\n    command: *a9\n")
	start := time.Now()
	_, err := Parse([]byte(b.String()), "bomb.yaml", nil)
	if err == nil || !strings.Contains(err.Error(), "bomb.yaml:1: the document has more than 200000 nodes once YAML aliases are expanded") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusing took %s", d)
	}
}

func TestFileSizeLimit(t *testing.T) {
	huge := "services:\n  a: {image: x}\n#" + strings.Repeat("x", MaxFileBytes) + "\n"
	want := "huge.yaml:1: file is larger than 1048576 bytes, the limit: refused"
	if _, err := Parse([]byte(huge), "huge.yaml", nil); err == nil || err.Error() != want {
		t.Errorf("Parse: err = %v", err)
	}
	path := filepath.Join(t.TempDir(), "huge.yaml")
	if err := os.WriteFile(path, []byte(huge+strings.Repeat("#\n", MaxFileBytes)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, nil); err == nil || !strings.Contains(err.Error(), "the limit: refused") {
		t.Errorf("Load: err = %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), nil); err == nil || !strings.Contains(err.Error(), "read topology") {
		t.Errorf("Load of a missing file: err = %v", err)
	}
}

func TestLoadUsesTheLookupItIsGiven(t *testing.T) {
	env := func(k string) (string, bool) {
		if k == "CHAINCTL_TEST_IMAGE" {
			return "from-lookup", true
		}
		return "", false
	}
	path := filepath.Join(t.TempDir(), "Env Test.yaml")
	if err := os.WriteFile(path, []byte("services:\n  a: {image: $CHAINCTL_TEST_IMAGE}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	top, err := Load(path, env)
	if err != nil {
		t.Fatal(err)
	}
	if top.Services["a"].Image != "from-lookup" || top.Name != "envtest" || top.File != path {
		t.Errorf("top = %s", dump(top))
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	abc, _ := filepath.Glob("../../topologies/*.yaml")
	for _, file := range append(files, abc...) {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		top, err := Parse(data, "fuzz.yaml", lookupTestEnv)
		if err != nil {
			if top != nil {
				t.Fatal("a topology and an error")
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml:") || !problemRE.MatchString(line) {
					t.Fatalf("problem not in FILE:LINE: form: %q", line)
				}
			}
			return
		}
		for _, lv := range top.Levels() {
			for _, name := range lv {
				_ = top.Callers(name)
			}
		}
		if len(top.cycles()) > 0 {
			t.Fatal("a cycle was accepted")
		}
		if _, err := json.Marshal(top); err != nil {
			t.Fatalf("json: %v", err)
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	abc, err := os.ReadFile("../../topologies/abc.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString("services:\n")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&sb, "  s%d: {image: x, ports: [\"%d:8080\"], environment: {K: v}, calls: [s%d]}\n", i, 20000+i, (i+1)%100+100*(i/99))
	}
	for _, bc := range []struct {
		name string
		data []byte
	}{
		{"abc", abc},
		{"100-services", []byte(strings.Replace(sb.String(), "calls: [s100]", "calls: []", 1))},
		{"1000-services", []byte(chainSource(MaxServices))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.data)))
			for b.Loop() {
				if _, err := Parse(bc.data, "bench.yaml", nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestYAMLSyntaxLines: yaml.v3 counts some lines from 0 and names none
// for others; the problems must still point at the right line.
func TestYAMLSyntaxLines(t *testing.T) {
	cases := []struct{ src, want string }{
		{"services: [\n", "y.yaml:2: invalid YAML: did not find expected node content"},
		{"services:\n  a:\n    image: [x\n", "y.yaml:3: invalid YAML: did not find expected ',' or ']'"},
		{"services:\n  a: {image: x\n  b: 1\n", "y.yaml:2: invalid YAML: did not find expected ',' or '}'"},
		{"services:\n  a:\n\timage: x\n", "y.yaml:3: invalid YAML: found character that cannot start any token"},
		{"services:\n  a: {image: x}\n  b: *nope\n", "y.yaml:3: invalid YAML: unknown anchor 'nope' referenced"},
		{"a: b: c\n", "y.yaml:1: invalid YAML: mapping values are not allowed in this context"},
		{"services:\n  a: {image: x}\n\xff\n", "y.yaml:3: invalid UTF-8"},
		{"services: {}\n---\nservices:\n", "y.yaml:3: a second YAML document"},
		{"---\n", "y.yaml:1: empty file"},
		{"[a, b]\n", "y.yaml:1: want a mapping, got a list"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.src), "y.yaml", nil)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want %q", c.src, err, c.want)
		}
	}
	// Trailing empty documents are harmless.
	if _, err := Parse([]byte("services: {a: {image: x}}\n---\n"), "y.yaml", nil); err != nil {
		t.Errorf("trailing ---: %v", err)
	}
}
