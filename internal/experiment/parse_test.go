// Tests of Parse over testdata/valid-*.yaml and testdata/invalid-*.yaml, of Load, and a fuzz target.

package experiment

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/yamlnode"
)

// problemRE is how every problem starts.
var problemRE = regexp.MustCompile(`^[^:]+:\d+: `)

// testEnv is the environment every fixture is parsed with.
var testEnv = map[string]string{"RATE": "50/s"}

func lookupTestEnv(k string) (string, bool) { v, ok := testEnv[k]; return v, ok }

// wants reads a fixture's expected problems: the `# want: LINE: PATH:
// MESSAGE` lines of its leading comments, each a whole problem without
// the file name.
func wants(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		if w, ok := strings.CutPrefix(line, "# want: "); ok {
			out = append(out, w)
		}
	}
	return out
}

// TestInvalidFixtures: every problem of each testdata/invalid-*.yaml is
// exactly one of its `# want:` lines, in order, and nothing else.
func TestInvalidFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid-*.yaml")
	if len(files) < 20 {
		t.Fatalf("only %d invalid fixtures", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := wants(data)
			if len(want) == 0 {
				t.Fatal("fixture lacks `# want: LINE: PATH: MESSAGE` lines")
			}
			e, err := Parse(data, f, lookupTestEnv)
			if err == nil || e != nil {
				t.Fatalf("parsed: e = %v, err = %v", e, err)
			}
			var ye *yamlnode.Error
			if !errors.As(err, &ye) || ye.File != f {
				t.Errorf("not a *yamlnode.Error for %s: %#v", f, err)
			}
			for i := range want {
				want[i] = f + ":" + want[i]
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func absPath(t *testing.T, path string) string {
	t.Helper()
	a, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// validChecks holds what each testdata/valid-*.yaml must parse to.
var validChecks = map[string]func(t *testing.T) *Experiment{
	"valid-example.yaml": func(t *testing.T) *Experiment {
		return &Experiment{
			Name: "c-dies", File: "testdata/valid-example.yaml", Topology: absPath(t, "../../topologies/abc.yaml"),
			Load: LoadSpec{Entry: "a", Rate: 200, Timeout: 2 * time.Second, Line: 7},
			SteadyState: []Check{
				{Text: "success_ratio >= 99%", Metric: MetricSuccessRatio, Op: ">=", Value: 0.99, Line: 11},
				{Text: "p99 <= 50ms", Metric: MetricP99, Op: "<=", Value: 50, During: true, Line: 12},
			},
			Method: []Step{
				{Line: 14, At: 5 * time.Second, For: 10 * time.Second, Break: "c", Mode: "kill"},
				{Line: 18, At: 25 * time.Second, For: 5 * time.Second, Break: "b", Mode: "delay", Delay: 200 * time.Millisecond},
				{Line: 23, At: 15 * time.Second, For: 3 * time.Second, Partition: [][]string{{"a", "b"}, {"c"}}},
				{Line: 26, At: 30 * time.Second, For: 4 * time.Second, Random: &Random{
					Services: []string{"b", "c"}, Modes: []string{"kill", "pause", "delay"}, Count: 3, Every: 8 * time.Second}},
			},
			Duration: 55 * time.Second, Settle: 3 * time.Second,
		}
	},
	"valid-minimal.yaml": func(t *testing.T) *Experiment {
		return &Experiment{
			Name: "minimal", File: "testdata/valid-minimal.yaml", Project: "abc",
			Load:        LoadSpec{URL: "http://127.0.0.1:8080/", Rate: 10, Timeout: DefaultTimeout, Line: 4},
			SteadyState: []Check{{Text: "success_ratio >= 95%", Metric: MetricSuccessRatio, Op: ">=", Value: 0.95, Line: 5}},
			Method:      []Step{{Line: 7, At: time.Second, For: 2 * time.Second, Break: "c", Mode: "kill"}},
			Duration:    10 * time.Second, Settle: DefaultSettle,
		}
	},
	"valid-forms.yaml": func(t *testing.T) *Experiment {
		ms := time.Millisecond
		return &Experiment{
			Name: "forms.v2", File: "testdata/valid-forms.yaml", Topology: "/srv/chainctl/abc.yaml",
			Load: LoadSpec{Entry: "a", Rate: 50, Timeout: 500 * ms, Line: 7},
			SteadyState: []Check{
				{Text: "p50 < 20ms", Metric: MetricP50, Op: "<", Value: 20, Line: 11},
				{Text: "p95<=1.5s", Metric: MetricP95, Op: "<=", Value: 1500, Line: 12},
				{Text: "success_ratio > 99.5%", Metric: MetricSuccessRatio, Op: ">", Value: 0.995, Line: 13},
				{Text: "p99 <= 250ms", Metric: MetricP99, Op: "<=", Value: 250, During: true, Line: 15},
			},
			Method: []Step{
				{Line: 17, For: time.Second, Break: "b/2", Mode: "kill", Signal: "SIGTERM"},
				{Line: 18, For: 2 * time.Second, Break: "b/1", Mode: "delay", Delay: 100 * ms, Jitter: 20 * ms,
					Loss: "5%", From: []string{"a"}, Direction: "in"},
				{Line: 25, At: 2 * time.Second, For: time.Second, Break: "c", Mode: "rate", Rate: "512kbps", From: []string{"a", "b"}},
				{Line: 26, At: 3 * time.Second, For: time.Second, Break: "c", Mode: "blackhole", Direction: "out"},
				{Line: 27, At: 5 * time.Second, For: time.Second, Partition: [][]string{{"a"}, {"b", "c"}}, OneWay: true},
				{Line: 28, At: 6 * time.Second, For: 2 * time.Second, Loss: "10%", Random: &Random{
					Services: []string{"b", "c/1"}, Modes: []string{"loss", "rate", "restart"}, Count: 4, Every: 5 * time.Second}},
			},
			Duration: 40 * time.Second, Settle: 10 * time.Second,
		}
	},
}

func TestValidFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid-*.yaml")
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			want := validChecks[filepath.Base(f)]
			if want == nil {
				t.Fatal("no entry in validChecks")
			}
			e, err := Load(f, lookupTestEnv)
			if err != nil {
				t.Fatal(err)
			}
			if w := want(t); !reflect.DeepEqual(e, w) {
				t.Errorf("got  %s\nwant %s", dump(e), dump(w))
			}
			checkRoundTrip(t, e)
			for seed := int64(0); seed < 20; seed++ {
				if _, err := Plan(e, seed); err != nil {
					t.Fatalf("Plan(seed %d): %v", seed, err)
				}
			}
		})
	}
}

// checkRoundTrip: the journal stores the experiment as JSON.
func checkRoundTrip(t *testing.T, e *Experiment) {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var back Experiment
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, e) {
		t.Errorf("JSON round trip differs:\n got %s\nwant %s", dump(&back), dump(e))
	}
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestAllProblemsAtOnce(t *testing.T) {
	src := "name: x\nproject: abc\nbogus: 1\nload: {entry: a, rate: 0}\nsteady_state: [p99 <= 5%]\n" +
		"method: [{at: 1s, break: c, mode: kill, delay: 1s, for: 1s}, {at: 9s, break: b, for: 5s}]\nduration: 10s\n"
	_, err := Parse([]byte(src), "multi.yaml", nil)
	want := []string{
		`multi.yaml:3: bogus: unknown field "bogus" (known: duration, load, method, name, project, settle, steady_state, topology)`,
		`multi.yaml:4: load.rate: "0": want a rate above 0`,
		`multi.yaml:5: steady_state[0]: "p99 <= 5%": p99 is a latency: want a duration such as 50ms, got the percentage 5%`,
		`multi.yaml:6: method[0].delay: delay goes with a network mode (delay, loss, rate, blackhole, reset), not mode kill`,
		`multi.yaml:6: method[1].for: the fault ends at 14s (at 9s + for 5s), after the run (duration 10s)`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load("testdata/no-such-file.yaml", nil); err == nil || !strings.HasPrefix(err.Error(), "read experiment: ") {
		t.Errorf("err = %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, []byte("#"+strings.Repeat("x", MaxFileBytes+10)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big, nil); err == nil || err.Error() != big+":1: file is larger than 1048576 bytes, the limit: refused" {
		t.Errorf("err = %v", err)
	}
}

// FuzzParse: Parse never panics; an error is only FILE:LINE: problems;
// an accepted experiment plans for any seed and round-trips as JSON.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse(data, "fuzz.yaml", lookupTestEnv)
		if err != nil {
			if e != nil {
				t.Fatal("an experiment and an error")
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml:") || !problemRE.MatchString(line) {
					t.Fatalf("problem not in FILE:LINE: form: %q", line)
				}
			}
			return
		}
		if e.Duration <= 0 || len(e.Method) == 0 || len(e.SteadyState) == 0 || (e.Topology == "") == (e.Project == "") {
			t.Fatalf("accepted an incomplete experiment: %s", dump(e))
		}
		if e.MethodEnd() > e.Duration {
			t.Fatalf("a fault beyond the run: %s", dump(e))
		}
		for seed := int64(0); seed < 3; seed++ {
			if _, err := Plan(e, seed); err != nil {
				t.Fatalf("accepted, but Plan fails: %v\n%s", err, data)
			}
		}
		if _, err := json.Marshal(e); err != nil {
			t.Fatal(err)
		}
	})
}
