// Tests of what the Kubernetes export refuses: each error names the service or volume and the field.

package export

import (
	"strings"
	"testing"

	"github.com/chainctl/chainctl/internal/topology"
)

func TestKubernetesRefuses(t *testing.T) {
	tests := []struct {
		name string
		topo func(t *testing.T) *topology.Topology
		want []string // each must appear in the error
	}{{
		name: "bind mount (full)",
		topo: func(t *testing.T) *topology.Topology { return load(t, fixture("valid-full.yaml")) },
		want: []string{"service mid: bind mount ", "conf → /conf cannot be exported"},
	}, {
		name: "every bind mount at once (compose forms)",
		topo: func(t *testing.T) *topology.Topology { return load(t, fixture("valid-compose-forms.yaml")) },
		want: []string{"service api: bind mount /etc/hosts → /etc/hosts", "service api: bind mount ", "→ /fixtures"},
	}, {
		name: "compose-only fields",
		topo: func(t *testing.T) *topology.Topology {
			top := parse(t, "c.yaml", "services: {a: {image: x}}")
			top.Services["a"].WorkingDir = "/app"
			top.Networks = map[string]topology.Network{"front": {Name: "c_front"}}
			return top
		},
		want: []string{"networks.front: the Kubernetes export does not carry this yet", "services.a.working_dir: the Kubernetes export"},
	}, {
		name: "user name",
		topo: func(t *testing.T) *topology.Topology {
			return parse(t, "u.yaml", "services: {a: {image: x, user: nobody}}")
		},
		want: []string{`service a: user "nobody": Kubernetes needs a numeric uid`},
	}, {
		name: "unknown security option",
		topo: func(t *testing.T) *topology.Topology {
			return parse(t, "s.yaml", "services: {a: {image: x, security_opt: [label=disable]}}")
		},
		want: []string{`service a: security_opt "label=disable"`},
	}, {
		name: "service name Kubernetes cannot take",
		topo: func(t *testing.T) *topology.Topology {
			return parse(t, "n.yaml", "services: {my_api: {image: x}, 1st: {image: x}}")
		},
		want: []string{"service my_api: the name is not a Kubernetes Service name", "service 1st: the name is not"},
	}, {
		name: "claim name Kubernetes cannot take",
		topo: func(t *testing.T) *topology.Topology {
			return parse(t, "v.yaml", "name: my_lab\nvolumes: {data: {}}\nservices: {a: {image: x, volumes: [\"data:/data\"]}}")
		},
		want: []string{`volume data: claim name "my_lab-data" is not a Kubernetes object name`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Kubernetes(tt.topo(t))
			if err == nil {
				t.Fatalf("exported, want an error:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// refusedFields are the rows of TestKubernetesFields that have no
// faithful mapping: each error names the service (or the network, or the
// volume) and the field.
var refusedFields = []fieldRow{{
	field: `restart "no"`, src: `services: {c: {image: x, restart: "no"}}`,
	want: []string{`service c: restart "no": a Deployment's pods always restart (restartPolicy Always); remove restart or use always/unless-stopped`},
}, {
	field: "restart on-failure:3", src: `services: {c: {image: x, restart: "on-failure:3"}}`,
	want: []string{`service c: restart "on-failure:3": a Deployment's pods always restart (restartPolicy Always)`},
}, {
	field: "restart on-failure", src: `services: {c: {image: x, restart: on-failure}}`,
	want: []string{`service c: restart "on-failure": a Deployment's pods always restart`},
}, {
	field: "ports 127.0.0.1 given", src: `services: {a: {image: x, ports: ["127.0.0.1:30080:8080"]}}`,
	want: []string{`service a: ports[0] "127.0.0.1:30080:8080": a NodePort opens the port on every node's addresses, not on 127.0.0.1; publish it without an address`},
}, {
	field: "ports 127.0.0.1 given, host port chosen", src: `services: {a: {image: x, ports: ["8443", "127.0.0.1::8080"]}}`,
	want: []string{`service a: ports[1] "127.0.0.1::8080": a NodePort opens the port on every node's addresses, not on 127.0.0.1`},
}, {
	field: "ports ::1 given", src: `services: {a: {image: x, ports: ["[::1]:8443:443"]}}`,
	want: []string{`service a: ports[0] "[::1]:8443:443": a NodePort opens the port on every node's addresses, not on ::1`},
}, {
	field: "ports mode host with host_ip", src: `services: {a: {image: x, ports: [{target: 80, published: 8080, host_ip: 127.0.0.1, mode: host}]}}`,
	want: []string{`service a: ports[0] "127.0.0.1:8080:80": a hostPort opens the port on every address of the pod's node, not on 127.0.0.1`},
}, {
	field: "ports mode host unpublished", src: `services: {a: {image: x, ports: [{target: 8080, mode: host}]}}`,
	want: []string{`service a: ports[0] "8080": mode host without a published port`},
}, {
	field: "ports mode host range", src: `services: {a: {image: x, ports: [{target: 80, published: 8000-8002, mode: host}]}}`,
	want: []string{`service a: ports[0] "8000-8002:80": mode host: host ports 8000-8002 for container ports 80: a hostPort maps one port to one port`},
}, {
	field: "ports on an internal network", src: "network: {internal: true}\nservices: {a: {image: x, ports: [\"30080:8080\"]}}",
	want: []string{`service a: ports[0] "30080:8080": network.internal is true: the NetworkPolicy lets in only the project's pods`},
}, {
	field: "network.internal with a name Kubernetes cannot take", src: "network: {name: Lab_Net, internal: true}\nservices: {a: {image: x}}",
	want: []string{"network Lab_Net: internal: the NetworkPolicy takes the network's name, which is not a Kubernetes object name"},
}, {
	field: "network.subnet", src: "name: lab\nnetwork: {subnet: 172.30.0.0/24}\nservices: {a: {image: x}}",
	want: []string{"network lab-net: network.subnet 172.30.0.0/24: pods take their addresses from the cluster's pod network"},
}, {
	field: "network.gateway", src: "name: lab\nnetwork: {subnet: 172.30.0.0/24, gateway: 172.30.0.1}\nservices: {a: {image: x}}",
	want: []string{"network lab-net: network.subnet 172.30.0.0/24 and network.gateway 172.30.0.1: pods take"},
}, {
	field: "depends_on service_healthy", src: `services: {a: {image: x, depends_on: {b: {condition: service_healthy}}}, b: {image: x}}`,
	want: []string{"service a: depends_on b (condition service_healthy): Kubernetes has no start order between Deployments; remove depends_on for the export"},
}, {
	field: "depends_on service_started (list)", src: `services: {a: {image: x, depends_on: [c, b]}, b: {image: x}, c: {image: x}}`,
	want: []string{"service a: depends_on b (condition service_started)", "service a: depends_on c (condition service_started)"},
}, {
	field: "volumes driver", src: "volumes: {data: {driver: nfs}}\nservices: {a: {image: x, volumes: [\"data:/data\"]}}",
	want: []string{`volume data: driver "nfs": a claim's storage comes from the cluster's StorageClass`},
}, {
	field: "healthcheck without a test", src: `services: {a: {image: x, healthcheck: {interval: 5s}}}`,
	want: []string{"service a: healthcheck without a test: Kubernetes cannot read the image's HEALTHCHECK"},
}, {
	field: "every problem at once",
	src:   "network: {subnet: 10.9.0.0/16}\nservices: {a: {image: x, restart: \"no\", ports: [\"127.0.0.1:80:80\"], depends_on: [b], user: nobody}, b: {image: x, restart: on-failure}}",
	want: []string{"network.subnet 10.9.0.0/16", `service a: restart "no"`, `service a: ports[0] "127.0.0.1:80:80"`,
		"service a: depends_on b", `service a: user "nobody"`, `service b: restart "on-failure"`},
}}
