// FuzzLoadCompose: bad compose files never panic, never hang, and fail with located problems only.

package compose

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzLoadCompose(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("testdata/*/*.yaml")
	abc, _ := filepath.Glob("../../topologies/*.yaml")
	for _, file := range append(append(seeds, more...), abc...) {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	dir := f.TempDir()
	name := filepath.Join(dir, "compose.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = IsCompose(name, data)
		l, err := loadCompose(context.Background(), []input{{name: name, data: data}}, Options{LookupEnv: lookupTestEnv})
		if err != nil {
			if l != nil {
				t.Fatal("a project and an error")
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !problemRE.MatchString(line) {
					t.Fatalf("problem not in FILE:LINE: form: %q", line)
				}
			}
			return
		}
		top := l.Topology
		for _, lv := range top.Levels() {
			for _, svc := range lv {
				_ = top.Callers(svc)
				_ = top.NetworksOf(top.Services[svc])
			}
		}
		if _, err := json.Marshal(top); err != nil {
			t.Fatalf("json: %v", err)
		}
	})
}
