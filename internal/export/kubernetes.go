// Kubernetes export: the manifest as a whole, the volumes' claims, and each service's Services and Deployment.

package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/chainctl/chainctl/internal/topology"
)

// Recommended labels; every object carries both and selectors use both,
// so two projects' services of the same name never select each other's pods.
const (
	LabelName   = "app.kubernetes.io/name"
	LabelPartOf = "app.kubernetes.io/part-of"
)

const (
	// NodePortSuffix names the extra Service of a service that publishes ports.
	NodePortSuffix = "-nodeport"
	// HealthPath is the link service's health endpoint.
	HealthPath = "/health"
	// ClaimSize is what each named volume's claim asks for: a topology
	// gives no size, and 1Gi is enough for the demo's data.
	ClaimSize = "1Gi"
	// minReadySeconds keeps a rolling update from racing ahead of a pod
	// that turns ready and fails right after.
	minReadySeconds = 5
	// The default node port range of the API server: a host port outside
	// it cannot be a nodePort, so the cluster chooses one.
	minNodePort, maxNodePort = 30000, 32767
)

// Kubernetes renders t as a multi-document YAML: the NetworkPolicy of an
// internal network first (no pod of the project runs a moment without
// it), then PersistentVolumeClaims, then per service (sorted) its
// ClusterIP Service, its NodePort Service when it publishes ports, and
// its Deployment. Services come before Deployments so that a
// `kubectl apply` creates the DNS names first. Every problem is reported
// at once.
func Kubernetes(t *topology.Topology) ([]byte, error) {
	var objs []any
	var errs []error
	if msgs := validation.IsValidLabelValue(t.Name); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("project name %q is not a Kubernetes label value: %s", t.Name, strings.Join(msgs, "; ")))
	}
	errs = append(errs, networkErrors(t)...)
	errs = append(errs, composeOnlyErrors(t, "the Kubernetes export")...)
	if np, err := networkPolicy(t); err != nil {
		errs = append(errs, err)
	} else if np != nil {
		objs = append(objs, np)
	}
	for _, key := range sortedKeys(t.Volumes) {
		if vErrs := volumeErrors(key, t.Volumes[key], claimName(t, key)); len(vErrs) > 0 {
			errs = append(errs, vErrs...)
			continue
		}
		objs = append(objs, claim(t, key))
	}
	for _, name := range t.ServiceNames() {
		svcObjs, err := kubeService(t, t.Services[name])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, svcObjs...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []byte
	for i, o := range objs {
		b, err := marshalObject(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, "---\n"...)
		}
		out = append(out, b...)
	}
	return out, nil
}

// marshalObject renders one object without status: the API server owns
// it, and the empty one the types always print is noise in a manifest.
func marshalObject(o any) ([]byte, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: encode %T: %w", o, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if b, err = json.Marshal(m); err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(b)
}

func labels(project, name string) map[string]string {
	return map[string]string{LabelName: name, LabelPartOf: project}
}

// claim is the PersistentVolumeClaim of a named volume, <project>-<key>
// as the engine names the volume; volumeErrors has checked it can be one.
func claim(t *topology.Topology, key string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   claimName(t, key),
			Labels: labels(t.Name, key),
			// Docker label values are free text; Kubernetes label values
			// are not, so they travel as annotations.
			Annotations: t.Volumes[key].Labels,
		},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(ClaimSize)},
			},
		},
	}
}

func claimName(t *topology.Topology, key string) string { return t.Name + "-" + key }

// kubeService renders one topology service: its Service(s) and Deployment,
// or every problem, each naming the service.
func kubeService(t *topology.Topology, svc *topology.Service) ([]any, error) {
	pub, errs := publishedPorts(t, svc)
	errs = append(nameErrors(svc, len(pub.node) > 0), errs...)
	ports, err := servicePorts(t, svc)
	if err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, dependsOnErrors(svc)...)
	pod, podErrs := podSpec(t, svc, ports, pub.host)
	errs = append(errs, podErrs...)
	if len(errs) > 0 {
		for i, err := range errs {
			errs[i] = fmt.Errorf("service %s: %w", svc.Name, err)
		}
		return nil, errors.Join(errs...)
	}

	lbl := labels(t.Name, svc.Name)
	svcType := metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}
	cluster := &corev1.Service{
		TypeMeta:   svcType,
		ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Labels: lbl},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Selector: lbl, Ports: ports},
	}
	// dnsrr means the name resolves to every replica, which is what a
	// headless Service does; a Service without ports must be headless too.
	if svc.EndpointMode == topology.EndpointDNSRR || len(ports) == 0 {
		cluster.Spec.ClusterIP = corev1.ClusterIPNone
	}
	objs := []any{cluster}
	if len(pub.node) > 0 {
		objs = append(objs, &corev1.Service{
			TypeMeta:   svcType,
			ObjectMeta: metav1.ObjectMeta{Name: svc.Name + NodePortSuffix, Labels: lbl},
			Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: lbl, Ports: pub.node},
		})
	}
	return append(objs, deployment(t, svc, pod)), nil
}

// deployment runs the pod as svc.Replicas replicas, rolling one at a time.
func deployment(t *topology.Topology, svc *topology.Service, pod *corev1.PodSpec) *appsv1.Deployment {
	lbl := labels(t.Name, svc.Name)
	replicas := int32(min(svc.Replicas, math.MaxInt32))
	maxSurge, maxUnavailable := intstr.FromInt32(1), intstr.FromInt32(0)
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Labels: lbl},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Strategy: appsv1.DeploymentStrategy{
				// One extra pod at a time and never one fewer: the chain
				// keeps answering while it rolls, as the swarm backend's
				// start-first updates do.
				Type:          appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &maxSurge, MaxUnavailable: &maxUnavailable},
			},
			MinReadySeconds: minReadySeconds,
			Template: corev1.PodTemplateSpec{
				// Container labels are free text in Docker and restricted
				// in Kubernetes: they become annotations.
				ObjectMeta: metav1.ObjectMeta{Labels: lbl, Annotations: svc.Labels},
				Spec:       *pod,
			},
		},
	}
}
