// Package chain writes the benchmarks' chain of n link services as a chainctl topology, for the bench and the soak alike.
package chain

import (
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
)

// Image is the link service's image.
const Image = "chainctl/link:latest"

// ServiceName is the name of the chain's i-th service: s000, s001, ...
func ServiceName(i int) string { return fmt.Sprintf("s%03d", i) }

// Probe is the link service's healthcheck every interval, with a 3 s
// timeout, 3 retries and a 30 s start period.
func Probe(interval time.Duration) *container.HealthConfig {
	return &container.HealthConfig{Test: []string{"CMD", "/link", "-health"}, Interval: interval,
		Timeout: 3 * time.Second, Retries: 3, StartPeriod: 30 * time.Second}
}

// Topology is a chain s000 → s001 → ... of n link services, each with a
// named volume and a fixed published port from basePort, in chainctl's
// format. With health false the image's healthcheck is switched off;
// otherwise probe replaces it (nil: the image's own). With ordered, each
// caller also depends_on its callee, so up starts the chain one service
// after another, as a compose file would.
func Topology(project string, n, basePort int, health, ordered bool, probe *container.HealthConfig) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nvolumes:\n", project)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  %s-data: {}\n", ServiceName(i))
	}
	b.WriteString("services:\n")
	for i := 0; i < n; i++ {
		svc := ServiceName(i)
		fmt.Fprintf(&b, "  %s:\n    image: %s\n    ports: [\"127.0.0.1:%d:8080\"]\n    volumes: [\"%s-data:/data\"]\n", svc, Image, basePort+i, svc)
		if i+1 < n {
			fmt.Fprintf(&b, "    calls: [%s]\n", ServiceName(i+1))
			if ordered {
				fmt.Fprintf(&b, "    depends_on: [%s]\n", ServiceName(i+1))
			}
		}
		switch {
		case !health:
			b.WriteString("    healthcheck: {disable: true}\n")
		case probe != nil:
			fmt.Fprintf(&b, "    healthcheck: {test: [CMD, /link, -health], interval: %s, timeout: %s, retries: %d, start_period: %s}\n",
				probe.Interval, probe.Timeout, probe.Retries, probe.StartPeriod)
		}
	}
	return b.String()
}
