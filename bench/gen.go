// Generated inputs: the same chain of n link services as a chainctl topology and as a compose file.

package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/bench/chain"
)

// chainCompose is the same chain as a compose file, with depends_on along
// the chain (compose has no edge that orders nothing, and this is how
// compose users write a chain).
func chainCompose(n, basePort int) string {
	var b strings.Builder
	b.WriteString("version: \"3.7\"\nservices:\n")
	for i := 0; i < n; i++ {
		svc := serviceName(i)
		fmt.Fprintf(&b, "  %s:\n    image: %s\n    ports: [\"127.0.0.1:%d:8080\"]\n    volumes: [\"%s-data:/data\"]\n    environment: {CHAINCTL_SERVICE: %s",
			svc, linkImage, basePort+i, svc, svc)
		if i+1 < n {
			fmt.Fprintf(&b, ", NEXT: \"%s:8080\"}\n    depends_on: [%s]\n", serviceName(i+1), serviceName(i+1))
		} else {
			b.WriteString("}\n")
		}
	}
	b.WriteString("volumes:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  %s-data: {}\n", serviceName(i))
	}
	return b.String()
}

// scaleFrom is the chain length from which the health runs probe less
// often than the image does. The image probes every 2 s: 200 containers
// make that 100 execs a second, more than dockerd 20.10 on 2 cores runs
// (measured: probes time out and flap for minutes, for chainctl and the
// floor alike), so from N = 100 the chainctl topology and the floor both
// set the probe below, as a compose file of that size would.
const scaleFrom = 100

// scaleProbe is the healthcheck of an n-service health run: nil (the
// image's own) below scaleFrom.
func scaleProbe(n int) *container.HealthConfig {
	if n < scaleFrom {
		return nil
	}
	return chain.Probe(10 * time.Second)
}
