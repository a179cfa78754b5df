// Tests of the testdata/invalid-*.yaml fixtures: every problem is located as file:line: path: message, the expected one on its line.

package compose

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chainctl/chainctl/internal/yamlnode"
)

// testEnv is the environment the fixtures are loaded with.
var testEnv = map[string]string{"FROM_PROCESS": "proc", "TAG": "1.27"}

func lookupTestEnv(k string) (string, bool) { v, ok := testEnv[k]; return v, ok }

var (
	wantRE    = regexp.MustCompile(`^# want: (\d+): (.*)$`)
	problemRE = regexp.MustCompile(`^[^:]+:\d+: `)
)

// loadAsCompose loads one file as a compose file whatever its name, as
// the fixtures' names (invalid-*.yaml) would sniff as chainctl's.
func loadAsCompose(t testing.TB, file string) (*Loaded, error) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return loadCompose(context.Background(), []input{{name: file, data: data}}, Options{LookupEnv: lookupTestEnv})
}

// TestInvalidFixtures loads every testdata/invalid-*.yaml. Its first line
// says `# want: LINE: text`: one problem must be on LINE and contain text;
// every problem must read FILE:LINE: ... and be a *yamlnode.Error.
func TestInvalidFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid-*.yaml")
	if len(files) < 60 {
		t.Fatalf("only %d invalid fixtures", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			m := wantRE.FindStringSubmatch(first)
			if m == nil {
				t.Fatalf("fixture lacks a `# want: LINE: text` first line")
			}
			l, err := loadAsCompose(t, f)
			if err == nil || l != nil {
				t.Fatalf("loaded: %v, err = %v", l, err)
			}
			checkLocated(t, err, f)
			prefix, found := fmt.Sprintf("%s:%s: ", f, m[1]), false
			for _, line := range strings.Split(err.Error(), "\n") {
				found = found || strings.HasPrefix(line, prefix) && strings.Contains(line, m[2])
			}
			if !found {
				t.Errorf("want %q at %q, got:\n%v", m[2], prefix, err)
			}
		})
	}
}

// checkLocated asserts that every problem of err is a *yamlnode.Error
// whose message starts FILE:LINE: with FILE one of files.
func checkLocated(t testing.TB, err error, files ...string) {
	t.Helper()
	var e *yamlnode.Error
	if !errors.As(err, &e) {
		t.Errorf("not a *yamlnode.Error: %#v", err)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		ok := problemRE.MatchString(line)
		for _, f := range files {
			ok = ok && strings.HasPrefix(line, f+":") || ok && len(files) > 1
		}
		if !ok {
			t.Errorf("problem not in FILE:LINE: form: %q", line)
		}
	}
}
