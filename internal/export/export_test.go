// Test helpers of the exports: topologies, Kubernetes manifests decoded back strictly by kind, the checks every export passes; Render.

package export

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/chainctl/chainctl/internal/topology"
)

func fixture(name string) string { return filepath.Join("..", "topology", "testdata", name) }

var abcPath = filepath.Join("..", "..", "topologies", "abc.yaml")

func load(t *testing.T, path string) *topology.Topology {
	t.Helper()
	tp, err := topology.Load(path, nil)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return tp
}

func parse(t *testing.T, name, src string) *topology.Topology {
	t.Helper()
	tp, err := topology.Parse([]byte(src), name, nil)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return tp
}

// manifests is a Kubernetes export decoded strictly, by kind and name.
type manifests struct {
	order       []string // kind/name, in document order
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	claims      map[string]*corev1.PersistentVolumeClaim
	policies    map[string]*networkingv1.NetworkPolicy
}

// decodeKubernetes splits the documents and decodes each strictly into the
// API type its kind names: a field the type lacks, a misspelt one or a
// wrong type fails the test.
func decodeKubernetes(t *testing.T, out []byte) manifests {
	t.Helper()
	m := manifests{
		deployments: map[string]*appsv1.Deployment{},
		services:    map[string]*corev1.Service{},
		claims:      map[string]*corev1.PersistentVolumeClaim{},
		policies:    map[string]*networkingv1.NetworkPolicy{},
	}
	for i, doc := range strings.Split(string(out), "\n---\n") {
		var tm metav1.TypeMeta
		if err := sigsyaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, doc)
		}
		var obj metav1.Object
		var into any
		switch tm.APIVersion + " " + tm.Kind {
		case "apps/v1 Deployment":
			d := &appsv1.Deployment{}
			obj, into = d, d
		case "v1 Service":
			s := &corev1.Service{}
			obj, into = s, s
		case "v1 PersistentVolumeClaim":
			c := &corev1.PersistentVolumeClaim{}
			obj, into = c, c
		case "networking.k8s.io/v1 NetworkPolicy":
			p := &networkingv1.NetworkPolicy{}
			obj, into = p, p
		default:
			t.Fatalf("document %d: unexpected apiVersion/kind %q %q\n%s", i, tm.APIVersion, tm.Kind, doc)
		}
		if err := sigsyaml.UnmarshalStrict([]byte(doc), into); err != nil {
			t.Fatalf("document %d (%s): strict decode: %v\n%s", i, tm.Kind, err, doc)
		}
		name := obj.GetName()
		key := tm.Kind + "/" + name
		if slices.Contains(m.order, key) {
			t.Fatalf("%s appears twice", key)
		}
		m.order = append(m.order, key)
		switch o := into.(type) {
		case *appsv1.Deployment:
			m.deployments[name] = o
		case *corev1.Service:
			m.services[name] = o
		case *corev1.PersistentVolumeClaim:
			m.claims[name] = o
		case *networkingv1.NetworkPolicy:
			m.policies[name] = o
		}
	}
	return m
}

func (m manifests) deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	d, ok := m.deployments[name]
	if !ok {
		t.Fatalf("no Deployment %s in %v", name, m.order)
	}
	return d
}

func (m manifests) service(t *testing.T, name string) *corev1.Service {
	t.Helper()
	s, ok := m.services[name]
	if !ok {
		t.Fatalf("no Service %s in %v", name, m.order)
	}
	return s
}

func container(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("Deployment %s: %d containers, want 1", d.Name, n)
	}
	return d.Spec.Template.Spec.Containers[0]
}

func env(c corev1.Container) map[string]string {
	out := map[string]string{}
	for _, e := range c.Env {
		out[e.Name] = e.Value
	}
	return out
}

type port struct {
	port, nodePort int32
	proto          corev1.Protocol
}

func ports(s *corev1.Service) []port {
	var out []port
	for _, p := range s.Spec.Ports {
		out = append(out, port{p.Port, p.NodePort, p.Protocol})
	}
	return out
}

func equal[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// checkEveryObject holds for any export: labels on every object and pod,
// selectors that select the pods, sorted env, no replica index, rolling
// updates that never drop a pod.
func checkEveryObject(t *testing.T, tp *topology.Topology, m manifests) {
	t.Helper()
	for _, key := range m.order {
		kind, name, _ := strings.Cut(key, "/")
		var lbl map[string]string
		switch kind {
		case "Deployment":
			lbl = m.deployments[name].Labels
		case "Service":
			lbl = m.services[name].Labels
		case "PersistentVolumeClaim":
			lbl = m.claims[name].Labels
		case "NetworkPolicy":
			lbl = m.policies[name].Labels
		}
		equal(t, key+" part-of label", lbl[LabelPartOf], tp.Name)
		if lbl[LabelName] == "" {
			t.Errorf("%s has no %s label", key, LabelName)
		}
	}
	for _, name := range tp.ServiceNames() {
		want := map[string]string{LabelName: name, LabelPartOf: tp.Name}
		d := m.deployment(t, name)
		equal(t, name+" replicas", *d.Spec.Replicas, int32(tp.Services[name].Replicas))
		for what, got := range map[string]map[string]string{
			"Deployment labels": d.Labels, "selector": d.Spec.Selector.MatchLabels, "pod labels": d.Spec.Template.Labels,
			"Service labels": m.service(t, name).Labels, "Service selector": m.service(t, name).Spec.Selector,
		} {
			if len(got) != len(want) || got[LabelName] != name || got[LabelPartOf] != tp.Name {
				t.Errorf("%s %s = %v, want %v", name, what, got, want)
			}
		}
		equal(t, name+" strategy", d.Spec.Strategy.Type, appsv1.RollingUpdateDeploymentStrategyType)
		equal(t, name+" maxSurge", d.Spec.Strategy.RollingUpdate.MaxSurge.String(), "1")
		equal(t, name+" maxUnavailable", d.Spec.Strategy.RollingUpdate.MaxUnavailable.String(), "0")
		equal(t, name+" minReadySeconds", d.Spec.MinReadySeconds, int32(minReadySeconds))
		equal(t, name+" restartPolicy", d.Spec.Template.Spec.RestartPolicy, corev1.RestartPolicyAlways)
		c := container(t, d)
		equal(t, name+" image", c.Image, tp.Services[name].Image)
		if !slices.IsSortedFunc(c.Env, func(a, b corev1.EnvVar) int { return strings.Compare(a.Name, b.Name) }) {
			t.Errorf("%s env not sorted by name: %v", name, c.Env)
		}
		e := env(c)
		equal(t, name+" CHAINCTL_SERVICE", e["CHAINCTL_SERVICE"], name)
		equal(t, name+" CHAINCTL_PROJECT", e["CHAINCTL_PROJECT"], tp.Name)
		if v, ok := e["CHAINCTL_REPLICA"]; ok {
			t.Errorf("%s has CHAINCTL_REPLICA=%q: a pod has no replica index", name, v)
		}
		equal(t, name+" Service type", m.service(t, name).Spec.Type, corev1.ServiceTypeClusterIP)
	}
	for name, s := range m.services {
		for _, p := range s.Spec.Ports {
			// The container listens where the caller dials: no remapping.
			if p.TargetPort != intstr.FromInt32(p.Port) {
				t.Errorf("Service %s port %d targets %s", name, p.Port, p.TargetPort.String())
			}
		}
	}
}

func TestRender(t *testing.T) {
	tp := load(t, abcPath)
	for _, format := range Formats {
		if _, err := Render(format, tp); err != nil {
			t.Errorf("Render(%q): %v", format, err)
		}
	}
	if _, err := Render("helm", tp); err == nil || !strings.Contains(err.Error(), `"helm"`) {
		t.Errorf("Render(helm) error %v, want one naming the format", err)
	}
}
