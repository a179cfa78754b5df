// Benchmarks of loading: a typical five-service compose file, against chainctl's own loader on its flagship topology.

package compose

import (
	"context"
	"testing"

	"github.com/chainctl/chainctl/internal/topology"
)

func BenchmarkLoadCompose(b *testing.B) {
	o := Options{Files: []string{"testdata/bench/compose.yaml"}, LookupEnv: lookupTestEnv}
	for b.Loop() {
		if _, err := Load(context.Background(), o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadTopology(b *testing.B) {
	for b.Loop() {
		if _, err := topology.Load("../../topologies/abc.yaml", lookupTestEnv); err != nil {
			b.Fatal(err)
		}
	}
}
