// Unit test of what each group of a partition blocks.

package netfault

import (
	"fmt"
	"net/netip"
	"testing"
)

func TestBlocks(t *testing.T) {
	ip := map[string]netip.Addr{"a": netip.MustParseAddr("10.0.0.1"), "b": netip.MustParseAddr("10.0.0.2"), "c": netip.MustParseAddr("10.0.0.3")}
	addrs := func(svcs []string) []netip.Addr {
		var out []netip.Addr
		for _, s := range svcs {
			out = append(out, ip[s])
		}
		return out
	}
	groups := [][]string{{"a", "b"}, {"c"}}
	if got := fmt.Sprint(Blocks(groups, false, addrs)); got != "[[10.0.0.3] [10.0.0.1 10.0.0.2]]" {
		t.Errorf("two ways: %s", got)
	}
	if got := fmt.Sprint(Blocks(groups, true, addrs)); got != "[[10.0.0.3] []]" {
		t.Errorf("one way: %s (the last group blocks nothing: the others cut it off)", got)
	}
}
