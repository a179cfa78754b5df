// The compose export field by field: the rows the Kubernetes export refuses or maps by rule, carried natively.

package export

import (
	"bytes"
	"slices"
	"testing"
)

// composeRow is one topology field and what the compose file holds for it.
type composeRow struct {
	field string
	src   string
	check func(t *testing.T, f *ComposeFile)
}

var composeFields = []composeRow{{
	field: `restart "no" and on-failure:3`, src: `services: {a: {image: x, restart: "no"}, b: {image: x, restart: "on-failure:3"}, c: {image: x}}`,
	check: func(t *testing.T, f *ComposeFile) {
		equal(t, "a restart", svc(t, f, "a").Restart, "no")
		equal(t, "b restart", svc(t, f, "b").Restart, "on-failure:3")
		equal(t, "c restart (compose's default is no, as the docker engine's)", svc(t, f, "c").Restart, "")
	},
}, {
	field: "network.internal, subnet and gateway", src: "name: lab\nnetwork: {internal: true, subnet: 172.30.0.0/24, gateway: 172.30.0.1}\nservices: {a: {image: x}}",
	check: func(t *testing.T, f *ComposeFile) {
		n := f.Networks[ComposeNetworkKey]
		if n.Name != "lab-net" || !n.Internal || n.IPAM == nil || len(n.IPAM.Config) != 1 ||
			n.IPAM.Config[0] != (ComposeSubnet{Subnet: "172.30.0.0/24", Gateway: "172.30.0.1"}) {
			t.Errorf("network %+v", n)
		}
	},
}, {
	field: "ports with and without an address",
	src:   `services: {a: {image: x, ports: ["127.0.0.1:30080:8080", "30081:8081", "[::1]:8443:443", "127.0.0.1::9000", "0.0.0.0:53:53/udp"]}}`,
	check: func(t *testing.T, f *ComposeFile) {
		want := []string{"127.0.0.1:30080:8080/tcp", "127.0.0.1:30081:8081/tcp", "[::1]:8443:443/tcp", "127.0.0.1::9000/tcp", "0.0.0.0:53:53/udp"}
		if got := svc(t, f, "a").Ports; !slices.Equal(got, want) {
			t.Errorf("ports %q, want %q (the implicit address is the topology's 127.0.0.1)", got, want)
		}
	},
}, {
	// Port modes and endpoint_mode are the swarm's: compose 2.4 runs on
	// the docker engine, which ignores them, as `--engine docker` does.
	field: "ports mode host", src: `services: {a: {image: x, endpoint_mode: dnsrr, ports: [{target: 8080, published: 18080, mode: host}]}}`,
	check: func(t *testing.T, f *ComposeFile) {
		if got := svc(t, f, "a").Ports; !slices.Equal(got, []string{"127.0.0.1:18080:8080/tcp"}) {
			t.Errorf("ports %q", got)
		}
	},
}, {
	field: "depends_on", src: `services: {a: {image: x, depends_on: {b: {condition: service_healthy}}, calls: [c]}, b: {image: x}, c: {image: x}, d: {image: x, depends_on: [c]}}`,
	check: func(t *testing.T, f *ComposeFile) {
		if got := deps(svc(t, f, "a")); !mapsEqual(got, map[string]string{"b": "service_healthy", "c": "service_started"}) {
			t.Errorf("a depends_on %v", got)
		}
		if got := deps(svc(t, f, "d")); !mapsEqual(got, map[string]string{"c": "service_started"}) {
			t.Errorf("d depends_on %v", got)
		}
	},
}, {
	field: "volumes driver and labels", src: "name: v\nvolumes: {data: {driver: nfs, labels: {team: chaos}}}\nservices: {a: {image: x, volumes: [\"data:/data:ro\"]}}",
	check: func(t *testing.T, f *ComposeFile) {
		if v := f.Volumes["data"]; v.Name != "v-data" || v.Driver != "nfs" || v.Labels["team"] != "chaos" {
			t.Errorf("volume %+v", v)
		}
		if got := svc(t, f, "a").Volumes; !slices.Equal(got, []string{"data:/data:ro"}) {
			t.Errorf("mounts %q", got)
		}
	},
}, {
	field: "healthcheck without a test", src: `services: {a: {image: x, healthcheck: {interval: 5s, retries: 2}}}`,
	check: func(t *testing.T, f *ComposeFile) {
		if h := svc(t, f, "a").Healthcheck; h == nil || h.Test != nil || h.Interval != "5s" || h.Retries != 2 {
			t.Errorf("healthcheck %+v, want the timings over the image's HEALTHCHECK", h)
		}
	},
}, {
	field: "environment and command with $", src: `services: {a: {image: x, environment: {A: "$(B) $$5"}, command: [echo, "$$HOME"]}}`,
	check: func(t *testing.T, f *ComposeFile) {
		a := svc(t, f, "a")
		equal(t, "A", a.Environment["A"], "$$(B) $$5")
		if !slices.Equal(a.Command, []string{"echo", "$$HOME"}) {
			t.Errorf("command %q", a.Command)
		}
	},
}, {
	field: "security, resources, replicas, grace, labels",
	src:   `services: {a: {image: x, user: "1:2", read_only: true, cap_add: [NET_ADMIN], cap_drop: [ALL], privileged: true, security_opt: [no-new-privileges], resources: {cpus: 1.5, memory: 1g}, replicas: 2, stop_grace_period: 1m, labels: {team: chaos}}}`,
	check: func(t *testing.T, f *ComposeFile) {
		a := svc(t, f, "a")
		if a.User != "1:2" || !a.ReadOnly || !a.Privileged || !slices.Equal(a.CapAdd, []string{"NET_ADMIN"}) || !slices.Equal(a.CapDrop, []string{"ALL"}) ||
			!slices.Equal(a.SecurityOpt, []string{"no-new-privileges"}) || a.CPUs != 1.5 || a.MemLimit != 1<<30 || a.Scale != 2 ||
			a.StopGracePeriod != "1m0s" || a.Labels["team"] != "chaos" {
			t.Errorf("service a %+v", a)
		}
	},
}}

// TestComposeFields: compose carries natively what Kubernetes refuses.
func TestComposeFields(t *testing.T) {
	for _, row := range composeFields {
		t.Run(row.field, func(t *testing.T) {
			tp := parse(t, "fields.yaml", row.src)
			out, err := Compose(tp)
			if err != nil {
				t.Fatal(err)
			}
			if again, _ := Compose(tp); !bytes.Equal(out, again) {
				t.Fatal("two exports of the same topology differ")
			}
			row.check(t, decodeCompose(t, out))
		})
	}
}
