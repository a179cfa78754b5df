// Kubernetes NetworkPolicy: an internal project network as a policy that keeps the project's pods among themselves.

package export

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/chainctl/chainctl/internal/topology"
)

// The cluster DNS as kubeadm, kind, GKE and EKS deploy it: pods labelled
// k8s-app=kube-dns in kube-system (the label CoreDNS keeps for kube-dns's
// sake), answering on 53 over UDP and TCP.
const (
	DNSNamespace = "kube-system"
	DNSAppLabel  = "k8s-app"
	DNSApp       = "kube-dns"
	DNSPort      = 53
)

// networkPolicy is what network.internal means, nil when it is false. An
// internal Docker network lets its containers talk to each other and to
// nothing else: the policy selects the project's pods and allows ingress
// only from them and egress only to them, plus egress to the cluster DNS
// on 53/UDP and 53/TCP, without which `b` would not resolve (Docker's
// embedded DNS answers inside an internal network too; kube-dns also
// resolves outside names, but nothing can connect to them). The node a
// pod runs on can still reach it, so probes work, as Docker's host can
// reach a container on an internal network. A cluster whose network
// plugin does not enforce NetworkPolicy applies none of it.
func networkPolicy(t *topology.Topology) (*networkingv1.NetworkPolicy, error) {
	if !t.Network.Internal {
		return nil, nil
	}
	name := t.Network.Name
	if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
		return nil, fmt.Errorf("network %s: internal: the NetworkPolicy takes the network's name, which is not a Kubernetes object name: %s; set network.name", name, strings.Join(msgs, "; "))
	}
	project := metav1.LabelSelector{MatchLabels: map[string]string{LabelPartOf: t.Name}}
	peers := []networkingv1.NetworkPolicyPeer{{PodSelector: &project}}
	udp, tcp, dns := corev1.ProtocolUDP, corev1.ProtocolTCP, intstr.FromInt32(DNSPort)
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels(t.Name, name)},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: project,
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: peers}},
			Egress: []networkingv1.NetworkPolicyEgressRule{
				{To: peers},
				{
					To: []networkingv1.NetworkPolicyPeer{{
						NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: DNSNamespace}},
						PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{DNSAppLabel: DNSApp}},
					}},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &dns}, {Protocol: &tcp, Port: &dns}},
				},
			},
		},
	}, nil
}
